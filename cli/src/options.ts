import { formats } from './output';

// Every flag of the CLI, once: its type, a placeholder for help, the values completion offers.
// One name has one meaning and one type in every command, so a command line can be read before
// its command is known (flags may come before the verb: `netbroker -o json get projects`).

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder in help (`--api URL`). */
  value?: string;
  /** The values accepted (checked before anything is sent, offered by completion). */
  choices?: readonly string[];
  help: string;
}

export const optionSpecs = {
  output: { type: 'string', short: 'o', value: 'FORMAT', choices: formats, help: 'table (default), json or yaml' },
  context: { type: 'string', value: 'NAME', help: 'the context to use (login: to write); default the current one' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
  api: { type: 'string', value: 'URL', help: 'the API base URL, e.g. https://netbroker.example.com' },
  token: { type: 'string', value: 'TOKEN', help: 'a tenant token (prefer --token-file or NETBROKER_TOKEN: a flag shows in ps)' },
  'token-file': { type: 'string', value: 'FILE', help: 'read the token from FILE (- for stdin)' },
  'skip-check': { type: 'boolean', help: 'save the context without asking the API whether the token works' },
  egress: { type: 'string', value: 'TYPE', choices: ['cloud', 'public'], help: 'the egress network type of the project' },
  cidr: { type: 'string', value: 'CIDR', help: 'the project CIDR (default: a block from the pool)' },
  'prefix-length': { type: 'string', value: 'N', help: 'the size of the block to allocate (instead of --cidr)' },
  wait: { type: 'boolean', help: 'wait until the project is Ready (exit 0) or Failed (exit 5), with progress on stderr' },
  timeout: { type: 'string', value: 'DURATION', help: 'how long --wait waits, e.g. 90s, 2m (default 120s)' },
  project: { type: 'string', value: 'PROJECT', help: 'the project' },
  peer: { type: 'string', value: '[TENANT/]PROJECT', help: "the peer project (default tenant: the caller's)" },
  'local-connect-ip': { type: 'string', value: 'ADDRESS/PREFIX', help: "the requester's address on the link (a /30 or /31); default from the link pool" },
  address: { type: 'string', value: 'ADDRESS', help: "the router's address on the network (default the first free host)" },
  kubeconfig: { type: 'string', value: 'FILE', help: 'the kubeconfig of the virtual cluster (sent once, stored sealed, never shown again)' },
  name: { type: 'string', value: 'NAME', help: 'the virtual cluster name used in host object names (default the project name)' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof optionSpecs;
export const optionNames = Object.keys(optionSpecs) as OptionName[];

/** Accepted by every command. */
export const globalOptions: readonly OptionName[] = ['output', 'context', 'help'];

export type Flags = { [K in OptionName]?: (typeof optionSpecs)[K]['type'] extends 'boolean' ? boolean : string };

/** `90s`, `2m`, `500ms`, `1h`, or plain seconds: milliseconds; undefined when it does not parse. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Math.round(n * unit);
  return ms > 0 ? ms : undefined;
}
