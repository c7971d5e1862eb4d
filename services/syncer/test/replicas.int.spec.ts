import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { projectBuckets, SyncerLease, syncerBuckets, VClusterRecord, VClusterStatus } from '@netbroker/contracts';
import { openKv, type JsonKv, type NatsConnection } from '@netbroker/bus';
import { isNotFound } from '@netbroker/kube';
import { hostName } from '@netbroker/naming';
import {
  connectNats,
  eventually,
  freePort,
  kubeconfigFile,
  kubeConfigFor,
  metricValue,
  startNats,
  type ServerProcess,
  type ServiceProcess,
} from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSyncer, vclusterRecord } from './registration';

// Replicas compete through KV buckets every syncer follows: this file runs its own nats-server,
// so no syncer of another test file takes these leases (the apiservers are the shared ones).
const stack = inject('stack');
const host = kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
const virtual = kubeConfigFor(stack.virtual[1]!).makeApiClient(CoreV1Api);
const suffix = randomUUID().slice(0, 6);
const tenant = `rep${suffix}`;
const healthy = `${tenant}.web`;
const down = `${tenant}.down`;
const vcluster = `vr${suffix}`;
const hostNs = `${tenant}-web`;
const key = randomBytes(32);
const LEASE_MS = 4_000;

let dir: string;
let nats: { url: string; proc: ServerProcess };
let nc: NatsConnection;
let leases: JsonKv<typeof SyncerLease>;
let statuses: JsonKv<typeof VClusterStatus>;
const replicas = new Map<string, ServiceProcess>();

const startReplica = async (id: string) => {
  const replica = await startSyncer({ name: `syncer-${id}`, natsUrl: nats.url, dir, key, env: { LEASE_SECONDS: String(LEASE_MS / 1000), REPLICA_ID: id } });
  replicas.set(id, replica);
  return replica;
};

const record = (project: string, kubeconfig: string, name: string) => vclusterRecord({ tenant, project, vcluster: name, kubeconfig, key });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-replicas-'));
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  nats = await startNats(dir, () => undefined, `nats-replicas-${suffix}`);
  nc = await connectNats(nats.url);
  const vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord);
  leases = await openKv(nc, syncerBuckets.leases, SyncerLease);
  statuses = await openKv(nc, syncerBuckets.status, VClusterStatus);
  await host.createNamespace({ body: { metadata: { name: hostNs } } });
  await vclusters.put(healthy, record('web', kubeconfigFile(stack.virtual[1]!), vcluster));
  // A registration whose API server port is closed: a copy of a real kubeconfig, another port.
  const closed = kubeConfigFor(stack.virtual[1]!);
  const server = new URL(stack.virtual[1]!.server);
  server.port = String(await freePort());
  closed.clusters[0] = { ...closed.clusters[0]!, server: server.toString().replace(/\/$/, '') };
  await vclusters.put(down, record('down', closed.exportConfig(), `vd${suffix}`));
  await Promise.all([startReplica(`a-${suffix}`), startReplica(`b-${suffix}`)]);
});
afterAll(async () => {
  for (const replica of replicas.values()) await replica.stop();
  await nc?.close();
  await nats?.proc.stop();
  rmSync(dir, { recursive: true, force: true });
});

const opts = (timeoutMs = 15_000) => ({ timeoutMs });
const holderOf = async (k: string) => (await leases.get(k))?.value.holder;
const vclustersOf = async (replica: ServiceProcess) =>
  metricValue(await (await fetch(`${replica.opsUrl}/metrics`)).text(), 'netbroker_syncer_vclusters', 'service="syncer"');

/** The replica holding the healthy registration, once exactly one runs its loop. */
const soleSyncer = () =>
  eventually(async () => {
    const holder = await holderOf(healthy);
    expect([...replicas.keys()]).toContain(holder);
    const running = await Promise.all([...replicas.entries()].map(async ([id, r]) => [id, await vclustersOf(r)] as const));
    expect(running.filter(([, n]) => n === 1).map(([id]) => id)).toEqual([holder]);
    expect(running.filter(([, n]) => n !== 0 && n !== 1)).toEqual([]);
    return holder!;
  }, opts());

let counter = 0;
/** A new virtual Service appears on the host: whoever holds the lease syncs. */
async function syncsANewService(): Promise<void> {
  const namespace = `rep-${suffix}-${++counter}`;
  await virtual.createNamespace({ body: { metadata: { name: namespace } } });
  await virtual.createNamespacedService({ namespace, body: { metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } } });
  await eventually(async () => {
    try {
      await host.readNamespacedService({ name: hostName({ name: 'svc', namespace, vcluster }), namespace: hostNs });
    } catch (e) {
      if (isNotFound(e)) throw new Error(`svc of ${namespace} not on the host yet`, { cause: e });
      throw e;
    }
  }, opts());
}

describe('syncer replicas', () => {
  it('lets exactly one replica hold a registration and sync it', async () => {
    await soleSyncer();
    await syncsANewService();
  });

  it('hands a registration over within the lease time when its holder is killed', async () => {
    const holder = await soleSyncer();
    const killedAt = Date.now();
    replicas.get(holder)!.proc.kill('SIGKILL');
    await replicas.get(holder)!.proc.exited;
    await replicas.get(holder)!.stop(); // only removes its temp dir now
    replicas.delete(holder);
    const next = await soleSyncer();
    expect(next).not.toBe(holder);
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS + 2_000);
    await syncsANewService();
  });

  it('hands a registration over at once when its holder stops gracefully', async () => {
    await startReplica(`c-${suffix}`);
    const holder = await soleSyncer();
    await replicas.get(holder)!.stop();
    const stoppedAt = Date.now();
    replicas.delete(holder);
    const next = await soleSyncer();
    expect(next).not.toBe(holder);
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE_MS / 2);
    await syncsANewService();
  });
});

describe('registration status', () => {
  it('is Syncing, written by the holder, for a healthy registration', async () => {
    await eventually(async () => {
      const status = (await statuses.get(healthy))?.value;
      expect(status).toMatchObject({ phase: 'Syncing', reason: 'Synced', holder: await holderOf(healthy), conflicts: 0 });
      expect(status?.lastSyncAt).toBeDefined();
    }, opts());
  });

  it('is Unreachable for a registration whose API server does not answer, and nothing runs for it', async () => {
    await eventually(async () => {
      expect((await statuses.get(down))?.value).toMatchObject({ phase: 'Unreachable', reason: 'Unreachable', holder: await holderOf(down) });
    }, opts());
    await soleSyncer(); // only the healthy registration has a loop
  });
});
