import { randomBytes } from 'node:crypto';
import { connectNats, freePort, startService, type ServiceProcess } from '@netbroker/testing';
import type { NatsConnection } from '@netbroker/bus';
import { CreatedToken, Problem } from '@netbroker/contracts';
import { Kvm } from '@nats-io/kv';
import { fillUrl } from '../src/http/route';

/** A short random suffix: test files share one nats-server, so every name they create is unique. */
export const runId = () => randomBytes(3).toString('hex');

export interface Answer {
  status: number;
  headers: Headers;
  /** The parsed JSON body (undefined when empty or not JSON): parse it with its contract. */
  body: unknown;
  text: string;
}

export interface CallOptions {
  token?: string;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** fetch against the API, with a bearer token and a JSON body. */
export async function call(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, opts.headers);
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

export interface ApiUnderTest {
  url: string;
  adminToken: string;
  encryptionKey: Buffer;
  api: ServiceProcess;
  ipam?: ServiceProcess;
  nc: NatsConnection;
  pools: { projects: string; cloud: string; public: string };
  /** As the admin. */
  admin: (method: string, path: string, opts?: Omit<CallOptions, 'token'>) => Promise<Answer>;
  /** As whoever holds `token`. */
  as: (token: string | undefined) => (method: string, path: string, opts?: Omit<CallOptions, 'token'>) => Promise<Answer>;
  stop(): Promise<void>;
}

export interface StartOptions {
  natsUrl: string;
  /** Names the pools `<prefix>-projects`, `<prefix>-egress-cloud`, `<prefix>-egress-public`. */
  prefix: string;
  withIpam?: boolean;
  env?: Record<string, string>;
  /** Another replica of an api already started: its admin token and sealing key (default: new ones). */
  replicaOf?: Pick<ApiUnderTest, 'adminToken' | 'encryptionKey'>;
}

/** The real ipam and api services from their main.ts, on the given NATS. */
export async function startApi({ natsUrl, prefix, withIpam = true, env = {}, replicaOf }: StartOptions): Promise<ApiUnderTest> {
  const adminToken = replicaOf?.adminToken ?? randomBytes(24).toString('base64url');
  const encryptionKey = replicaOf?.encryptionKey ?? randomBytes(32);
  const port = await freePort();
  const pools = { projects: `${prefix}-projects`, cloud: `${prefix}-egress-cloud`, public: `${prefix}-egress-public` };
  const ipam = withIpam
    ? await startService({ service: 'ipam', name: `ipam-${prefix}`, env: { NATS_URL: natsUrl, HOST_SERVICE_CIDRS: '10.96.0.0/16', LOG_LEVEL: 'warn' } })
    : undefined;
  const api = await startService({
    service: 'api',
    name: replicaOf ? `api-${prefix}-replica` : `api-${prefix}`,
    env: {
      NATS_URL: natsUrl,
      HTTP_PORT: String(port),
      NETBROKER_ADMIN_TOKEN: adminToken,
      NETBROKER_ENCRYPTION_KEY: encryptionKey.toString('base64'),
      DEFAULT_PROJECT_POOL: pools.projects,
      EGRESS_POOL_CLOUD: pools.cloud,
      EGRESS_POOL_PUBLIC: pools.public,
      RATE_LIMIT_BURST: '100000',
      RATE_LIMIT_PER_SECOND: '100000',
      LOG_LEVEL: 'info',
      ...env,
    },
  }).catch(async (e: unknown) => {
    await ipam?.stop();
    throw e;
  });
  const url = `http://127.0.0.1:${port}`;
  const nc = await connectNats(natsUrl);
  const as = (token: string | undefined) => (method: string, path: string, opts: Omit<CallOptions, 'token'> = {}) =>
    call(url, method, path, { ...opts, ...(token !== undefined ? { token } : {}) });
  return {
    url,
    adminToken,
    encryptionKey,
    api,
    ...(ipam ? { ipam } : {}),
    nc,
    pools,
    admin: as(adminToken),
    as,
    async stop() {
      await nc.close();
      await api.stop();
      await ipam?.stop();
    },
  };
}

/**
 * The real router service (the only writer of routes, peerings and private networks) on the
 * given NATS, realising plans with the Linux backend (no agent runs in the api's tests: peerings
 * stay Programming). `linkPool` must be an ipam prefix pool.
 */
export function startRouter(natsUrl: string, name: string, linkPool: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
  return startService({
    service: 'router',
    name,
    env: { NATS_URL: natsUrl, BACKENDS: 'linux', LINK_POOL: linkPool, HOST_SERVICE_CIDRS: '10.96.0.0/16', LOG_LEVEL: 'warn', ...env },
  });
}

/** Creates the three pools of a test file through the admin API. */
export async function createPools(t: ApiUnderTest, projects: Record<string, unknown>): Promise<void> {
  const specs: Array<[string, Record<string, unknown>]> = [
    [t.pools.projects, { kind: 'prefix', ...projects }],
    [t.pools.cloud, { kind: 'address', ranges: [{ start: '198.51.100.10', end: '198.51.100.250' }] }],
    [t.pools.public, { kind: 'address', ranges: [{ start: '203.0.113.10', end: '203.0.113.250' }] }],
  ];
  for (const [name, spec] of specs) {
    const res = await t.admin('PUT', `/admin/pools/${name}`, { body: spec });
    if (res.status !== 200) throw new Error(`pool ${name}: ${res.status} ${res.text}`);
  }
}

/** A tenant and one token for it. */
export async function createTenant(t: ApiUnderTest, name: string, extra: Record<string, unknown> = {}): Promise<{ token: string; tokenId: string }> {
  const created = await t.admin('POST', '/admin/tenants', { body: { name, ...extra } });
  if (created.status !== 201) throw new Error(`tenant ${name}: ${created.status} ${created.text}`);
  const token = await t.admin('POST', `/admin/tenants/${name}/tokens`, { body: { name: 'test' } });
  if (token.status !== 201) throw new Error(`token for ${name}: ${token.status} ${token.text}`);
  const { token: secret, id } = CreatedToken.parse(token.body);
  return { token: secret, tokenId: id };
}

/** Every key of a KV bucket under a filter, read straight from NATS. */
export async function kvKeys(nc: NatsConnection, bucket: string, filter = '>'): Promise<string[]> {
  const kv = await new Kvm(nc).open(bucket);
  const keys: string[] = [];
  for await (const key of await kv.keys(filter)) keys.push(key);
  return keys.sort();
}

/** The raw bytes of one KV value as text (what is really stored). */
export async function kvText(nc: NatsConnection, bucket: string, key: string): Promise<string | undefined> {
  const kv = await new Kvm(nc).open(bucket);
  const entry = await kv.get(key);
  return entry && entry.operation === 'PUT' ? entry.string() : undefined;
}

/** Replaces `:name` placeholders of a route URL (and reads fastify's `::` as the `:` it stands for). */
export const fillPath = (url: string, values: Record<string, string>) =>
  fillUrl(url, (name) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for :${name} in ${url}`);
    return value;
  });

/** The problem+json of an answer, checked against the contract. */
export function problemOf(res: Answer): Problem {
  if (!res.headers.get('content-type')?.startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${res.headers.get('content-type')}: ${res.status} ${res.text}`);
  }
  return Problem.parse(res.body);
}
