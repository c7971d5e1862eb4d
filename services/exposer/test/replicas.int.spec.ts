import { randomUUID } from 'node:crypto';
import { CoreV1Api, DiscoveryV1Api, NetworkingV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { CreatedToken, Exposure, Lease, leaseBuckets, Project } from '@netbroker/contracts';
import { openKv, type JsonKv } from '@netbroker/bus';
import { orUndefined } from '@netbroker/kube';
import { controllerFigures, eventually, kubeconfigFile, kubeConfigFor, requestedAddress, startPrivatePlatform, type PrivatePlatform, type ServiceProcess } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// Two exposer replicas sharing four exporting projects by lease (one per exporting project), each
// exposing to one consumer project with a virtual cluster. Its own nats-server (so no exposer of
// another file takes these leases), ipam, provisioner and api; the shared apiservers. The test
// plays the load balancer controller for its own Services only.

const stack = inject('stack');
const hostKc = kubeConfigFor(stack.host!);
const host = hostKc.makeApiClient(CoreV1Api);
const hostDiscovery = hostKc.makeApiClient(DiscoveryV1Api);
const hostNetworking = hostKc.makeApiClient(NetworkingV1Api);
const virtualKc = kubeConfigFor(stack.virtual[0]!);
const virtual = virtualKc.makeApiClient(CoreV1Api);
const virtualDiscovery = virtualKc.makeApiClient(DiscoveryV1Api);
const suffix = randomUUID().slice(0, 6);
const tenant = `xrep${suffix}`;
const exporterProjects = ['e0', 'e1', 'e2', 'e3'];
const consumer = 'c';
const entryNs = `xrep${suffix}`;
const LEASE_MS = 3_000;
const RESYNC_MS = 1_000;
const pools = [
  { name: 'projects', kind: 'prefix', prefixes: ['10.181.0.0/16'] },
  { name: 'egress-cloud', kind: 'address', ranges: [{ start: '100.67.0.10', end: '100.67.0.250' }] },
  { name: 'egress-public', kind: 'address', prefixes: ['198.51.101.0/24'] },
];
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

let platform: PrivatePlatform;
let leases: JsonKv<typeof Lease>;
let token: string;
const replicas = new Map<string, ServiceProcess>();
const call = (method: string, path: string, body?: unknown, bearer = token) => platform.call(method, path, body, bearer);

const startReplica = async (id: string) => {
  const env = { LB_PROVIDER: 'metallb', ENTRY_NAMESPACE: entryNs, RESYNC_INTERVAL_MS: String(RESYNC_MS), LEASE_SECONDS: String(LEASE_MS / 1000), REPLICA_ID: id };
  replicas.set(id, await platform.start('exposer', `exposer-${id}`, env));
};

beforeAll(async () => {
  platform = await startPrivatePlatform({ name: `exposer-replicas-${suffix}`, host: stack.host!, pools, provisioner: true });
  leases = await openKv(platform.nc, leaseBuckets.controllers, Lease);
  expect((await call('POST', '/admin/tenants', { name: tenant }, platform.adminToken)).status).toBe(201);
  token = CreatedToken.parse((await call('POST', `/admin/tenants/${tenant}/tokens`, { name: 't' }, platform.adminToken)).body).token;
  for (const p of [...exporterProjects, consumer]) expect((await call('POST', '/v1/projects', { name: p, egressNetworkType: 'cloud' })).status).toBe(202);
  const registered = await call('PUT', `/v1/projects/${consumer}/vcluster`, { kubeconfig: kubeconfigFile(stack.virtual[0]!), options: { name: `c${suffix}` } });
  expect(registered.status, registered.text).toBe(202);
  await eventually(async () => {
    for (const p of [...exporterProjects, consumer]) expect(Project.parse((await call('GET', `/v1/projects/${p}`)).body).status.phase, p).toBe('Ready');
  }, opts(90_000));
  await Promise.all([startReplica(`a-${suffix}`), startReplica(`b-${suffix}`)]);
}, 240_000);

afterAll(async () => {
  await platform?.stop(); // the replicas too: started on the platform
});

function opts(timeoutMs = 30_000, signal?: AbortSignal) {
  return { timeoutMs, signal };
}
const { writesOf, writes, twoResyncs: resyncs } = controllerFigures('exporter');
/** Waits until every running replica went through at least two resyncs of all `keys`. */
const twoResyncs = (keys: number) => resyncs(replicas.values(), keys, RESYNC_MS);
const holderOf = async (project: string) => (await leases.get(`exposer.exporter.${tenant}.${project}`))?.value.holder;

interface Made {
  project: string;
  name: string;
  /** Every object it writes, by resourceVersion: what must stay put once converged. */
  versions: () => Promise<Array<string | undefined>>;
}
let counter = 0;

/** A host Service of `project` exposed to the consumer project, which has a virtual cluster. */
async function expose(project: string): Promise<Made> {
  const name = `s${++counter}`;
  const namespace = `${tenant}-${project}`;
  const consumerNs = `${tenant}-${consumer}`;
  await host.createNamespacedService({ namespace, body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'p', port: 5432 }] } } });
  const res = await call('POST', `/v1/projects/${project}/exposures`, { name, service: name, ports: [{ port: 5432 }], grants: [consumer] });
  expect(res.status, res.text).toBe(201);
  const rv = async (read: () => Promise<{ metadata?: { resourceVersion?: string } }>) => (await orUndefined(read))?.metadata?.resourceVersion;
  const entry = `${name}-ext`;
  return {
    project,
    name,
    versions: () =>
      Promise.all([
        rv(() => host.readNamespacedService({ name: `exposure-${name}`, namespace })),
        rv(() => hostNetworking.readNamespacedNetworkPolicy({ name: `netbroker-exposure-${name}`, namespace })),
        rv(() => host.readNamespacedService({ name: entry, namespace: consumerNs })),
        rv(() => hostDiscovery.readNamespacedEndpointSlice({ name: `${entry}-netbroker`, namespace: consumerNs })),
        rv(() => hostNetworking.readNamespacedNetworkPolicy({ name: `netbroker-ext-${entry}`, namespace: consumerNs })),
        rv(() => virtual.readNamespacedService({ name: entry, namespace: entryNs })),
        rv(() => virtualDiscovery.readNamespacedEndpointSlice({ name: `${entry}-netbroker`, namespace: entryNs })),
      ]),
  };
}

