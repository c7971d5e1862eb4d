import { readFileSync } from 'node:fs';
import {
  AuthorizationError,
  connect,
  credsAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  type NatsConnection,
} from '@nats-io/transport-node';
import { BusConnectError } from './errors';

export type { NatsConnection } from '@nats-io/transport-node';

/** How a connection proves who it is; every secret is a file (a mounted Kubernetes Secret). */
export type BusAuth = { tokenFile: string } | { credsFile: string } | { user: string; passwordFile: string };

export interface BusOptions {
  /** URLs without credentials (`nats://host:4222`, `tls://host:4222`). */
  servers: string | string[];
  name: string;
  auth?: BusAuth;
  /**
   * TLS required. caFile: trust this CA instead of the system's; certFile + keyFile: a client
   * certificate (mTLS). nats.js reads the files at every connect.
   */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

/**
 * A file's text, read now (a missing file fails here, not at the first connect) and again at every
 * later call: a rotated Secret is picked up on the next reconnect. A read that fails later (the
 * kubelet swapping the Secret's files) gives the last text read.
 */
function fileText(path: string, shape: (text: string) => string): () => string {
  let last = shape(readFileSync(path, 'utf8'));
  return () => {
    try {
      last = shape(readFileSync(path, 'utf8'));
    } catch {
      // keep the last text: the reconnect goes on with it and the next one reads again
    }
    return last;
  };
}

/** A token or password without the newline `echo` or an editor leaves. */
const secret = (text: string) => text.trim();
/** nats.js finds the .creds blocks only when the last one ends with a newline. */
const creds = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);

function authenticator(auth: BusAuth): Authenticator {
  if ('tokenFile' in auth) return tokenAuthenticator(fileText(auth.tokenFile, secret));
  if ('credsFile' in auth) {
    const text = fileText(auth.credsFile, creds);
    return credsAuthenticator(() => new TextEncoder().encode(text()));
  }
  return usernamePasswordAuthenticator(auth.user, fileText(auth.passwordFile, secret));
}

/** Node's codes for a TLS handshake or certificate check that failed (OpenSSL's verify results among them). */
const isTlsFailure = (e: unknown): boolean => {
  const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' && /^(ERR_SSL_|ERR_TLS_)|CERT|_SIGNATURE$|^UNABLE_TO_/.test(code);
};

/** Why a first connect failed, as a BusConnectError when it is the credentials or TLS. */
function connectFailure(e: unknown, servers: string[]): unknown {
  if (e instanceof AuthorizationError) return new BusConnectError(servers, 'authorization', { cause: e });
  if (isTlsFailure(e)) return new BusConnectError(servers, 'tls', { cause: e });
  return e;
}

/** A connection that keeps reconnecting: services ride through NATS restarts. */
export async function connectBus({ servers, name, auth, tls }: BusOptions): Promise<NatsConnection> {
  const list = typeof servers === 'string' ? servers.split(',').map((s) => s.trim()) : servers;
  try {
    // noAsyncTraces: nats.js otherwise captures a stack trace per request, a third of the CPU of a busy service.
    // ignoreAuthErrorAbort: nats.js gives up after two refused reconnects in a row; a rotated
    // Secret reaches the pod's files up to a minute after the server changed, so keep trying.
    return await connect({
      servers: list,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: 10_000,
      noAsyncTraces: true,
      ignoreAuthErrorAbort: true,
      ...(auth ? { authenticator: authenticator(auth) } : {}),
      ...(tls ? { tls } : {}),
    });
  } catch (e) {
    throw connectFailure(e, list);
  }
}
