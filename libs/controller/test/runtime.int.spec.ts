import { randomUUID } from 'node:crypto';
import { CoreV1Api, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import { openKv, type NatsConnection } from '@netbroker/bus';
import { Lease } from '@netbroker/contracts';
import { listResource, OwnedApplier } from '@netbroker/kube';
import { createLogger } from '@netbroker/runtime';
import { connectNats, eventually, kubeConfigFor } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CachedReader, Controller, EventRecorder, LeaseHolder, ManualClock, SharedInformers, shardOf, type Handler } from '../src/index';

// The runtime against the real servers: the second virtual cluster (no syncer watches it here) and NATS.
const stack = inject('stack');
const kc = kubeConfigFor(stack.virtual[1]!);
const cluster = { id: 'runtime-test', kubeConfig: kc };
const core = kc.makeApiClient(CoreV1Api);
const logger = createLogger({ service: 'controller-test', level: 'silent' });
const podTemplates = { apiVersion: 'v1', kind: 'PodTemplate', plural: 'podtemplates' };
const configMaps = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' };
let nc: NatsConnection;

beforeAll(async () => {
  nc = await connectNats(stack.natsUrl!, 'controller-test');
});
afterAll(async () => {
  await nc.close();
});

/** Watches of PodTemplates open on the API server right now (nothing else in the suite watches them). */
async function podTemplateWatches(): Promise<number> {
  const text = await core.getAPIResources().then(async () => {
    const init = await kc.applyToFetchOptions({ method: 'GET' });
    const { default: fetch } = await import('node-fetch');
    return (await fetch(`${kc.getCurrentCluster()!.server}/metrics`, init as never)).text();
  });
  const line = text.split('\n').find((l) => l.startsWith('apiserver_longrunning_requests{') && l.includes('resource="podtemplates"') && l.includes('verb="WATCH"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function namespace(): Promise<string> {
  const name = `rt-${randomUUID().slice(0, 8)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

describe('shared informers', () => {
  it('give two controllers on one resource one watch, and close it when the last leaves', async () => {
    const ns = await namespace();
    const informers = new SharedInformers(logger);
    const before = await podTemplateWatches();
    const seen: string[][] = [[], []];
    const handler = (i: number): Handler<KubernetesObject> => ({ onChange: (o) => void seen[i]!.push(o.metadata!.name!) });
    const first = informers.informer(cluster, { ...podTemplates, namespace: ns });
    const second = informers.informer(cluster, { ...podTemplates, namespace: ns });
    expect(second).toBe(first);
    const leaveFirst = first.subscribe(handler(0));
    const leaveSecond = second.subscribe(handler(1));
    await first.waitForSync();
    await eventually(async () => expect(await podTemplateWatches()).toBe(before + 1));
    await core.createNamespacedPodTemplate({ namespace: ns, body: { metadata: { name: 'one' }, template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } });
    await eventually(async () => expect(seen).toEqual([['one'], ['one']]));
    // Another selector is another watch.
    const other = informers.informer(cluster, { ...podTemplates, namespace: ns, labelSelector: 'app=x' });
    expect(other).not.toBe(first);
    const leaveOther = other.subscribe({ onChange: () => undefined });
    await eventually(async () => expect(await podTemplateWatches()).toBe(before + 2));
    await leaveFirst();
    expect(informers.count).toBe(2); // still one handler on it
    await leaveSecond();
    await leaveOther();
    expect(informers.count).toBe(0);
    await eventually(async () => expect(await podTemplateWatches()).toBe(before));
  });

  it('tell a late subscriber of every cached object first', async () => {
    const ns = await namespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'early' } } });
    const informer = new SharedInformers(logger).informer(cluster, { ...configMaps, namespace: ns });
    const leave = informer.subscribe({ onChange: () => undefined });
    await informer.waitForSync();
    const late: string[] = [];
    const leaveLate = informer.subscribe({ onChange: (o) => void late.push(o.metadata!.name!) });
    expect(late).toEqual(['early']);
    // Listed objects are plain JSON carrying their kind, like watched ones, without managed fields.
    expect(informer.get('early', ns)).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(informer.get('early', ns)?.metadata?.managedFields).toBeUndefined();
    await leave();
    await leaveLate();
  });

  it('tell a subscriber that arrives while the first list is being delivered of every object (the cache is not marked filled yet)', async () => {
    const ns = await namespace();
    const names = ['a', 'b', 'c'];
    for (const name of names) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name } } });
    const informer = new SharedInformers(logger).informer(cluster, { ...configMaps, namespace: ns });
    const late: string[] = [];
    let leaveLate: (() => Promise<void>) | undefined;
    let syncedThen: boolean | undefined;
    // Subscribing just after the first list was delivered, while the watch is being opened: the
    // informer does not count as synced yet (a syncer loop starting a moment after another).
    const leave = informer.subscribe({
      onChange: () =>
        void setImmediate(() => {
          syncedThen ??= informer.hasSynced;
          leaveLate ??= informer.subscribe({ onChange: (o) => void late.push(o.metadata!.name!) });
        }),
    });
    await informer.waitForSync();
    expect(syncedThen).toBe(false);
    expect([...new Set(late)].filter((n) => names.includes(n)).sort()).toEqual(names);
    await leave();
    await leaveLate?.();
  });
});

describe('listResource', () => {
  it('reads every page of a list, as one snapshot', async () => {
    const ns = await namespace();
    const names = Array.from({ length: 7 }, (_, i) => `cm-${i}`);
    for (const name of names) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name } } });
    const list = await listResource(kc, { ...configMaps, namespace: ns }, 2); // four pages
    expect(list.items.map((o) => o.metadata?.name).filter((n) => n?.startsWith('cm-')).sort()).toEqual(names);
    expect(list.items.every((o) => o.kind === 'ConfigMap')).toBe(true);
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(0);
  });
});

describe('CachedReader', () => {
  it('reads its own writes before the watch delivers them, then the cache', async () => {
    const ns = await namespace();
    const informer = new SharedInformers(logger).informer<V1ConfigMap>(cluster, { ...configMaps, namespace: ns });
    const reader = new CachedReader(informer);
    await informer.waitForSync();
    const applier = new OwnedApplier(kc, 'netbroker-test');
    const manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: ns }, data: { v: '1' } };
    const written: V1ConfigMap = await applier.apply(manifest, null);
    reader.wrote(written);
    expect(reader.get('cm', ns)?.data).toEqual({ v: '1' }); // whether or not the watch has it yet
    const second: V1ConfigMap = await applier.apply({ ...manifest, data: { v: '2' } }, written);
    reader.wrote(second);
    expect(reader.get('cm', ns)?.data).toEqual({ v: '2' });
    await eventually(() => expect(reader.pending).toBe(0)); // the watch caught up: the cache answers
    expect(reader.get('cm', ns)?.metadata?.resourceVersion).toBe(second.metadata?.resourceVersion);
    await applier.delete(manifest);
    reader.deleted('cm', ns, second);
    expect(reader.get('cm', ns)).toBeUndefined();
    await eventually(() => expect(reader.pending).toBe(0));
    expect(reader.get('cm', ns)).toBeUndefined();
    await reader.unsubscribe();
  });
});

describe('EventRecorder', () => {
  it('writes one Event per object, kind, reason and variant, and nothing when told again', async () => {
    const ns = await namespace();
    const writes: number[] = [];
    const recorder = new EventRecorder(core, 'netbroker-test', { onWrite: () => writes.push(1) });
    const on = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns } };
    expect(await recorder.warn(on, 'HostObjectNotOwned', 'taken')).toBe(true);
    expect(await recorder.warn(on, 'HostObjectNotOwned', 'taken')).toBe(false);
    // Another process (a restart) finds it on the server.
    expect(await new EventRecorder(core, 'netbroker-test').warn(on, 'HostObjectNotOwned', 'taken')).toBe(false);
    expect(await recorder.warn(on, 'AnnotationDropped', 'a', 'key-1')).toBe(true);
    expect(await recorder.warn(on, 'AnnotationDropped', 'a', 'key-2')).toBe(true);
    const events = (await core.listNamespacedEvent({ namespace: ns })).items;
    expect(events.map((e) => e.metadata?.name).sort()).toEqual([
      expect.stringMatching(/^web\.netbroker-test-service-annotationdropped-[0-9a-f]{10}$/),
      expect.stringMatching(/^web\.netbroker-test-service-annotationdropped-[0-9a-f]{10}$/),
      'web.netbroker-test-service-hostobjectnotowned',
    ]);
    expect(writes).toHaveLength(3);
  });
});

describe('leases on KV', () => {
  const bucket = async () => openKv(nc, `leases-${randomUUID().slice(0, 8)}`, Lease);

  it('hand a lease over at once on release, and after expiry when the holder died; the old holder hears it lost', async () => {
    const leases = await bucket();
    const aClock = new ManualClock();
    const bClock = new ManualClock();
    const a = new LeaseHolder({ leases, holder: 'a', leaseMs: 3_000, clock: aClock, logger });
    const b = new LeaseHolder({ leases, holder: 'b', leaseMs: 3_000, clock: bClock, logger });
    const released: string[] = [];
    const lost: string[] = [];
    b.onReleased((l) => released.push(l));
    a.onLost((l) => lost.push(l));
    await b.start();
    expect(await a.acquire('x')).toEqual({ held: true });
    expect(await b.acquire('x')).toEqual({ held: false, retryAfterMs: 3_000 });
    await a.release('x');
    await eventually(() => expect(released).toEqual(['x']));
    expect(await b.acquire('x')).toEqual({ held: true });
    // b "dies" (its clock stops, nothing renews); a's clock passes the expiry and a takes over.
    await aClock.advance(3_000);
    expect(await a.acquire('x')).toEqual({ held: true });
    await b.renewAll(); // b wakes up: its renewal finds the lease changed
    expect(b.holds('x')).toBe(false);
    await b.stop();
    await a.stop();
    expect(lost).toEqual([]);
  });

  it('give keys of one lease asking at once one answer and one write', async () => {
    const leases = await bucket();
    const me = new LeaseHolder({ leases, holder: 'me', leaseMs: 3_000, logger });
    const answers = await Promise.all([me.acquire('acme.web'), me.acquire('acme.web'), me.acquire('acme.web')]);
    expect(answers).toEqual([{ held: true }, { held: true }, { held: true }]);
    const history: number[] = [];
    for await (const entry of await leases.kv.history({ key: 'acme.web' })) history.push(entry.revision);
    expect(history).toHaveLength(1);
    await me.stop();
  });

  it('let a sharded key be worked by one replica only, and by the other once the first stops', async () => {
    const leases = await bucket();
    const runs: Array<[string, string]> = [];
    const replica = (id: string) => {
      const holder = new LeaseHolder({ leases, holder: id, leaseMs: 10_000, logger });
      const controller = new Controller(
        { name: 'test', reconcile: async (key) => void runs.push([id, key]), sharding: { leases: holder, leaseOf: (key) => shardOf(key, 4) } },
        { logger },
      );
      return { holder, controller };
    };
    const a = replica('a');
    const b = replica('b');
    await a.holder.start();
    await b.holder.start();
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    a.controller.start();
    a.controller.enqueue(keys);
    await a.controller.idle();
    b.controller.start();
    b.controller.enqueue(keys);
    await b.controller.idle();
    expect(runs.filter(([id]) => id === 'a').map(([, k]) => k).sort()).toEqual([...keys].sort());
    expect(runs.filter(([id]) => id === 'b')).toEqual([]);
    expect(b.controller.waiting).toBe(12);
    // a stops and releases its shards: b takes every key at once (not after the 10 s lease).
    await a.controller.stop();
    await a.holder.stop();
    await eventually(() => expect(runs.filter(([id]) => id === 'b').map(([, k]) => k).sort()).toEqual([...keys].sort()), { timeoutMs: 5_000 });
    await b.controller.stop();
    await b.holder.stop();
  });
});
