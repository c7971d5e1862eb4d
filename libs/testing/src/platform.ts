import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, kubeconfigFile } from './clients';
import { freePort } from './ports';
import type { ServerProcess } from './backends';
import { startNats, type ClusterInfo } from './servers';
import { startService, type ServiceProcess } from './services';

export interface ApiAnswer {
  status: number;
  body: unknown;
  text: string;
}

export interface PrivatePlatform {
  dir: string;
  natsUrl: string;
  nc: NatsConnection;
  /** NATS, the host kubeconfig and the sealing key: what a controller service needs besides its own settings. */
  env: Record<string, string>;
  adminToken: string;
  /** The api's base URL (`http://127.0.0.1:<port>`), for clients of its HTTP API. */
  apiUrl: string;
  /** Calls the api (`bearer` default: the admin token). */
  call(method: string, path: string, body?: unknown, bearer?: string): Promise<ApiAnswer>;
  /** Starts another service on this platform (stopped with it). */
  start(service: string, name: string, env?: Record<string, string>): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

export interface PrivatePlatformOptions {
  /** Names processes and the temp dir, e.g. `mapper-replicas`. */
  name: string;
  host: ClusterInfo;
  /** `IPAM_POOLS` of the ipam. */
  pools: unknown[];
  /** Also run the provisioner (projects become Ready). */
  provisioner?: boolean;
  /** More settings of the api (e.g. its default pools). */
  apiEnv?: Record<string, string>;
}

/**
 * A platform of its own for a test file: a private nats-server (so no service of another test file
 * takes its leases or answers its requests), ipam, optionally the provisioner, and the api, on the
 * shared API servers. Everything it started stops with `stop()`.
 */
export async function startPrivatePlatform(opts: PrivatePlatformOptions): Promise<PrivatePlatform> {
  const dir = mkdtempSync(join(tmpdir(), `netbroker-${opts.name}-`));
  const started: ServiceProcess[] = [];
  let nats: { url: string; proc: ServerProcess } | undefined;
  let nc: NatsConnection | undefined;
  const stop = async () => {
    for (const s of started.reverse()) await s.stop();
    await nc?.close();
    await nats?.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(opts.host));
    nats = await startNats(dir, () => undefined, `nats-${opts.name}`);
    nc = await connectNats(nats.url);
    const common = { NATS_URL: nats.url, LOG_LEVEL: 'warn' };
    const env = { ...common, KUBECONFIG: join(dir, 'host.kubeconfig'), NETBROKER_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
    const start = async (service: string, name: string, own: Record<string, string> = {}) => {
      const process = await startService({ service, name, env: { ...env, ...own } });
      started.push(process);
      return process;
    };
    const adminToken = randomBytes(24).toString('base64url');
    await start('ipam', `ipam-${opts.name}`, { IPAM_POOLS: JSON.stringify(opts.pools) });
    if (opts.provisioner) await start('provisioner', `provisioner-${opts.name}`);
    const port = await freePort();
    await start('api', `api-${opts.name}`, { HTTP_PORT: String(port), NETBROKER_ADMIN_TOKEN: adminToken, ...opts.apiEnv });
    const call = async (method: string, path: string, body?: unknown, bearer = adminToken): Promise<ApiAnswer> => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, text };
    };
    return { dir, natsUrl: nats.url, nc, env, adminToken, apiUrl: `http://127.0.0.1:${port}`, call, start, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
