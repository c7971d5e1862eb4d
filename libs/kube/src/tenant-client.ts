import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { Agent, type AgentOptions } from 'node:https';
import type { RequestOptions } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import type { SealedSecret, VClusterRecord } from '@netbroker/contracts';
import { KEEP_ALIVE } from './config';
import { addressRefusal, checkServer, type ServerPolicy } from './server-policy';
import { describeProblems, sanitizeKubeconfig, type KubeconfigProblem, type TenantCredentials } from './tenant-kubeconfig';

// Clients for tenants' virtual clusters, built from sanitised fields only. The tenant's document is
// never handed to client-node (no `loadFromString`: it would run exec plugins and read files), and
// every connection goes through an agent bound to the one server, which checks each address it
// would connect to, after DNS resolution (rebinding), and refuses any other host (redirects).

/** A connection to a tenant's server was refused by the policy: nothing was sent. */
export class ServerRefusedError extends Error {
  override readonly name = 'ServerRefusedError';
  /** Copied by node-fetch onto the FetchError that wraps this one. */
  readonly code = 'ERR_NETBROKER_SERVER_REFUSED';
  constructor(message: string) {
    super(message);
  }
}

/** What a status says when a connection was refused at connect time (the same words everywhere). */
export const SERVER_REFUSED_MESSAGE = 'the server resolves to an address netbroker may not connect to';

