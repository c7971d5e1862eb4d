import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus } from '@netbroker/bus';
import { buildService, freePort, kubeConfigFor, kubeconfigFile, LoadBalancerStandIn, startService, startStack, type ServiceProcess, type Stack } from '@netbroker/testing';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * A service that exits while starting is started once more, as its Deployment would restart it:
 * on the loaded 2-core machine a JetStream API call of its start-up (an R3 bucket or stream
 * being created) can time out, and main.ts exits on it.
 */
async function startWithRetry(opts: Parameters<typeof startService>[0]): Promise<ServiceProcess> {
  try {
    return await startService(opts);
  } catch (e) {
    process.stderr.write(`[faults] ${opts.name} failed to start, starting it again: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`);
    return await startService(opts);
  }
}

/** The services of the fault suite, two replicas each. */
export const SERVICES = ['ipam', 'provisioner', 'syncer', 'mapper', 'exposer', 'api'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface Replica {
  service: ServiceName;
  name: string;
  env: Record<string, string>;
  /** The bundle it runs. */
  entry: string;
  process: ServiceProcess;
  /** The api replica's URL. */
  url?: string;
}

export interface FaultPlatform {
  stack: Stack;
  dir: string;
  nc: NatsConnection;
  adminToken: string;
  replicas: Replica[];
  /** Every api replica's URL (fixed ports: a restarted replica answers on the same one). */
  apis: string[];
  /** SIGKILLs a replica (a crash) and starts it again with the same settings and ports. */
  crashAndRestart(replica: Replica, downMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A stack with a 3-node NATS cluster, the host and `virtualClusters` virtual apiservers, two
 * replicas of every service (api replicas share the admin token and the sealing key; JetStream at
 * R3), the load balancer stand-in (exposures get their address), and the pools.
 */
export async function startFaultPlatform({ virtualClusters }: { virtualClusters: number }): Promise<FaultPlatform> {
  const dir = mkdtempSync(join(tmpdir(), 'netbroker-faults-'));
  const replicas: Replica[] = [];
  let stack: Stack | undefined;
  let nc: NatsConnection | undefined;
  let standIn: LoadBalancerStandIn | undefined;
  const stop = async () => {
    standIn?.stop();
    // Api first (no new writes), then the controllers, the ipam last.
    for (const r of [...replicas].reverse()) await r.process.stop();
    await nc?.close().catch(() => undefined);
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    stack = await startStack({ nats: { nodes: 3 }, host: true, virtualClusters });
    writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
    nc = await connectBus({ servers: stack.natsUrl!, name: 'faults-test' });
    const adminToken = `nba_${randomBytes(24).toString('base64url')}`;
    const key = randomBytes(32).toString('base64');
    const common = { NATS_URL: stack.natsUrl!, NATS_REPLICAS: '3', LOG_LEVEL: 'warn' };
    const controller = { KUBECONFIG: join(dir, 'host.kubeconfig'), NETBROKER_ENCRYPTION_KEY: key };
    const own: Record<ServiceName, (i: number) => Record<string, string>> = {
      ipam: () => ({ HOST_SERVICE_CIDRS: stack!.host!.serviceCidr }),
      provisioner: (i) => ({ ...controller, REPLICA_ID: `provisioner-${i}`, LEASE_SECONDS: '6' }),
      syncer: (i) => ({ ...controller, REPLICA_ID: `syncer-${i}`, PROBE_SECONDS: '2' }),
      mapper: (i) => ({ ...controller, REPLICA_ID: `mapper-${i}`, LEASE_SECONDS: '6' }),
      exposer: (i) => ({ ...controller, REPLICA_ID: `exposer-${i}`, LEASE_SECONDS: '6', RESYNC_INTERVAL_MS: '5000', LB_PROVIDER: 'metallb', ENTRY_NAMESPACE: 'netbroker-entries' }),
      api: () => ({ NETBROKER_ADMIN_TOKEN: adminToken, NETBROKER_ENCRYPTION_KEY: key, RATE_LIMIT_PER_SECOND: '10000', RATE_LIMIT_BURST: '10000' }),
    };
    // Bundles, as the image ships them: no TypeScript loader in twelve processes on two cores.
    const entries = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await buildService(s, join(dir, 'dist'))] as const)));
    const apis: string[] = [];
    // Replica 0 of each service in turn (each creates its R3 buckets and streams), then every replica 1 at once.
    const waves: Array<Array<[ServiceName, number]>> = [...SERVICES.map((s) => [[s, 0]] as Array<[ServiceName, number]>), SERVICES.map((s) => [s, 1] as [ServiceName, number])];
    for (const wave of waves) {
      const started = await Promise.all(
        wave.map(async ([service, i]): Promise<Replica> => {
            const port = service === 'api' ? await freePort() : undefined;
            const env = { ...common, ...own[service](i), ...(port ? { HTTP_PORT: String(port) } : {}) };
            const name = `${service}-${i}`;
            const entry = entries[service]!;
            const process = await startWithRetry({ service, name, env, entry, timeoutMs: 120_000 });
            return { service, name, env, entry, process, ...(port ? { url: `http://127.0.0.1:${port}` } : {}) };
        }),
      );
      replicas.push(...started);
      for (const r of started) if (r.url) apis.push(r.url);
    }
    const admin = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${apis[0]}${path}`, { method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    };
    await admin('PUT', '/admin/pools/projects', { kind: 'prefix', prefixes: ['10.0.0.0/8'], presets: ['ovh-mks-free'] });
    await admin('PUT', '/admin/pools/egress-cloud', { kind: 'address', prefixes: ['100.64.0.0/16'] });
    await admin('PUT', '/admin/pools/egress-public', { kind: 'address', prefixes: ['198.18.0.0/16'] });
    standIn = new LoadBalancerStandIn(kubeConfigFor(stack.host!), () => undefined);
    await standIn.start();
    const crashAndRestart = async (replica: Replica, downMs: number) => {
      replica.process.proc.kill('SIGKILL');
      await replica.process.proc.exited;
      await replica.process.stop(); // removes its temp dir
      await new Promise((r) => setTimeout(r, downMs));
      replica.process = await startWithRetry({ service: replica.service, name: replica.name, env: replica.env, entry: replica.entry, timeoutMs: 120_000 });
    };
    return { stack, dir, nc, adminToken, replicas, apis, crashAndRestart, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
