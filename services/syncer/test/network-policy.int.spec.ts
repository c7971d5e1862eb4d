import { randomUUID } from 'node:crypto';
import { CoreV1Api, NetworkingV1Api, type V1NetworkPolicy } from '@kubernetes/client-node';
import { projectBuckets, projectKey, ProjectStatus } from '@netbroker/contracts';
import { openKv, type NatsConnection } from '@netbroker/bus';
import { isNotFound, OwnedApplier } from '@netbroker/kube';
import { hostName, hostNamespace, labels } from '@netbroker/naming';
import { createLogger } from '@netbroker/runtime';
import { connectNats, eventually, kubeConfigFor } from '@netbroker/testing';
import { syncContextFor } from '@netbroker/translate';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openSyncBuckets, type SyncBuckets } from '../src/claims';
import { VClusterSync } from '../src/vcluster-sync';
import type { WriteKind } from '../src/writes';

// The sync loop run in-process against the shared real stack, NetworkPolicies on, for a project
// whose status records CIDR 10.77.0.0/24.
const stack = inject('stack');
const hostConfig = kubeConfigFor(stack.host!);
const hostNet = hostConfig.makeApiClient(NetworkingV1Api);
const hostCore = hostConfig.makeApiClient(CoreV1Api);
const virtualConfig = kubeConfigFor(stack.virtual[0]!);
const virtualNet = virtualConfig.makeApiClient(NetworkingV1Api);
const virtualCore = virtualConfig.makeApiClient(CoreV1Api);
const suffix = randomUUID().slice(0, 6);
const tenant = `np${suffix}`;
const vcluster = `vc${tenant}`;
const hostNs = hostNamespace(tenant, 'web');
const cidr = '10.77.0.0/24';

let nc: NatsConnection;
let buckets: SyncBuckets;
let sync: VClusterSync | undefined;
let writes: WriteKind[] = [];

async function startLoop(): Promise<VClusterSync> {
  writes = [];
  const options = { syncIngresses: false, syncNetworkPolicies: true, syncIngressClasses: false };
  sync = new VClusterSync({
    ctx: syncContextFor({ tenant, project: 'web', options: { name: vcluster, ...options } }),
    virtual: { id: 'virtual', kubeConfig: virtualConfig },
    host: { id: 'host', kubeConfig: hostConfig },
    applier: new OwnedApplier(hostConfig, 'netbroker-syncer'),
    countWrite: (kind) => writes.push(kind),
    onReconciled: () => undefined,
    logger: createLogger({ service: 'syncer-test', level: 'silent' }),
    concurrency: 4,
    now: () => new Date(),
    options,
    buckets,
  });
  await sync.start();
  return sync;
}

beforeAll(async () => {
  nc = await connectNats(stack.natsUrl!);
  buckets = await openSyncBuckets(nc);
  const status = await openKv(nc, projectBuckets.status, ProjectStatus);
  await status.put(projectKey(tenant, 'web'), { v: 1, uid: randomUUID(), observedGeneration: 1, phase: 'Ready', namespace: hostNs, cidr, conditions: [] });
  await hostCore.createNamespace({ body: { metadata: { name: hostNs } } });
  await startLoop();
});
afterAll(async () => {
  await sync?.stop();
  await nc?.close();
});

let counter = 0;
async function virtualNamespace(): Promise<string> {
  const name = `n${suffix}-${++counter}`;
  await virtualCore.createNamespace({ body: { metadata: { name } } });
  return name;
}

const policy = (name: string, egressCidr: string): V1NetworkPolicy => ({
  metadata: { name },
  spec: {
    podSelector: { matchLabels: { app: 'db' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{ _from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
    egress: [{ to: [{ ipBlock: { cidr: egressCidr } }] }],
  },
});

const hostCopy = async (namespace: string, name: string) => {
  try {
    return await hostNet.readNamespacedNetworkPolicy({ name: hostName({ name, namespace, vcluster }), namespace: hostNs });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
};
const opts = { timeoutMs: 15_000 };
const synced = (namespace: string, name: string) =>
  eventually(async () => {
    const h = await hostCopy(namespace, name);
    expect(h).toBeDefined();
    return h!;
  }, opts);
const warned = (namespace: string, name: string, reason: string) =>
  eventually(async () => {
    const events = await virtualCore.listNamespacedEvent({ namespace });
    const found = events.items.find((e) => e.type === 'Warning' && e.reason === reason && e.involvedObject.kind === 'NetworkPolicy' && e.involvedObject.name === name);
    expect(found).toBeDefined();
    return found!;
  }, opts);

describe('syncing NetworkPolicies virtual -> host', () => {
  it('translates a policy with pod selectors scoped to the virtual cluster and namespace, and deletes it with the virtual one', async () => {
    const ns = await virtualNamespace();
    await virtualNet.createNamespacedNetworkPolicy({ namespace: ns, body: policy('db', '10.77.0.0/28') });
    const h = await synced(ns, 'db');
    const scope = { [labels.vclusterManagedBy]: vcluster, [labels.vclusterNamespace]: ns };
    expect(h.spec?.podSelector?.matchLabels).toEqual({ app: 'db', ...scope });
    expect(h.spec?.ingress?.[0]?._from).toEqual([{ podSelector: { matchLabels: { app: 'web', ...scope } } }]);
    expect(h.spec?.ingress?.[0]?.ports).toEqual([{ protocol: 'TCP', port: 5432 }]);
    expect(h.spec?.egress?.[0]?.to).toEqual([{ ipBlock: { cidr: '10.77.0.0/28' } }]);
    expect(h.spec?.policyTypes).toEqual(['Ingress', 'Egress']);

    await virtualNet.deleteNamespacedNetworkPolicy({ name: 'db', namespace: ns });
    await eventually(async () => expect(await hostCopy(ns, 'db')).toBeUndefined(), opts);
  });

  it("refuses an ipBlock outside the project's CIDR and removes the copy synced before", async () => {
    const ns = await virtualNamespace();
    await virtualNet.createNamespacedNetworkPolicy({ namespace: ns, body: policy('out', '10.77.0.0/24') });
    await synced(ns, 'out');
    await virtualNet.replaceNamespacedNetworkPolicy({ name: 'out', namespace: ns, body: policy('out', '192.0.2.0/24') });
    const event = await warned(ns, 'out', 'IpBlockOutsideProject');
    expect(event.message).toContain('192.0.2.0/24');
    await eventually(async () => expect(await hostCopy(ns, 'out')).toBeUndefined(), opts);
  });
});

describe('restarts', () => {
  it('makes no writes when restarted with everything in sync', async () => {
    const ns = await virtualNamespace();
    await virtualNet.createNamespacedNetworkPolicy({ namespace: ns, body: policy('kept', '10.77.0.128/25') });
    await virtualNet.createNamespacedNetworkPolicy({ namespace: ns, body: policy('refused', '0.0.0.0/0') });
    await synced(ns, 'kept');
    await warned(ns, 'refused', 'IpBlockOutsideProject');
    await eventually(() => expect(sync?.hasSynced).toBe(true), opts);
    const before = (await hostNet.listNamespacedNetworkPolicy({ namespace: hostNs })).items.map((p) => `${p.metadata?.name}@${p.metadata?.resourceVersion}`);

    await sync?.stop();
    const restarted = await startLoop();
    await eventually(() => expect(restarted.hasSynced).toBe(true), opts);
    expect(writes).toEqual([]);
    const after = (await hostNet.listNamespacedNetworkPolicy({ namespace: hostNs })).items.map((p) => `${p.metadata?.name}@${p.metadata?.resourceVersion}`);
    expect(after).toEqual(before);
  });
});
