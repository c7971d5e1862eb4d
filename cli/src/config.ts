import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from './exit';
import type { Target } from './http';

// The config file, like a kubeconfig: contexts (an API URL and a token each) and the current one.
// Written 0600 in a 0700 directory, atomically (a temporary file renamed over it); never printed.

export interface Context {
  api: string;
  token: string;
}

export interface CliConfig {
  currentContext?: string;
  contexts: Record<string, Context>;
}

export type Env = Record<string, string | undefined>;

/** `$NETBROKER_CONFIG`, else `$XDG_CONFIG_HOME/netbroker/config.json`, else `~/.config/netbroker/config.json`. */
export function configPath(env: Env, home: string): string {
  if (env.NETBROKER_CONFIG) return env.NETBROKER_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'netbroker', 'config.json');
}

/** Context names: what is safe in a table and a completion list. */
export const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$/;

/** The config from the file's text; a file that does not match is a usage error naming the file. Pure. */
export function parseConfig(text: string, path: string): CliConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not JSON`);
  }
  const bad = (why: string) => new UsageError(`${path}: ${why}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('not an object');
  const { currentContext, contexts = {} } = raw as Record<string, unknown>;
  if (currentContext !== undefined && typeof currentContext !== 'string') throw bad('currentContext is not a string');
  if (typeof contexts !== 'object' || contexts === null || Array.isArray(contexts)) throw bad('contexts is not an object');
  const out: Record<string, Context> = {};
  for (const [name, value] of Object.entries(contexts)) {
    const c = value as Record<string, unknown> | null;
    if (typeof c?.api !== 'string' || typeof c.token !== 'string') throw bad(`context ${name} needs api and token strings`);
    out[name] = { api: c.api, token: c.token };
  }
  return { ...(currentContext !== undefined ? { currentContext } : {}), contexts: out };
}

/**
 * An API base URL the CLI will send a token to: http or https, no credentials, query or fragment.
 * Returns it without trailing slashes. Pure.
 */
export function checkApiUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`the API URL "${text}" does not parse`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`the API URL must be http:// or https://, not ${url.protocol}`);
  if (url.username || url.password) throw new UsageError('the API URL must not hold credentials (use --token-file)');
  if (url.search || url.hash) throw new UsageError('the API URL must not have a query or fragment');
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * A token that can go in an Authorization header: visible ASCII, no spaces. Checked before any
 * request, so that no error message (fetch's included) ever quotes it. Pure.
 */
export function checkToken(token: string): string {
  if (!/^[!-~]{1,4096}$/.test(token)) throw new UsageError('the token is empty or holds characters a token cannot have (spaces, line breaks, non-ASCII)');
  return token;
}

/** Plain http to a host other than loopback: the token would cross the network unencrypted. */
export function isCleartext(api: string): boolean {
  const { protocol, hostname } = new URL(api);
  return protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(hostname) && !hostname.startsWith('127.');
}

/**
 * Where requests go: NETBROKER_API and NETBROKER_TOKEN override the context (`--context`, else the
 * current one). Pure.
 */
export function resolveTarget(config: CliConfig | undefined, env: Env, contextFlag: string | undefined): Target & { context?: string } {
  const name = contextFlag ?? config?.currentContext;
  const context = name !== undefined ? config?.contexts[name] : undefined;
  if (contextFlag !== undefined && !context) throw new UsageError(`no context "${contextFlag}" (netbroker config get-contexts)`);
  const api = env.NETBROKER_API || context?.api;
  const token = env.NETBROKER_TOKEN || context?.token;
  if (!api || !token) {
    const missing = [!api ? 'API URL' : undefined, !token ? 'token' : undefined].filter(Boolean).join(' and ');
    throw new UsageError(`no ${missing}: run netbroker login --api URL --token-file FILE, or set NETBROKER_API and NETBROKER_TOKEN`);
  }
  return { api: checkApiUrl(api), token: checkToken(token), ...(context && name !== undefined ? { context: name } : {}) };
}

/** The config file, if there is one, and whether others may read it (mode bits beyond 0600). */
export function readConfig(path: string): { config: CliConfig | undefined; mode?: number } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { config: undefined };
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  return { config: parseConfig(text, path), mode: statSync(path).mode & 0o777 };
}

/** Writes the config with mode 0600 (its directory, if made here, 0700), replacing the file atomically. */
export function writeConfig(path: string, config: CliConfig): void {
  const dir = dirname(path);
  const made = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (made !== undefined) chmodSync(dir, 0o700); // the umask may have narrowed it, never widened: set it exactly
  const tmp = join(dir, `.${process.pid}.${Date.now()}.config.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}
