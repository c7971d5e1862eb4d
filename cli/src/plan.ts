import { parse as parseYaml } from 'yaml';
import { calls, defined, PAGE_SIZE, type ApiRequest, type Call } from './calls';
import { UsageError } from './exit';
import { parseDuration, type Flags, type OptionName } from './options';
import type { ViewName } from './output';
import type { Until, WaitKind } from './wait';

// What a command line becomes (a Plan), the shape of a command in the command table, and the
// small pure helpers the command tables (commands.ts, sharing.ts, admin.ts) build plans with.

/** How a one-request command shows its answer in table format. */
export interface Show {
  /** A table of the answer. */
  view?: ViewName;
  /** A line instead of a table (`project/web created`), from the answer's body. */
  message?: (body: unknown) => string;
  /** A line for stderr beside the table or message (what a script reading stdout should not get). */
  note?: (body: unknown) => string;
}

/** What `--wait` waits for: the object of a kind where its judge (wait.ts) says it is done, or gone. */
export interface Wait {
  kind: WaitKind;
  /** The GET polled. */
  request: ApiRequest;
  /** Path parameters the first request's answer gives, by the answer's field (a new peering: `{ id: 'id' }`; a mapping: `items.0.id`). */
  fromAnswer?: Record<string, string>;
  timeoutMs: number;
  until: Until;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** `--wait [--timeout D]` (default 120 s): the wait, or none without --wait. */
export function waitOf(i: Input, wait: Omit<Wait, 'timeoutMs'>): Wait | undefined {
  const timeout = i.flags.timeout;
  const timeoutMs = timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(timeout);
  if (timeoutMs === undefined) throw new UsageError(`--timeout must be a duration such as 90s or 2m, not "${timeout}"`);
  if (timeout !== undefined && !i.flags.wait) throw new UsageError('--timeout only goes with --wait');
  return i.flags.wait ? { ...wait, timeoutMs } : undefined;
}

/** The plan's `wait` field, present only with --wait. */
export const withWait = (wait: Wait | undefined): { wait?: Wait } => (wait ? { wait } : {});

/** Show one item of a list, found by its name (for lists the API has no single GET for). */
export interface Pick {
  name: string;
  /** `pool web`, as the not-found message names it. */
  what: string;
  keyOf: (item: unknown) => string;
  view: ViewName;
}

export type Plan =
  /** One request; with `wait`, then poll the project until Ready or gone. */
  | { kind: 'call'; request: ApiRequest; show: Show; wait?: Wait }
  /** One request whose body is built from a file's text (read by the runner). */
  | { kind: 'call-with-file'; path: string; request: (text: string) => ApiRequest; show: Show }
  /** Every page of a list, shown as one (or the one item `pick` names). */
  | { kind: 'list'; request: ApiRequest; view: ViewName; noun: string; pick?: Pick }
  | { kind: 'login'; api?: string | undefined; token?: string | undefined; tokenFile?: string | undefined; context: string; check: boolean }
  | { kind: 'get-contexts' }
  | { kind: 'current-context' }
  | { kind: 'use-context'; name: string }
  | { kind: 'delete-context'; name: string }
  | { kind: 'completion'; shell: 'bash' | 'zsh' }
  | { kind: 'help'; words: string[] }
  | { kind: 'print'; text: string };

export interface ArgSpec {
  name: string;
  optional?: boolean;
  choices?: readonly string[];
}

export interface Input {
  /** Positional arguments by name. */
  args: Record<string, string | undefined>;
  /** Positionals after the named ones (commands with `rest`). */
  rest: string[];
  flags: Flags;
}

export interface CommandSpec {
  verb: string;
  noun?: string;
  /** Other spellings of the noun (`project` for `projects`). */
  aliases?: readonly string[];
  args?: readonly ArgSpec[];
  /** Help text for further positionals (`DESTINATION via NEXTHOP...`); absent: none allowed. */
  rest?: string;
  options?: readonly OptionName[];
  required?: readonly OptionName[];
  /** Needs the admin token (shown in help). */
  admin?: boolean;
  summary: string;
  plan(input: Input): Plan;
}

/** Every page of a list call (a call without paging: its one answer). */
export const list = (call: ApiRequest['call'], view: ViewName, noun: string, params?: Record<string, string>, pick?: Pick): Plan => ({
  kind: 'list',
  request: { call, ...(params ? { params } : {}), ...((calls[call] as Call).query ? { query: { limit: String(PAGE_SIZE) } } : {}) },
  view,
  noun,
  ...(pick ? { pick } : {}),
});

/** A named argument the parser has checked is present. */
export const arg = (input: Input, name: string): string => {
  const value = input.args[name];
  if (value === undefined) throw new Error(`argument ${name} missing after parsing`);
  return value;
};

/** A flag the command requires (the parser checked it is there). */
export const flag = (input: Input, name: OptionName): string => {
  const value = input.flags[name];
  if (typeof value !== 'string') throw new Error(`--${name} missing after parsing`);
  return value;
};

/** A whole number flag (`--prefix-length 24`), undefined when not given. */
export function integer(name: string, text: string | undefined, digits = 3): number | undefined {
  if (text === undefined) return undefined;
  if (!new RegExp(`^\\d{1,${digits}}$`).test(text)) throw new UsageError(`--${name} must be a whole number, not "${text}"`);
  return Number(text);
}

/** `a,b, c` as `['a', 'b', 'c']`; undefined when not given. */
export const commaList = (text: string | undefined): string[] | undefined =>
  text === undefined
    ? undefined
    : text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

/** A string field of an answer's body (`id`, or a dotted path `items.0.id`), `?` when it has none. */
export const bodyField = (body: unknown, field: string): string => {
  const value = field.split('.').reduce<unknown>((at, key) => (typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined), body);
  return typeof value === 'string' ? value : '?';
};

/** A JSON or YAML file's object (YAML reads JSON too); anything else is a usage error naming the file. */
export function objectFile(text: string, path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    throw new UsageError(`${path} is neither JSON nor YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${path} must hold an object (the request body)`);
  return value as Record<string, unknown>;
}

/**
 * A body from an optional file (`--file`) and flags: each flag given replaces the file's field of
 * the same name. Without a file, a call plan; with one, a call-with-file plan.
 */
export function fileAndFlags(input: Input, fromFlags: Record<string, unknown>, request: (body: Record<string, unknown>) => ApiRequest, show: Show): Plan {
  const path = input.flags.file;
  if (path === undefined) return { kind: 'call', request: request(defined(fromFlags)), show };
  return { kind: 'call-with-file', path, request: (text) => request({ ...objectFile(text, path), ...defined(fromFlags) }), show };
}
