import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './config-error';

// How a service reaches NATS: the URL says where, files say who it is and whom it trusts. Secrets
// come from files (a mounted Kubernetes Secret), never from the URL: a URL ends up in logs,
// process lists and error messages.

const CREDENTIALS_IN_URL =
  'carries credentials: put them in a file and set NATS_TOKEN_FILE, NATS_CREDS_FILE or NATS_USER with NATS_PASSWORD_FILE (a URL ends up in logs and process lists)';

/** The authority (`user:pass@host:port`) of each comma-separated URL, with or without a scheme. */
const authorities = (urls: string) => urls.split(',').map((u) => u.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/)[0]!);

/** True when a URL of the list carries credentials (`nats://user:pass@host`, `nats://token@host`). */
export const urlCarriesCredentials = (urls: string): boolean => authorities(urls).some((a) => a.includes('@'));

/** A path variable; an empty value (an unset Helm value) counts as not set. */
const file = () => z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/** The NATS variables of `serviceEnv`. */
export const natsEnv = {
  /** One URL or a comma-separated list: `nats://host:4222`, `tls://host:4222` (TLS required). */
  NATS_URL: z
    .string()
    .min(1)
    .refine((url) => !urlCarriesCredentials(url), CREDENTIALS_IN_URL),
  /** A file holding the token (nats-server `authorization { token }`). */
  NATS_TOKEN_FILE: file(),
  /** A NATS .creds file: the user's JWT and nkey seed (decentralised auth). */
  NATS_CREDS_FILE: file(),
  /** A user name, with its password in NATS_PASSWORD_FILE. */
  NATS_USER: file(),
  NATS_PASSWORD_FILE: file(),
  /** The CA to trust instead of the system's; setting it requires TLS. */
  NATS_CA_FILE: file(),
  /** A client certificate and its key (PEM), for servers that verify clients (mTLS). */
  NATS_CERT_FILE: file(),
  NATS_KEY_FILE: file(),
};

export type NatsEnv = z.infer<z.ZodObject<typeof natsEnv>>;

/**
 * What `connectBus` takes (@netbroker/bus `BusOptions`, the same shape): files, read by the
 * connection at every connect, so that a rotated Secret is picked up on the next reconnect.
 */
export interface BusSettings {
  servers: string[];
  name: string;
  auth?: { tokenFile: string } | { credsFile: string } | { user: string; passwordFile: string };
  /** TLS required; no caFile: the system's CAs. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

type FileVariable = 'NATS_TOKEN_FILE' | 'NATS_CREDS_FILE' | 'NATS_PASSWORD_FILE' | 'NATS_CA_FILE' | 'NATS_CERT_FILE' | 'NATS_KEY_FILE';

/** The connection the variables describe, and every rule they break (pure: reads no file). */
export function busPlan(config: NatsEnv, name: string): { settings: BusSettings; problems: string[] } {
  const problems: string[] = [];
  const servers = config.NATS_URL.split(',').map((u) => u.trim()).filter((u) => u !== '');
  if (urlCarriesCredentials(config.NATS_URL)) problems.push(`NATS_URL: ${CREDENTIALS_IN_URL}`);

  const ways = [
    config.NATS_TOKEN_FILE && 'NATS_TOKEN_FILE',
    config.NATS_CREDS_FILE && 'NATS_CREDS_FILE',
    (config.NATS_USER || config.NATS_PASSWORD_FILE) && 'NATS_USER/NATS_PASSWORD_FILE',
  ].filter((w) => typeof w === 'string');
  if (ways.length > 1) problems.push(`${ways.join(', ')}: set only one way to authenticate`);
  if (config.NATS_USER && !config.NATS_PASSWORD_FILE) problems.push('NATS_PASSWORD_FILE: required with NATS_USER (not set)');
  if (config.NATS_PASSWORD_FILE && !config.NATS_USER) problems.push('NATS_USER: required with NATS_PASSWORD_FILE (not set)');
  if (config.NATS_CERT_FILE && !config.NATS_KEY_FILE) problems.push("NATS_KEY_FILE: required with NATS_CERT_FILE, the client certificate's key (not set)");
  if (config.NATS_KEY_FILE && !config.NATS_CERT_FILE) problems.push('NATS_CERT_FILE: required with NATS_KEY_FILE (not set)');

  const auth: BusSettings['auth'] = config.NATS_TOKEN_FILE
    ? { tokenFile: config.NATS_TOKEN_FILE }
    : config.NATS_CREDS_FILE
      ? { credsFile: config.NATS_CREDS_FILE }
      : config.NATS_USER && config.NATS_PASSWORD_FILE
        ? { user: config.NATS_USER, passwordFile: config.NATS_PASSWORD_FILE }
        : undefined;
  const tlsFiles = { caFile: config.NATS_CA_FILE, certFile: config.NATS_CERT_FILE, keyFile: config.NATS_KEY_FILE };
  const tlsScheme = servers.some((u) => /^tls:\/\//i.test(u));
  const tls = tlsScheme || Object.values(tlsFiles).some(Boolean) ? dropUndefined(tlsFiles) : undefined;
  return { settings: { servers, name, ...(auth ? { auth } : {}), ...(tls ? { tls } : {}) }, problems };
}

const dropUndefined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** What each file must hold: a problem, or undefined when it does. */
const contentRules: Record<FileVariable, (text: string) => string | undefined> = {
  NATS_TOKEN_FILE: (text) => (text.trim() === '' ? 'is empty' : undefined),
  NATS_PASSWORD_FILE: (text) => (text.trim() === '' ? 'is empty' : undefined),
  NATS_CREDS_FILE: (text) =>
    /-{3,}BEGIN NATS USER JWT-{3,}/.test(text) && /-{3,}BEGIN USER NKEY SEED-{3,}/.test(text) ? undefined : 'is not a NATS .creds file (a user JWT and an nkey seed)',
  NATS_CA_FILE: (text) => (isCertificate(text) ? undefined : 'holds no PEM certificate'),
  NATS_CERT_FILE: (text) => (isCertificate(text) ? undefined : 'holds no PEM certificate'),
  NATS_KEY_FILE: (text) => (isPrivateKey(text) ? undefined : 'holds no PEM private key'),
};

const isCertificate = (text: string) => attempt(() => new X509Certificate(text));
const isPrivateKey = (text: string) => attempt(() => createPrivateKey(text));
function attempt(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false; // not parseable is the answer here, not an error
  }
}

export interface BusOptionsFromOptions {
  /** Reads a file (tests pass their own). */
  readFile?: (path: string) => string;
}

/**
 * The connection options for `connectBus`, from the parsed service config: checks the rules and
 * reads every named file once, at start, so that a missing or malformed Secret stops the service
 * with a ConfigError naming the variable rather than a failed connection later.
 */
export function busOptionsFrom(config: NatsEnv, name: string, { readFile = (p) => readFileSync(p, 'utf8') }: BusOptionsFromOptions = {}): BusSettings {
  const { settings, problems } = busPlan(config, name);
  for (const variable of Object.keys(contentRules) as FileVariable[]) {
    const path = config[variable];
    if (!path) continue;
    let text: string;
    try {
      text = readFile(path);
    } catch (e) {
      problems.push(`${variable}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      continue;
    }
    const problem = contentRules[variable](text);
    if (problem) problems.push(`${variable}: ${path} ${problem}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}
