import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { projectBuckets, VClusterRecord } from '@netbroker/contracts';
import { openKv, type JsonKv, type NatsConnection } from '@netbroker/bus';
import { orUndefined } from '@netbroker/kube';
import { annotations, hostName, labels } from '@netbroker/naming';
import { connectNats, eventually, kubeconfigFile, kubeConfigFor, metricValue, startService, type ServiceProcess } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLUSTER_IP_UNAVAILABLE } from '../src/reconcilers/service';
import { vclusterRecord } from './registration';

const stack = inject('stack');
const host = kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
const virtual = kubeConfigFor(stack.virtual[0]!).makeApiClient(CoreV1Api);
const suffix = randomUUID().slice(0, 6);
const tenant = `sync${suffix}`;
const project = 'web';
const vcluster = `vc${suffix}`;
const hostNs = `${tenant}-${project}`;
const key = randomBytes(32);

let dir: string;
let nc: NatsConnection;
let vclusters: JsonKv<typeof VClusterRecord>;
let syncer: ServiceProcess;

const startSyncer = () =>
  startService({
    service: 'syncer',
    env: { NATS_URL: stack.natsUrl!, KUBECONFIG: join(dir, 'host.kubeconfig'), NETBROKER_ENCRYPTION_KEY: key.toString('base64'), LOG_LEVEL: 'warn' },
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-syncer-'));
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  nc = await connectNats(stack.natsUrl!);
  vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord);
  await host.createNamespace({ body: { metadata: { name: hostNs } } });
  await vclusters.put(`${tenant}.${project}`, vclusterRecord({ tenant, project, vcluster, kubeconfig: kubeconfigFile(stack.virtual[0]!), key }));
  syncer = await startSyncer();
});
afterAll(async () => {
  await syncer?.stop();
  await nc?.close();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
/** A fresh namespace of the virtual cluster. */
async function virtualNamespace(): Promise<string> {
  const name = `t${suffix}-${++counter}`;
  await virtual.createNamespace({ body: { metadata: { name } } });
  return name;
}

const createVirtual = (namespace: string, name: string, spec: V1Service['spec'] = {}) =>
  virtual.createNamespacedService({
    namespace,
    body: { metadata: { name, labels: { app: name } }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }], ...spec } },
  });

const hostNameOf = (namespace: string, name: string) => hostName({ name, namespace, vcluster });
const readHost = (namespace: string, name: string) => orUndefined(() => host.readNamespacedService({ name: hostNameOf(namespace, name), namespace: hostNs }));
const readVirtual = (namespace: string, name: string) => orUndefined(() => virtual.readNamespacedService({ name, namespace }));
const opts = () => ({ signal: syncer.signal, timeoutMs: 15_000 });

/** Host Service present, and the virtual one carrying its ClusterIP (or marked as unable to). */
const inSync = (namespace: string, name: string) =>
  eventually(async () => {
    const [h, v] = [await readHost(namespace, name), await readVirtual(namespace, name)];
    expect(h).toBeDefined();
    expect(h!.metadata?.annotations?.[annotations.virtualUid]).toBe(v?.metadata?.uid);
    if (v?.metadata?.annotations?.[CLUSTER_IP_UNAVAILABLE] === undefined) expect(v?.spec?.clusterIP).toBe(h!.spec?.clusterIP);
    return { host: h!, virtual: v! };
  }, opts());