/** A refusal by the tenant-server policy, however deep the client wrapped it. */
export function isServerRefused(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 8; depth++) {
    if (cur instanceof ServerRefusedError || (cur as { code?: unknown }).code === 'ERR_NETBROKER_SERVER_REFUSED') return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** dns.lookup's shape, with every address: what a name resolves to (injectable to replay a hostile DNS answer). */
export type Resolve = (hostname: string, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolve: Resolve = (hostname, callback) => dnsLookup(hostname, { all: true }, callback);

interface Bound {
  host: string;
  port: number;
  nameAllowed: boolean;
  resolve: Resolve;
}

/** Resolves like dns.lookup, then refuses the whole answer if any address is outside the policy. */
function guardedLookup(policy: ServerPolicy, bound: Bound): LookupFunction {
  return (hostname, options, callback) => {
    bound.resolve(hostname, (err, found) => {
      if (err) return callback(err, '', 0);
      const addresses = options.family === 4 || options.family === 6 ? found.filter((a) => a.family === options.family) : found;
      for (const { address } of addresses) {
        const refusal = addressRefusal(address, bound.port, policy, bound.nameAllowed);
        if (refusal) return callback(new ServerRefusedError(`${hostname} resolves to an address netbroker may not connect to: ${refusal.message}`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const [first] = addresses;
      if (!first) return callback(new ServerRefusedError(`${hostname} resolves to no address`), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}

/** An https agent that connects only to the bound server, and only to addresses the policy allows. */
class GuardedAgent extends Agent {
  constructor(
    options: AgentOptions,
    private readonly policy: ServerPolicy,
    private readonly bound: Bound,
  ) {
    super(options);
  }

  override createConnection(options: RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const refuse = (message: string) => {
      const error = new ServerRefusedError(message);
      if (!callback) throw error;
      callback(error, undefined as unknown as Duplex);
      return undefined;
    };
    const host = (options.hostname ?? options.host ?? '').replace(/^\[|\]$/g, '').toLowerCase();
    const port = Number(options.port ?? 443);
    if (host !== this.bound.host || port !== this.bound.port) {
      return refuse('a connection to another host than the registered server was refused (redirects are not followed)');
    }
    const refusal = isIP(host) ? addressRefusal(host, port, this.policy) : undefined;
    if (refusal) return refuse(refusal.message);
    return super.createConnection({ ...options, lookup: guardedLookup(this.policy, this.bound) }, callback);
  }
}

/**
 * A KubeConfig holding only sanitised fields, whose requests authenticate with the inline token or
 * client certificate and connect through a GuardedAgent. client-node's own authenticators (exec,
 * auth-provider, token files) are never consulted.
 */
export class TenantKubeConfig extends KubeConfig {
  private readonly agent: GuardedAgent;

  constructor(
    private readonly credentials: TenantCredentials,
    policy: ServerPolicy,
    bound: Bound,
  ) {
    super();
    const cluster = {
      name: 'tenant',
      server: credentials.server,
      skipTLSVerify: credentials.insecureSkipTlsVerify,
      ...(credentials.caData ? { caData: credentials.caData } : {}),
      ...(credentials.tlsServerName ? { tlsServerName: credentials.tlsServerName } : {}),
    };
    this.loadFromOptions({ clusters: [cluster], users: [{ name: 'tenant' }], contexts: [{ name: 'tenant', cluster: 'tenant', user: 'tenant' }], currentContext: 'tenant' });
    const pem = (b64: string | undefined) => (b64 ? Buffer.from(b64, 'base64') : undefined);
    // One keep-alive agent per client: connections are reused (each new one is still checked in createConnection).
    this.agent = new GuardedAgent(
      {
        ...KEEP_ALIVE,
        ca: pem(credentials.caData),
        cert: pem(credentials.clientCertificateData),
        key: pem(credentials.clientKeyData),
        ...(credentials.tlsServerName ? { servername: credentials.tlsServerName } : {}),
        ...(credentials.insecureSkipTlsVerify ? { rejectUnauthorized: false } : { rejectUnauthorized: true }),
      },
      policy,
      bound,
    );
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    if (this.credentials.token) context.setHeaderParam('Authorization', `Bearer ${this.credentials.token}`);
    context.setAgent(this.agent);
  }

  override async applyToHTTPSOptions(opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
    const target = opts as RequestOptions;
    if (this.credentials.token) target.headers = { ...target.headers, Authorization: `Bearer ${this.credentials.token}` };
    target.agent = this.agent;
  }
}

export interface TenantAccess {
  policy: ServerPolicy;
  allowInsecureTls: boolean;
  /** Default: the system resolver, at every connect. */
  resolve?: Resolve;
}

/** Why a stored or submitted kubeconfig cannot be used: status reasons shared by every service. */
export type TenantOpenFailure =
  | { reason: 'KubeconfigRefused'; message: string; problems: KubeconfigProblem[] }
  | { reason: 'ServerNotAllowed'; message: string; /** Where the server stands in the document. */ path: string };

export type TenantOpen = { ok: true; kubeConfig: TenantKubeConfig; server: string } | ({ ok: false } & TenantOpenFailure);

/**
 * A tenant's kubeconfig text -> a client for its server, or the reason it may not be used. The
 * one gate every service passes before it contacts a virtual cluster (and the API at registration).
 */
export function openTenantKubeConfig(text: string, access: TenantAccess): TenantOpen {
  const sanitized = sanitizeKubeconfig(text, { allowInsecureTls: access.allowInsecureTls });
  if (!sanitized.ok) {
    return { ok: false, reason: 'KubeconfigRefused', message: `the kubeconfig is refused: ${describeProblems(sanitized.problems)}`, problems: sanitized.problems };
  }
  const { credentials } = sanitized;
  const check = checkServer(credentials.server, access.policy);
  if (!check.ok) return { ok: false, reason: 'ServerNotAllowed', message: `the server is not allowed: ${check.refusal.message}`, path: sanitized.serverPath };
  const bound = { host: check.host, port: check.port, nameAllowed: check.nameAllowed, resolve: access.resolve ?? systemResolve };
  return { ok: true, kubeConfig: new TenantKubeConfig(credentials, access.policy, bound), server: credentials.server };
}

/** Why a stored registration gives no client: the sanitiser's reasons, or the record itself. */
export type RegisteredOpen = TenantOpen | { ok: false; reason: 'SecretRefUnsupported' | 'KubeconfigUnreadable'; message: string };

/**
 * A registration record from KV -> a client for its virtual cluster. Records are re-checked on
 * every open: one stored before the sanitiser existed, or written to KV by other means, is refused
 * the same way the API refuses it.
 */
export function openRegisteredCluster(record: Pick<VClusterRecord, 'kubeconfig'>, access: TenantAccess, unseal: (sealed: SealedSecret) => string): RegisteredOpen {
  if (!record.kubeconfig) return { ok: false, reason: 'SecretRefUnsupported', message: 'a kubeconfig from a Secret is not supported yet' };
  let text: string;
  try {
    text = unseal(record.kubeconfig);
  } catch {
    return { ok: false, reason: 'KubeconfigUnreadable', message: 'the stored kubeconfig cannot be opened (sealed with another key, or damaged)' };
  }
  return openTenantKubeConfig(text, access);
}
