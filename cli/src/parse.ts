import { parseArgs } from 'node:util';
import { commands, wordsOf, type CommandSpec, type Plan } from './commands';
import { UsageError } from './exit';
import { globalOptions, optionNames, optionSpecs, type Flags, type OptionName } from './options';
import type { Format } from './output';

// The command line → a command and its plan, with node:util parseArgs. Pure: no I/O, nothing read
// from the environment. Every mistake is a UsageError (exit code 2) saying what is wrong.

export interface Parsed {
  command: CommandSpec | undefined;
  plan: Plan;
  output: Format;
  /** `--context`, for commands that use a context. */
  context?: string | undefined;
}

const parseOptions = Object.fromEntries(
  optionNames.map((name) => {
    const spec = optionSpecs[name];
    return [name, { type: spec.type, ...('short' in spec ? { short: spec.short } : {}) }];
  }),
) as Record<OptionName, { type: 'string' | 'boolean'; short?: string }>;

/** What a flag's value looks like in help: its choices, else its placeholder. */
const valueOf = (name: OptionName): string => {
  const spec = optionSpecs[name] as { type: string; value?: string; choices?: readonly string[] };
  return spec.type === 'boolean' ? '' : (spec.choices?.join('|') ?? spec.value ?? '');
};

const spells = (c: CommandSpec, noun: string | undefined) => c.noun === noun || (noun !== undefined && c.aliases?.includes(noun) === true);

/** The commands of a verb (a verb has one command without a noun, or commands with nouns). */
const commandsOf = (verb: string | undefined) => commands.filter((c) => c.verb === verb);

/** The command these words name (`get projects`, `login`), if one. */
export function findCommand([verb, noun]: string[]): CommandSpec | undefined {
  const ofVerb = commandsOf(verb);
  return ofVerb.find((c) => c.noun === undefined) ?? ofVerb.find((c) => spells(c, noun));
}

/**
 * The words in verb-noun order: `projects create web` is `create projects web` (either order is
 * accepted; the verb-noun one, kubectl's, is the one help shows).
 */
export function verbFirst(words: string[]): string[] {
  const [first, second, ...rest] = words;
  if (first === undefined || second === undefined || findCommand(words)) return words;
  const swapped = findCommand([second, first]);
  return swapped?.noun !== undefined ? [second, first, ...rest] : words;
}

export function parseCommandLine(argv: string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: parseOptions, allowPositionals: true, strict: true }));
    positionals = verbFirst(positionals);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, '') : String(e));
  }
  const flags = values as Flags;
  const output = (flags.output ?? 'table') as Format;
  checkChoices(flags);

  if (positionals.length === 0) {
    if (flags.help) return { command: undefined, plan: { kind: 'help', words: [] }, output };
    throw new UsageError('no command given');
  }
  const [verb, noun] = positionals;
  const command = findCommand(positionals);
  if (!command) {
    const nouns = commandsOf(verb).map((c) => c.noun);
    if (nouns.length === 0) throw new UsageError(`unknown command "${verb}"`);
    throw new UsageError(noun === undefined ? `"${verb}" needs one of: ${nouns.join(', ')}` : `unknown command "${verb} ${noun}" (${verb}: ${nouns.join(', ')})`);
  }
  if (flags.help) return { command, plan: { kind: 'help', words: positionals.slice(0, command.noun ? 2 : 1) }, output };

  const allowed = new Set<OptionName>([...globalOptions, ...(command.options ?? [])]);
  for (const name of Object.keys(flags) as OptionName[]) {
    if (!allowed.has(name)) throw new UsageError(`--${name} is not a flag of "${wordsOf(command)}"`);
  }
  for (const name of command.required ?? []) {
    if (flags[name] === undefined) throw new UsageError(`"${wordsOf(command)}" needs --${name} ${valueOf(name)}`.trimEnd());
  }

  const given = positionals.slice(command.noun ? 2 : 1);
  const specs = command.args ?? [];
  const args: Record<string, string | undefined> = {};
  specs.forEach((spec, i) => {
    const value = given[i];
    if (value === undefined) {
      if (!spec.optional) throw new UsageError(`"${wordsOf(command)}" needs ${spec.name}`);
      return;
    }
    if (spec.choices && !spec.choices.includes(value)) throw new UsageError(`${spec.name} must be one of ${spec.choices.join(', ')}, not "${value}"`);
    args[spec.name] = value;
  });
  const rest = given.slice(specs.length);
  if (rest.length > 0 && command.rest === undefined) {
    // Not echoed for login: a token typed as an argument would be printed.
    throw new UsageError(`unexpected argument ${command.verb === 'login' ? '(give the token with --token-file)' : `"${rest[0]}"`} for "${wordsOf(command)}"`);
  }

  return { command, plan: command.plan({ args, rest, flags }), output, context: flags.context };
}

function checkChoices(flags: Flags): void {
  for (const [name, value] of Object.entries(flags) as Array<[OptionName, string | boolean]>) {
    const choices = (optionSpecs[name] as { choices?: readonly string[] }).choices;
    if (choices && typeof value === 'string' && !choices.includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not "${value}"`);
  }
}

const synopsis = (c: CommandSpec): string => {
  const args = (c.args ?? []).map((a) => (a.optional ? `[${a.name}]` : a.choices ? a.choices.join('|') : a.name));
  const required = (c.required ?? []).map((o) => `--${o} ${valueOf(o)}`.trimEnd());
  return ['netbroker', wordsOf(c), ...args, ...(c.rest ? [c.rest] : []), ...required].join(' ');
};

const optionLine = (name: OptionName): string => {
  const spec = optionSpecs[name] as { short?: string; help: string };
  const left = `${spec.short ? `-${spec.short}, ` : '    '}--${name} ${valueOf(name)}`.trimEnd();
  return `  ${left.padEnd(36)} ${spec.help}`;
};

/** Help: every command (no words), the commands of a verb, or one command with its flags. */
export function helpText(words: string[]): string {
  const one = words.length ? findCommand(words) : undefined;
  if (one && (one.noun === undefined || words.length >= 2)) {
    return [synopsis(one), '', `  ${one.summary}${one.admin ? ' (admin token)' : ''}`, '', 'Flags:', ...[...(one.options ?? []), ...globalOptions].map(optionLine), ''].join('\n');
  }
  const list = words.length ? commandsOf(words[0]) : commands;
  if (list.length === 0) throw new UsageError(`unknown command "${words.join(' ')}"`);
  const width = Math.max(...list.map((c) => synopsis(c).length));
  return [
    'netbroker: the command-line client of the netbroker API (tenant and admin)',
    '',
    'Commands:',
    ...list.map((c) => `  ${synopsis(c).padEnd(width)}   ${c.admin ? '[admin] ' : ''}${c.summary}`),
    '',
    'Global flags:',
    ...globalOptions.map(optionLine),
    '',
    'Environment: NETBROKER_API and NETBROKER_TOKEN override the context; NETBROKER_CONFIG is the config file',
    '(default ~/.config/netbroker/config.json). Exit codes: 0 ok, 1 refused (4xx), 2 usage, 3 not found,',
    '4 unavailable (5xx, network), 5 --wait failed or timed out.',
    '',
  ].join('\n');
}
