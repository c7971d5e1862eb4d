import { randomUUID } from 'node:crypto';
import { CoreV1Api, NetworkingV1Api, type KubeConfig, type V1Ingress } from '@kubernetes/client-node';
import { projectBuckets, TenantRecord, type VClusterOptions } from '@netbroker/contracts';
import { openKv, type NatsConnection } from '@netbroker/bus';
import { orUndefined, OwnedApplier } from '@netbroker/kube';
import { hostName, hostNamespace } from '@netbroker/naming';
import { createLogger } from '@netbroker/runtime';
import { connectNats, eventually, kubeConfigFor } from '@netbroker/testing';
import { hostnameClaimKey, syncContextFor } from '@netbroker/translate';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openSyncBuckets, type SyncBuckets } from '../src/claims';
import type { WriteKind } from '../src/writes';
import { VClusterSync } from '../src/vcluster-sync';

// The sync loop run in-process against the shared real stack: project A (tenant a…) on the first
// virtual cluster, project B (tenant b…) on the second. No other test syncs Ingresses of them.
const stack = inject('stack');
const hostConfig = kubeConfigFor(stack.host!);
const hostNet = hostConfig.makeApiClient(NetworkingV1Api);
const hostCore = hostConfig.makeApiClient(CoreV1Api);
const suffix = randomUUID().slice(0, 6);
const domain = `a${suffix}.example`;
const options: Pick<VClusterOptions, 'syncIngresses' | 'syncNetworkPolicies' | 'syncIngressClasses'> = {
  syncIngresses: true,
  syncNetworkPolicies: false,
  syncIngressClasses: true,
};

interface Project {
  tenant: string;
  vcluster: string;
  hostNs: string;
  virtualConfig: KubeConfig;
  net: NetworkingV1Api;
  core: CoreV1Api;
  writes: WriteKind[];
  sync?: VClusterSync;
}

const project = (tenant: string, virtual: number): Project => {
  const virtualConfig = kubeConfigFor(stack.virtual[virtual]!);
  return {
    tenant,
    vcluster: `vc${tenant}`,
    hostNs: hostNamespace(tenant, 'web'),
    virtualConfig,
    net: virtualConfig.makeApiClient(NetworkingV1Api),
    core: virtualConfig.makeApiClient(CoreV1Api),
    writes: [],
  };
};
const A = project(`a${suffix}`, 0);
const B = project(`b${suffix}`, 1);

let nc: NatsConnection;
let buckets: SyncBuckets;

async function startLoop(p: Project): Promise<VClusterSync> {
  p.writes = [];
  const sync = new VClusterSync({
    ctx: syncContextFor({ tenant: p.tenant, project: 'web', options: { name: p.vcluster, ...options } }),
    virtual: { id: `virtual-${p.tenant}`, kubeConfig: p.virtualConfig },
    host: { id: 'host', kubeConfig: hostConfig },
    applier: new OwnedApplier(hostConfig, 'netbroker-syncer'),
    countWrite: (kind) => p.writes.push(kind),
    onReconciled: () => undefined,
    logger: createLogger({ service: 'syncer-test', level: 'silent' }),
    concurrency: 4,
    now: () => new Date(),
    options,
    buckets,
  });
  p.sync = sync;
  await sync.start();
  return sync;
}

beforeAll(async () => {
  nc = await connectNats(stack.natsUrl!);
  buckets = await openSyncBuckets(nc);
  const tenants = await openKv(nc, projectBuckets.tenants, TenantRecord);
  const tenant = (name: string, hostnameSuffixes: string[]) =>
    tenants.put(name, { v: 1, name, uid: randomUUID(), createdAt: new Date().toISOString(), quotas: { maxProjects: 5, maxAddressesPerPool: {} }, hostnameSuffixes, importNamespaces: [] });
  await tenant(A.tenant, [domain]);
  await tenant(B.tenant, []);
  for (const p of [A, B]) {
    await hostCore.createNamespace({ body: { metadata: { name: p.hostNs } } });
    await startLoop(p);
  }
});
afterAll(async () => {
  await A.sync?.stop();
  await B.sync?.stop();
  await nc?.close();
});

let counter = 0;
async function virtualNamespace(p: Project): Promise<string> {
  const name = `i${suffix}-${++counter}`;
  await p.core.createNamespace({ body: { metadata: { name } } });
  return name;
}

