import { commands, type CommandSpec } from './commands';
import { globalOptions, optionNames, optionSpecs, type OptionName } from './options';

// `netbroker completion bash|zsh`: a script with the command table written into it (verbs, nouns,
// each command's flags, the values of flags with choices). Static: nothing is asked of the API.

const verbs = [...new Set(commands.map((c) => c.verb))];
const nounsOf = (verb: string) => commands.filter((c) => c.verb === verb).flatMap((c) => (c.noun ? [c.noun] : (c.args?.[0]?.choices ?? [])));
const flagsOf = (c: CommandSpec) =>
  [...(c.options ?? []), ...globalOptions].flatMap((o) => {
    const spec = optionSpecs[o] as { short?: string };
    return [`--${o}`, ...(spec.short ? [`-${spec.short}`] : [])];
  });
const takesValue = optionNames.filter((o) => optionSpecs[o].type === 'string');
const valueFlags = takesValue.flatMap((o) => [`--${o}`, ...('short' in optionSpecs[o] ? [`-${(optionSpecs[o] as { short: string }).short}`] : [])]);
const files: OptionName[] = ['token-file', 'kubeconfig', 'file', 'values'];
const choiceFlags = optionNames.flatMap((o) => {
  const choices = (optionSpecs[o] as { choices?: readonly string[] }).choices;
  const spec = optionSpecs[o] as { short?: string };
  return choices ? [{ flags: [`--${o}`, ...(spec.short ? [`-${spec.short}`] : [])], choices }] : [];
});
/** `verb noun` (or `verb`) → its flags, every spelling of the noun. */
const commandCases = commands.map((c) => ({
  patterns: c.noun ? [c.noun, ...(c.aliases ?? [])].map((n) => `"${c.verb} ${n}"`) : [`"${c.verb} "*`],
  flags: flagsOf(c),
}));

export function bashCompletion(): string {
  return `# netbroker completion for bash: source <(netbroker completion bash)
_netbroker() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" verb="" noun="" i w
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case "\${COMP_WORDS[i-1]}" in ${valueFlags.join('|')}) continue ;; esac
    if [[ -z "$verb" ]]; then verb="$w"; elif [[ -z "$noun" ]]; then noun="$w"; fi
  done
  case "$prev" in
${choiceFlags.map((c) => `    ${c.flags.join('|')}) COMPREPLY=($(compgen -W "${c.choices.join(' ')}" -- "$cur")); return ;;`).join('\n')}
    ${files.map((f) => `--${f}`).join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${valueFlags.join('|')}) return ;;
  esac
  if [[ -z "$verb" ]]; then
    COMPREPLY=($(compgen -W "${verbs.join(' ')}" -- "$cur")); return
  fi
  local nouns=""
  case "$verb" in
${verbs.map((v) => `    ${v}) nouns="${nounsOf(v).join(' ')}" ;;`).join('\n')}
  esac
  if [[ -z "$noun" && -n "$nouns" && "$cur" != -* ]]; then
    COMPREPLY=($(compgen -W "$nouns" -- "$cur")); return
  fi
  local flags=""
  case "$verb $noun" in
${commandCases.map((c) => `    ${c.patterns.join('|')}) flags="${c.flags.join(' ')}" ;;`).join('\n')}
  esac
  COMPREPLY=($(compgen -W "$flags" -- "$cur"))
}
complete -F _netbroker netbroker
`;
}

export function zshCompletion(): string {
  return `#compdef netbroker
# netbroker completion for zsh: source <(netbroker completion zsh), or save as _netbroker in $fpath
_netbroker() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" verb="" noun="" i w
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    case "$w" in -*) continue ;; esac
    case "\${words[i-1]}" in ${valueFlags.join('|')}) continue ;; esac
    if [[ -z "$verb" ]]; then verb="$w"; elif [[ -z "$noun" ]]; then noun="$w"; fi
  done
  case "$prev" in
${choiceFlags.map((c) => `    ${c.flags.join('|')}) compadd -- ${c.choices.join(' ')}; return ;;`).join('\n')}
    ${files.map((f) => `--${f}`).join('|')}) _files; return ;;
    ${valueFlags.join('|')}) return ;;
  esac
  if [[ -z "$verb" ]]; then
    compadd -- ${verbs.join(' ')}; return
  fi
  local -a nouns
  case "$verb" in
${verbs.map((v) => `    ${v}) nouns=(${nounsOf(v).join(' ')}) ;;`).join('\n')}
  esac
  if [[ -z "$noun" && \${#nouns} -gt 0 && "$cur" != -* ]]; then
    compadd -- $nouns; return
  fi
  local -a flags
  case "$verb $noun" in
${commandCases.map((c) => `    ${c.patterns.join('|')}) flags=(${c.flags.join(' ')}) ;;`).join('\n')}
  esac
  compadd -- $flags
}
if [[ "$funcstack[1]" = "_netbroker" ]]; then _netbroker "$@"; else compdef _netbroker netbroker; fi
`;
}

export const completionScript = (shell: 'bash' | 'zsh'): string => (shell === 'bash' ? bashCompletion() : zshCompletion());