describe('syncing Services virtual -> host', () => {
  it('creates the translated host Service, follows port edits, and deletes it with the virtual one', async () => {
    const ns = await virtualNamespace();
    await createVirtual(ns, 'api');
    const { host: h } = await inSync(ns, 'api');
    expect(h.metadata?.name).toBe(`api-x-${ns}-x-${vcluster}`);
    expect(h.metadata?.labels).toMatchObject({ [labels.managedBy]: 'netbroker', [labels.vcluster]: vcluster, app: 'api' });
    expect(h.spec?.selector).toEqual({ app: 'api', [labels.vclusterManagedBy]: vcluster, [labels.vclusterNamespace]: ns });
    expect(h.spec?.ports?.map((p) => [p.name, p.port, p.nodePort])).toEqual([['http', 80, undefined]]);
    expect(await readHost('default', 'kubernetes')).toBeUndefined(); // the virtual cluster's own Service stays home

    await virtual.patchNamespacedService(
      { name: 'api', namespace: ns, body: [{ op: 'replace', path: '/spec/ports', value: [{ name: 'web', port: 81, targetPort: 8081 }] }] },
    );
    await eventually(async () => expect((await readHost(ns, 'api'))?.spec?.ports?.map((p) => [p.name, p.port])).toEqual([['web', 81]]), opts());

    await virtual.deleteNamespacedService({ name: 'api', namespace: ns });
    await eventually(async () => expect(await readHost(ns, 'api')).toBeUndefined(), opts());
  });

  it('re-creates a host Service deleted out of band', async () => {
    const ns = await virtualNamespace();
    await createVirtual(ns, 'db');
    const { host: before } = await inSync(ns, 'db');
    await host.deleteNamespacedService({ name: before.metadata!.name!, namespace: hostNs });
    const after = await eventually(async () => {
      const h = await readHost(ns, 'db');
      expect(h?.metadata?.uid).toBeDefined();
      expect(h?.metadata?.uid).not.toBe(before.metadata?.uid);
      return h!;
    }, opts());
    expect(after.spec?.selector).toEqual(before.spec?.selector);
  });

  it('never overwrites a pre-existing host Service it does not own, and warns on the virtual one', async () => {
    const ns = await virtualNamespace();
    const taken = await host.createNamespacedService({
      namespace: hostNs,
      body: { metadata: { name: hostNameOf(ns, 'mine'), labels: { team: 'someone-else' } }, spec: { ports: [{ port: 9999 }] } },
    });
    await createVirtual(ns, 'mine');
    await eventually(async () => {
      const events = await virtual.listNamespacedEvent({ namespace: ns });
      expect(events.items.map((e) => [e.type, e.reason, e.involvedObject.name])).toContainEqual(['Warning', 'HostObjectNotOwned', 'mine']);
    }, opts());
    const now = await readHost(ns, 'mine');
    expect(now?.metadata?.resourceVersion).toBe(taken.metadata?.resourceVersion);
    expect(now?.metadata?.labels).toEqual({ team: 'someone-else' });
  });

  it('copies the host LoadBalancer status and nodePorts back to the virtual Service', async () => {
    const ns = await virtualNamespace();
    await createVirtual(ns, 'edge', { type: 'LoadBalancer' });
    const { host: h } = await inSync(ns, 'edge');
    await host.replaceNamespacedServiceStatus({
      name: h.metadata!.name!,
      namespace: hostNs,
      body: { ...h, status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } } },
    });
    const v = await eventually(async () => {
      const svc = await readVirtual(ns, 'edge');
      expect(svc?.status?.loadBalancer?.ingress?.map((i) => i.ip)).toEqual(['203.0.113.7']);
      return svc!;
    }, opts());
    expect(v.spec?.ports?.[0]?.nodePort).toBe(h.spec?.ports?.[0]?.nodePort);
  });
});

describe('restarts and deregistration', () => {
  it('makes no writes when restarted with everything in sync', async () => {
    const ns = await virtualNamespace();
    await createVirtual(ns, 'one');
    await createVirtual(ns, 'two', { type: 'NodePort' });
    await inSync(ns, 'one');
    await inSync(ns, 'two');
    const versions = async () => {
      const [h, v] = [await host.listNamespacedService({ namespace: hostNs }), await virtual.listServiceForAllNamespaces()];
      return [...h.items, ...v.items].map((s) => `${s.metadata?.namespace}/${s.metadata?.name}@${s.metadata?.resourceVersion}`).sort();
    };
    const before = await versions();

    await syncer.stop();
    syncer = await startSyncer();
    const page = await eventually(async () => {
      const text = await (await fetch(`${syncer.opsUrl}/metrics`)).text();
      expect(metricValue(text, 'netbroker_syncer_synced', 'service="syncer"')).toBe(1);
      expect(metricValue(text, 'netbroker_syncer_vclusters', 'service="syncer"')).toBeGreaterThanOrEqual(1);
      expect(metricValue(text, 'netbroker_syncer_reconciles_total', 'service="syncer"')).toBeGreaterThanOrEqual(2);
      return text;
    }, opts());
    expect(page.split('\n').filter((l) => l.startsWith('netbroker_syncer_writes_total'))).toEqual([]);
    expect(await versions()).toEqual(before);
  });

  it('deletes every host Service of a deregistered virtual cluster', async () => {
    const ns = await virtualNamespace();
    await createVirtual(ns, 'last');
    await inSync(ns, 'last');
    await vclusters.delete(`${tenant}.${project}`);
    await eventually(async () => {
      const left = await host.listNamespacedService({ namespace: hostNs, labelSelector: `${labels.vcluster}=${vcluster}` });
      expect(left.items.filter((s) => s.metadata?.labels?.[labels.managedBy] === 'netbroker').map((s) => s.metadata?.name)).toEqual([]);
    }, opts());
    const unowned = await host.listNamespacedService({ namespace: hostNs, labelSelector: 'team=someone-else' });
    expect(unowned.items).toHaveLength(1); // a host Service netbroker does not own stays
  });
});