const ingress = (name: string, host: string, extra: Partial<V1Ingress['spec']> = {}): V1Ingress => ({
  metadata: { name },
  spec: {
    rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 80 } } } }] } }],
    ...extra,
  },
});

const hostCopy = (p: Project, namespace: string, name: string) =>
  orUndefined(() => hostNet.readNamespacedIngress({ name: hostName({ name, namespace, vcluster: p.vcluster }), namespace: p.hostNs }));
const opts = { timeoutMs: 15_000 };

const synced = (p: Project, namespace: string, name: string) =>
  eventually(async () => {
    const h = await hostCopy(p, namespace, name);
    expect(h).toBeDefined();
    return h!;
  }, opts);

const warned = (p: Project, namespace: string, name: string, reason: string) =>
  eventually(async () => {
    const events = await p.core.listNamespacedEvent({ namespace });
    const found = events.items.find((e) => e.type === 'Warning' && e.reason === reason && e.involvedObject.kind === 'Ingress' && e.involvedObject.name === name);
    expect(found).toBeDefined();
    return found!;
  }, opts);

const claimOf = async (host: string) => (await buckets.claims.get(hostnameClaimKey(host)))?.value;

describe('syncing Ingresses virtual -> host', () => {
  it('creates the host Ingress with host backends and TLS, back-syncs its status, follows host name changes, re-creates it, and deletes it', async () => {
    const ns = await virtualNamespace(A);
    const host = `shop.${domain}`;
    await A.net.createNamespacedIngress({ namespace: ns, body: ingress('shop', host, { tls: [{ hosts: [host], secretName: 'shop-tls' }] }) });
    const h = await synced(A, ns, 'shop');
    expect(h.spec?.rules?.[0]?.http?.paths[0]?.backend.service?.name).toBe(hostName({ name: 'api', namespace: ns, vcluster: A.vcluster }));
    expect(h.spec?.tls).toEqual([{ hosts: [host], secretName: hostName({ name: 'shop-tls', namespace: ns, vcluster: A.vcluster }) }]);
    expect(await claimOf(host)).toMatchObject({ tenant: A.tenant, project: 'web', vcluster: A.vcluster, host });

    await hostNet.replaceNamespacedIngressStatus({ name: h.metadata!.name!, namespace: A.hostNs, body: { ...h, status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } } } });
    await eventually(async () => {
      const v = await A.net.readNamespacedIngress({ name: 'shop', namespace: ns });
      expect(v.status?.loadBalancer?.ingress?.map((i) => i.ip)).toEqual(['203.0.113.9']);
    }, opts);

    const renamed = `shop2.${domain}`;
    const current = await A.net.readNamespacedIngress({ name: 'shop', namespace: ns });
    await A.net.replaceNamespacedIngress({ name: 'shop', namespace: ns, body: { ...current, spec: ingress('shop', renamed).spec } });
    await eventually(async () => {
      expect((await hostCopy(A, ns, 'shop'))?.spec?.rules?.map((r) => r.host)).toEqual([renamed]);
      expect(await claimOf(host)).toBeUndefined(); // no Ingress of A uses it any more
      expect(await claimOf(renamed)).toMatchObject({ tenant: A.tenant });
    }, opts);

    await hostNet.deleteNamespacedIngress({ name: h.metadata!.name!, namespace: A.hostNs });
    await eventually(async () => expect((await hostCopy(A, ns, 'shop'))?.metadata?.uid).not.toBe(h.metadata?.uid), opts);
    await synced(A, ns, 'shop');

    await A.net.deleteNamespacedIngress({ name: 'shop', namespace: ns });
    await eventually(async () => {
      expect(await hostCopy(A, ns, 'shop')).toBeUndefined();
      expect(await claimOf(renamed)).toBeUndefined();
    }, opts);
  });

  it("refuses project B's Ingress for project A's host name while A's keeps working, and lets B claim it once A lets go", async () => {
    const [nsA, nsB] = [await virtualNamespace(A), await virtualNamespace(B)];
    const host = `hijack.${domain}`;
    await A.net.createNamespacedIngress({ namespace: nsA, body: ingress('site', host) });
    const before = await synced(A, nsA, 'site');

    await B.net.createNamespacedIngress({ namespace: nsB, body: ingress('evil', host) });
    const event = await warned(B, nsB, 'evil', 'HostnameClaimed');
    expect(event.message).toContain(host);
    expect(await hostCopy(B, nsB, 'evil')).toBeUndefined();
    expect((await hostCopy(A, nsA, 'site'))?.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(await claimOf(host)).toMatchObject({ tenant: A.tenant });

    await A.net.deleteNamespacedIngress({ name: 'site', namespace: nsA });
    await synced(B, nsB, 'evil');
    expect(await claimOf(host)).toMatchObject({ tenant: B.tenant, vcluster: B.vcluster });
    expect(await hostCopy(A, nsA, 'site')).toBeUndefined();
  });

  it('refuses a host name a host Ingress netbroker does not own uses, until that Ingress goes', async () => {
    const ns = await virtualNamespace(A);
    const host = `taken.${domain}`;
    const squatter = `squat-${suffix}`;
    await hostNet.createNamespacedIngress({ namespace: 'default', body: ingress(squatter, host) });
    await A.net.createNamespacedIngress({ namespace: ns, body: ingress('mine', host) });
    const event = await warned(A, ns, 'mine', 'HostnameInUse');
    expect(event.message).toContain(`default/${squatter}`);
    expect(await hostCopy(A, ns, 'mine')).toBeUndefined();
    expect(await claimOf(host)).toBeUndefined();

    await hostNet.deleteNamespacedIngress({ name: squatter, namespace: 'default' });
    await synced(A, ns, 'mine');
  });

  it("refuses host names outside the tenant's suffixes", async () => {
    const ns = await virtualNamespace(A);
    const host = `www.b${suffix}.example`;
    await A.net.createNamespacedIngress({ namespace: ns, body: ingress('outside', host) });
    await warned(A, ns, 'outside', 'HostnameNotAllowed');
    expect(await hostCopy(A, ns, 'outside')).toBeUndefined();
    expect(await claimOf(host)).toBeUndefined();
  });

  it('refuses an Ingress naming a class the host does not offer, until it does', async () => {
    const ns = await virtualNamespace(A);
    const className = `nope-${suffix}`;
    await A.net.createNamespacedIngress({ namespace: ns, body: ingress('classy', `classy.${domain}`, { ingressClassName: className }) });
    await warned(A, ns, 'classy', 'IngressClassNotOffered');
    expect(await hostCopy(A, ns, 'classy')).toBeUndefined();

    await hostNet.createIngressClass({ body: { metadata: { name: className }, spec: { controller: 'example.com/ingress' } } });
    await synced(A, ns, 'classy');
    await eventually(async () => expect((await A.net.readIngressClass({ name: className })).spec?.controller).toBe('example.com/ingress'), opts);
  });
});

