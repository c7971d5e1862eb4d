import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { projectBuckets, syncerBuckets, VClusterRecord, VClusterStatus } from '@netbroker/contracts';
import { openKv, type JsonKv, type NatsConnection } from '@netbroker/bus';
import { isNotFound } from '@netbroker/kube';
import { hostName } from '@netbroker/naming';
import { connectNats, eventually, kubeconfigFile, kubeConfigFor, startNats, type ServerProcess, type ServiceProcess } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSyncer, vclusterRecord } from './registration';

// Its own nats-server: registrations of other test files must not count here (shared apiservers).
const stack = inject('stack');
const host = kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
const virtual = kubeConfigFor(stack.virtual[0]!).makeApiClient(CoreV1Api);
const suffix = randomUUID().slice(0, 6);
const tenant = `swp${suffix}`;
const project = 'web';
const registration = `${tenant}.${project}`;
const vcluster = `vs${suffix}`;
const hostNs = `${tenant}-${project}`;
const key = randomBytes(32);

let dir: string;
let nats: { url: string; proc: ServerProcess };
let nc: NatsConnection;
let vclusters: JsonKv<typeof VClusterRecord>;
let statuses: JsonKv<typeof VClusterStatus>;
const syncers: ServiceProcess[] = [];

const addSyncer = async () => {
  const syncer = await startSyncer({ name: `syncer-sweep-${syncers.length}`, natsUrl: nats.url, dir, key, env: { LEASE_SECONDS: '2' } });
  syncers.push(syncer);
  return syncer;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-sweep-'));
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  nats = await startNats(dir, () => undefined, `nats-sweep-${suffix}`);
  nc = await connectNats(nats.url);
  vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord);
  statuses = await openKv(nc, syncerBuckets.status, VClusterStatus);
  await host.createNamespace({ body: { metadata: { name: hostNs } } });
});
afterAll(async () => {
  for (const syncer of syncers) await syncer.stop();
  await nc?.close();
  await nats?.proc.stop();
  rmSync(dir, { recursive: true, force: true });
});

const onHost = async (name: string) => {
  try {
    await host.readNamespacedService({ name, namespace: hostNs });
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
};

describe('orphan sweep', () => {
  it('deletes the host objects of a registration deleted while no syncer ran', async () => {
    await vclusters.put(registration, vclusterRecord({ tenant, project, vcluster, kubeconfig: kubeconfigFile(stack.virtual[0]!), key }));
    const first = await addSyncer();
    const namespace = `swp-${suffix}`;
    await virtual.createNamespace({ body: { metadata: { name: namespace } } });
    await virtual.createNamespacedService({ namespace, body: { metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } } });
    const synced = hostName({ name: 'svc', namespace, vcluster });
    await eventually(async () => {
      expect(await onHost(synced)).toBe(true);
      expect((await statuses.get(registration))?.value.phase).toBe('Syncing');
    }, { timeoutMs: 15_000 });

    first.proc.kill('SIGKILL');
    await first.proc.exited;
    await vclusters.delete(registration);
    expect(await onHost(synced)).toBe(true); // nobody saw the deregistration

    await addSyncer();
    await eventually(async () => expect(await onHost(synced)).toBe(false), { timeoutMs: 15_000 });
    await eventually(async () => expect(await statuses.get(registration)).toBeUndefined(), { timeoutMs: 5_000 });
  });
});
