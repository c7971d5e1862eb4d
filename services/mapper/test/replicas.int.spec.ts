import { randomUUID } from 'node:crypto';
import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import { CreatedToken, Lease, leaseBuckets, MappingList } from '@netbroker/contracts';
import { openKv, type JsonKv } from '@netbroker/bus';
import { orUndefined } from '@netbroker/kube';
import { controllerFigures, eventually, kubeconfigFile, kubeConfigFor, startPrivatePlatform, type PrivatePlatform, type ServiceProcess } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// Two mapper replicas sharing the mappings of four projects by lease (one per project). This file
// runs its own nats-server, so no mapper of another test file takes these leases; the apiservers
// are the shared ones (fresh namespaces).

const stack = inject('stack');
const host = kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
const clusters = [0, 1].map((i) => {
  const kc = kubeConfigFor(stack.virtual[i]!);
  return { info: stack.virtual[i]!, core: kc.makeApiClient(CoreV1Api), discovery: kc.makeApiClient(DiscoveryV1Api) };
});
const suffix = randomUUID().slice(0, 6);
const tenant = `mrep${suffix}`;
const projects = ['p0', 'p1', 'p2', 'p3'];
const clusterOf = (project: string) => clusters[projects.indexOf(project) % 2]!;
const LEASE_MS = 3_000;
const RESYNC_MS = 1_000;
const pools = [
  { name: `${tenant}-projects`, kind: 'prefix', prefixes: ['10.161.0.0/16'] },
  { name: `${tenant}-cloud`, kind: 'address', ranges: [{ start: '100.64.21.10', end: '100.64.21.250' }] },
  { name: `${tenant}-public`, kind: 'address', prefixes: ['203.0.114.0/24'] },
];

let platform: PrivatePlatform;
let leases: JsonKv<typeof Lease>;
let token: string;
const replicas = new Map<string, ServiceProcess>();
const call = (method: string, path: string, body?: unknown, bearer = token) => platform.call(method, path, body, bearer);

const startReplica = async (id: string) => {
  const env = { RESYNC_INTERVAL_MS: String(RESYNC_MS), LEASE_SECONDS: String(LEASE_MS / 1000), REPLICA_ID: id };
  replicas.set(id, await platform.start('mapper', `mapper-${id}`, env));
};

beforeAll(async () => {
  const apiEnv = { DEFAULT_PROJECT_POOL: pools[0]!.name, EGRESS_POOL_CLOUD: pools[1]!.name, EGRESS_POOL_PUBLIC: pools[2]!.name };
  platform = await startPrivatePlatform({ name: `mapper-replicas-${suffix}`, host: stack.host!, pools, apiEnv });
  leases = await openKv(platform.nc, leaseBuckets.controllers, Lease);
  expect((await call('POST', '/admin/tenants', { name: tenant }, platform.adminToken)).status).toBe(201);
  token = CreatedToken.parse((await call('POST', `/admin/tenants/${tenant}/tokens`, { name: 't' }, platform.adminToken)).body).token;
  for (const p of projects) {
    expect((await call('POST', '/v1/projects', { name: p, egressNetworkType: 'cloud' })).status).toBe(202);
    const registered = await call('PUT', `/v1/projects/${p}/vcluster`, { kubeconfig: kubeconfigFile(clusterOf(p).info), options: { name: `${p}${suffix}` } });
    expect(registered.status, registered.text).toBe(202);
    await host.createNamespace({ body: { metadata: { name: `${tenant}-${p}` } } });
    await clusterOf(p).core.createNamespace({ body: { metadata: { name: `v${suffix}-${p}` } } });
  }
  await Promise.all([startReplica(`a-${suffix}`), startReplica(`b-${suffix}`)]);
}, 180_000);

afterAll(async () => {
  await platform?.stop(); // the replicas too: started on the platform
});

const opts = (timeoutMs = 20_000) => ({ timeoutMs });
const { writesOf, writes, twoResyncs: resyncs } = controllerFigures('mapping');
/** Waits until every running replica went through at least two resyncs of all `keys`. */
const twoResyncs = (keys: number) => resyncs(replicas.values(), keys, RESYNC_MS);
const holderOf = async (project: string) => (await leases.get(`mapper.mapping.${tenant}.${project}`))?.value.holder;

interface Made {
  project: string;
  id: string;
  /** The objects it writes: read back to see they stay put. */
  read: () => Promise<Array<string | undefined>>;
}
let counter = 0;