describe('restarts and deregistration', () => {
  it('makes no writes when restarted with everything in sync', async () => {
    const ns = await virtualNamespace(A);
    await A.net.createNamespacedIngress({ namespace: ns, body: ingress('calm', `calm.${domain}`, { tls: [{ hosts: [`calm.${domain}`], secretName: 'calm' }] }) });
    await A.net.createNamespacedIngress({ namespace: ns, body: ingress('refused', `calm.b${suffix}.example`) });
    await synced(A, ns, 'calm');
    await warned(A, ns, 'refused', 'HostnameNotAllowed');
    await eventually(() => expect(A.sync?.hasSynced).toBe(true), opts);
    const versions = async () => {
      const [h, v] = [await hostNet.listNamespacedIngress({ namespace: A.hostNs }), await A.net.listNamespacedIngress({ namespace: ns })];
      return [...h.items, ...v.items].map((i) => `${i.metadata?.namespace}/${i.metadata?.name}@${i.metadata?.resourceVersion}`).sort();
    };
    const before = await versions();

    await A.sync?.stop();
    const sync = await startLoop(A);
    await eventually(() => expect(sync.hasSynced).toBe(true), opts);
    expect(A.writes).toEqual([]);
    expect(await versions()).toEqual(before);
  });

  it("deletes a deregistered cluster's host Ingresses and releases its claims", async () => {
    const ns = await virtualNamespace(B);
    const host = `bye.b${suffix}.example`;
    await B.net.createNamespacedIngress({ namespace: ns, body: ingress('bye', host) });
    await synced(B, ns, 'bye');
    await B.sync?.stop();
    expect(await B.sync?.deleteHostObjects()).toBeGreaterThanOrEqual(1);
    expect(await hostCopy(B, ns, 'bye')).toBeUndefined();
    expect((await hostNet.listNamespacedIngress({ namespace: B.hostNs })).items).toEqual([]);
    expect(await claimOf(host)).toBeUndefined();
    expect(await claimOf(`hijack.${domain}`)).toBeUndefined();
  });
});