/** Plays the load balancer controller for the exposure's Service, once it exists. */
async function assignAddress(m: Made, signal?: AbortSignal) {
  const [name, namespace] = [`exposure-${m.name}`, `${tenant}-${m.project}`];
  const svc = await eventually(() => host.readNamespacedService({ name, namespace }), opts(30_000, signal));
  await host.patchNamespacedServiceStatus({ name, namespace, body: { status: { loadBalancer: { ingress: [{ ip: requestedAddress(svc) }] } } } }, mergePatch);
}

/** Every exposure Ready with its consumer connected, and every object written: their versions. */
const converged = (made: Made[], signal?: AbortSignal) =>
  eventually(async () => {
    for (const m of made) {
      const e = Exposure.parse((await call('GET', `/v1/projects/${m.project}/exposures/${m.name}`)).body);
      expect([e.status.reason, e.status.consumers.map((c) => [c.project, c.reason])], `${m.project}/${m.name}: ${e.status.message}`).toEqual(['Ready', [[`${tenant}/${consumer}`, 'Ready']]]);
    }
    const versions = await Promise.all(made.map((m) => m.versions()));
    expect(versions.flat().filter((v) => v === undefined)).toEqual([]);
    return versions;
  }, opts(60_000, signal));

const made: Made[] = [];

describe('exposer replicas', () => {
  it('share the exporting projects by lease, converge, and a resync in place writes nothing on either', async () => {
    for (const p of exporterProjects) made.push(await expose(p));
    await Promise.all(made.map((m) => assignAddress(m)));
    const versions = await converged(made);
    const ids = [...replicas.keys()];
    for (const p of exporterProjects) expect(ids, `holder of ${p}`).toContain(await holderOf(p));

    const before = await writes(replicas.values());
    await twoResyncs(exporterProjects.length);
    expect(await writes(replicas.values())).toBe(before);
    expect(await Promise.all(made.map((m) => m.versions()))).toEqual(versions);
  });

  it('a replica killed with work pending: the other takes its exporters over within the lease and converges, without a fight', async () => {
    const victimId = (await holderOf(exporterProjects[0]!))!;
    const victim = replicas.get(victimId)!;
    const [survivorId, survivor] = [...replicas].find(([id]) => id !== victimId)!;
    const victims = (await Promise.all(exporterProjects.map(async (p) => ((await holderOf(p)) === victimId ? p : undefined)))).filter((p): p is string => p !== undefined);
    const survivorWrites = await writesOf(survivor);

    const pending: Made[] = [];
    for (const p of victims) pending.push(await expose(p));
    const killedAt = Date.now();
    victim.proc.kill('SIGKILL');
    const takenOver = eventually(async () => {
      for (const p of victims) expect(await holderOf(p), `holder of ${p}`).toBe(survivorId);
      return Date.now();
    }, opts(LEASE_MS + 5_000));
    await victim.proc.exited;
    await victim.stop(); // only removes its temp dir now
    replicas.delete(victimId);
    for (const p of victims) pending.push(await expose(p)); // only the survivor can do these
    expect((await takenOver) - killedAt).toBeLessThan(LEASE_MS + 2_000);

    await Promise.all(pending.map((m) => assignAddress(m, survivor.signal)));
    made.push(...pending);
    const versions = await converged(made, survivor.signal);
    // Bounded: a new exposure is its LoadBalancer Service, policy, three host and two virtual
    // entry objects and a status or two (what was in place costs nothing); a fight would cost more.
    expect((await writesOf(survivor)) - survivorWrites).toBeLessThanOrEqual(10 * pending.length);
    const settled = await writesOf(survivor);
    await twoResyncs(exporterProjects.length);
    expect(await writesOf(survivor)).toBe(settled);
    expect(await Promise.all(made.map((m) => m.versions()))).toEqual(versions);
  });
});