/** A host Service mapped into the virtual cluster, and a virtual Service published on the host. */
async function mapBoth(project: string): Promise<Made[]> {
  const n = ++counter;
  const hostNs = `${tenant}-${project}`;
  const vns = `v${suffix}-${project}`;
  const { core, discovery } = clusterOf(project);
  await host.createNamespacedService({ namespace: hostNs, body: { metadata: { name: `db${n}` }, spec: { selector: { app: 'db' }, ports: [{ port: 5432 }] } } });
  await core.createNamespacedService({ namespace: vns, body: { metadata: { name: `api${n}` }, spec: { selector: { app: 'api' }, ports: [{ port: 80 }] } } });
  const values = `mapServices:\n  fromHost:\n  - from: db${n}\n    to: ${vns}/db${n}\n  fromVirtual:\n  - from: ${vns}/api${n}\n    to: api${n}\n`;
  const res = await call('POST', `/v1/projects/${project}/mappings`, { values });
  expect(res.status, res.text).toBe(201);
  const [fromHost, fromVirtual] = MappingList.parse(res.body).items;
  const rv = async (read: () => Promise<{ metadata?: { resourceVersion?: string } }>) => (await orUndefined(read))?.metadata?.resourceVersion;
  return [
    {
      project,
      id: fromHost!.id,
      read: () => Promise.all([rv(() => core.readNamespacedService({ name: `db${n}`, namespace: vns })), rv(() => discovery.readNamespacedEndpointSlice({ name: `db${n}-netbroker`, namespace: vns }))]),
    },
    { project, id: fromVirtual!.id, read: () => Promise.all([rv(() => host.readNamespacedService({ name: `api${n}`, namespace: hostNs }))]) },
  ];
}

const allMapped = (made: Made[], signal?: AbortSignal) =>
  eventually(
    async () => {
      for (const p of projects) {
        const items = MappingList.parse((await call('GET', `/v1/projects/${p}/mappings`)).body).items;
        for (const m of made.filter((x) => x.project === p)) expect(items.find((i) => i.id === m.id)?.status.reason, `${p}/${m.id}`).toBe('Mapped');
      }
      const versions = await Promise.all(made.map((m) => m.read()));
      expect(versions.flat().filter((v) => v === undefined)).toEqual([]);
      return versions;
    },
    { ...opts(30_000), signal },
  );

const made: Made[] = [];

describe('mapper replicas', () => {
  it('share the projects by lease, map everything, and a resync in place writes nothing on either', async () => {
    for (const p of projects) made.push(...(await mapBoth(p)));
    const versions = await allMapped(made);
    const ids = [...replicas.keys()];
    for (const p of projects) expect(ids, `holder of ${p}`).toContain(await holderOf(p));

    const before = await writes(replicas.values());
    await twoResyncs(made.length);
    expect(await writes(replicas.values())).toBe(before);
    expect(await Promise.all(made.map((m) => m.read()))).toEqual(versions);
  });

  it('a replica killed with work pending: the other takes its projects over within the lease and converges, without a fight', async () => {
    const victimId = (await holderOf(projects[0]!))!;
    const victim = replicas.get(victimId)!;
    const [survivorId, survivor] = [...replicas].find(([id]) => id !== victimId)!;
    const victims = (await Promise.all(projects.map(async (p) => ((await holderOf(p)) === victimId ? p : undefined)))).filter((p): p is string => p !== undefined);
    const survivorWrites = await writesOf(survivor);

    const pending: Made[] = [];
    for (const p of victims) pending.push(...(await mapBoth(p)));
    const killedAt = Date.now();
    victim.proc.kill('SIGKILL');
    const takenOver = eventually(async () => {
      for (const p of victims) expect(await holderOf(p), `holder of ${p}`).toBe(survivorId);
      return Date.now();
    }, opts(LEASE_MS + 5_000));
    await victim.proc.exited;
    await victim.stop(); // only removes its temp dir now
    replicas.delete(victimId);
    for (const p of victims) pending.push(...(await mapBoth(p))); // only the survivor can do these
    expect((await takenOver) - killedAt).toBeLessThan(LEASE_MS + 2_000);

    made.push(...pending);
    const versions = await allMapped(made, survivor.signal);
    // Bounded: each new mapping is at most a namespace, its objects and a status; what was in place costs nothing.
    expect((await writesOf(survivor)) - survivorWrites).toBeLessThanOrEqual(4 * pending.length);
    const settled = await writesOf(survivor);
    await twoResyncs(made.length);
    expect(await writesOf(survivor)).toBe(settled);
    expect(await Promise.all(made.map((m) => m.read()))).toEqual(versions);
  });
});
