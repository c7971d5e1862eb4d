import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, DiscoveryV1Api, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import { CreatedToken, Mapping, MappingList, Problem, projectBuckets, VClusterRecord } from '@netbroker/contracts';
import { openKv } from '@netbroker/bus';
import { sealSecret } from '@netbroker/runtime';
import { orUndefined } from '@netbroker/kube';
import {
  connectNats,
  countingListener,
  eventually,
  freePort,
  kubeconfigFile,
  kubeConfigFor,
  startService,
  type CountingListener,
  type ServiceProcess,
} from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The mapper through its public surface: mappings made with the real API, objects read from the
// host and the virtual cluster's API servers.

const stack = inject('stack');
const hostKc = kubeConfigFor(stack.host!);
const host = hostKc.makeApiClient(CoreV1Api);
const hostDiscovery = hostKc.makeApiClient(DiscoveryV1Api);
const virtualKc = kubeConfigFor(stack.virtual[1]!);
const virtual = virtualKc.makeApiClient(CoreV1Api);
const virtualDiscovery = virtualKc.makeApiClient(DiscoveryV1Api);
const suffix = randomUUID().slice(0, 6);
const tenant = `map${suffix}`;
const project = 'web';
const vcluster = `vc${suffix}`;
const hostNs = `${tenant}-${project}`;
const sharedNs = `shared${suffix}`;
const key = randomBytes(32);
const adminToken = randomBytes(24).toString('base64url');
const pools = [
  { name: `${tenant}-projects`, kind: 'prefix', prefixes: ['10.160.0.0/16'] },
  { name: `${tenant}-cloud`, kind: 'address', ranges: [{ start: '100.64.20.10', end: '100.64.20.250' }] },
  { name: `${tenant}-public`, kind: 'address', prefixes: ['203.0.113.0/24'] },
];

let dir: string;
let ipam: ServiceProcess;
let api: ServiceProcess;
let mapper: ServiceProcess;
let apiUrl: string;
let token: string;
/** An endpoint the operator denied: a registration whose name resolves to it must never reach it. */
let denied: CountingListener;

async function call(method: string, path: string, body?: unknown, bearer = token) {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, text };
}

const startMapper = () =>
  startService({
    service: 'mapper',
    env: {
      NATS_URL: stack.natsUrl!,
      LOG_LEVEL: 'warn',
      KUBECONFIG: join(dir, 'host.kubeconfig'),
      NETBROKER_ENCRYPTION_KEY: key.toString('base64'),
      RESYNC_INTERVAL_MS: '5000',
      VCLUSTER_SERVERS_DENIED: `127.0.0.1:${denied.port},[::1]:${denied.port}`,
    },
  });

beforeAll(async () => {
  denied = await countingListener();
  dir = mkdtempSync(join(tmpdir(), 'netbroker-mapper-'));
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  const common = { NATS_URL: stack.natsUrl!, LOG_LEVEL: 'warn' };
  ipam = await startService({ service: 'ipam', name: 'ipam-mapper', env: { ...common, IPAM_POOLS: JSON.stringify(pools) } });
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  api = await startService({
    service: 'api',
    name: 'api-mapper',
    env: {
      ...common,
      HTTP_PORT: String(port),
      NETBROKER_ADMIN_TOKEN: adminToken,
      NETBROKER_ENCRYPTION_KEY: key.toString('base64'),
      DEFAULT_PROJECT_POOL: pools[0]!.name,
      EGRESS_POOL_CLOUD: pools[1]!.name,
      EGRESS_POOL_PUBLIC: pools[2]!.name,
    },
  });
  mapper = await startMapper();
  expect((await call('POST', '/admin/tenants', { name: tenant }, adminToken)).status).toBe(201);
  token = CreatedToken.parse((await call('POST', `/admin/tenants/${tenant}/tokens`, { name: 't' }, adminToken)).body).token;
  expect((await call('POST', '/v1/projects', { name: project, egressNetworkType: 'cloud' })).status).toBe(202);
  const registered = await call('PUT', `/v1/projects/${project}/vcluster`, { kubeconfig: kubeconfigFile(stack.virtual[1]!), options: { name: vcluster } });
  expect(registered.status).toBe(202);
  for (const name of [hostNs, sharedNs]) await host.createNamespace({ body: { metadata: { name } } });
});
afterAll(async () => {
  await mapper?.stop();
  await denied?.close();
  await api?.stop();
  await ipam?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const opts = () => ({ signal: mapper.signal, timeoutMs: 20_000 });
let counter = 0;
/** A fresh virtual namespace name; the mapper creates the namespace itself when it maps into it. */
const freshNamespace = () => `t${suffix}-${++counter}`;

const readVirtual = (namespace: string, name: string) => orUndefined(() => virtual.readNamespacedService({ name, namespace }));
const readSlice = (namespace: string, name: string) => orUndefined(() => virtualDiscovery.readNamespacedEndpointSlice({ name: `${name}-netbroker`, namespace }));
const readHost = (name: string) => orUndefined(() => host.readNamespacedService({ name, namespace: hostNs }));

const createHostService = (namespace: string, name: string, spec: V1Service['spec'] = {}) =>
  host.createNamespacedService({ namespace, body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'pg', port: 5432, targetPort: 15432 }], ...spec } } });

async function createMapping(body: unknown): Promise<Mapping[]> {
  const res = await call('POST', `/v1/projects/${project}/mappings`, body);
  expect(res.status, res.text).toBe(201);
  return MappingList.parse(res.body).items;
}
const statusOf = async (id: string) => Mapping.parse((await call('GET', `/v1/projects/${project}/mappings/${id}`)).body).status;
const eventuallyStatus = (id: string, reason: string) =>
  eventually(async () => {
    const status = await statusOf(id);
    expect(status.reason).toBe(reason);
    return status;
  }, opts());

/** The mapped Service and its EndpointSlice, once the slice holds `addresses`. */
const mapped = (namespace: string, name: string, addresses: string[]) =>
  eventually(async () => {
    const [svc, slice] = [await readVirtual(namespace, name), await readSlice(namespace, name)];
    expect(svc).toBeDefined();
    expect(slice?.endpoints.flatMap((e) => e.addresses)).toEqual(addresses);
    return { svc: svc!, slice: slice! };
  }, opts());

describe('fromHost', () => {
  it('maps a ClusterIP Service with a real ClusterIP, follows port changes, removes and restores it with its source', async () => {
    const vns = freshNamespace();
    const source = await createHostService(hostNs, 'db');
    const [m] = await createMapping({ direction: 'fromHost', from: 'db', to: `${vns}/db` });
    expect(m).toMatchObject({ direction: 'fromHost', from: `${hostNs}/db`, to: `${vns}/db` });

    const { svc, slice } = await mapped(vns, 'db', [source.spec!.clusterIP!]);
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\./);
    expect(svc.spec?.selector).toBeUndefined();
    expect(svc.spec?.ports?.map((p) => [p.name, p.port])).toEqual([['pg', 5432]]);
    expect(slice.metadata?.labels).toMatchObject({ 'kubernetes.io/service-name': 'db', 'endpointslice.kubernetes.io/managed-by': 'mapper.netbroker.io' });
    expect(slice.ports?.map((p) => p.port)).toEqual([5432]);
    expect((await eventuallyStatus(m!.id, 'Mapped')).ready).toBe(true);

    const again = await call('POST', `/v1/projects/${project}/mappings`, { direction: 'fromHost', from: `${hostNs}/db`, to: `${vns}/db` });
    expect(again.status).toBe(200);
    expect(MappingList.parse(again.body).items.map((i) => i.id)).toEqual([m!.id]);

    await host.patchNamespacedService({ name: 'db', namespace: hostNs, body: [{ op: 'replace', path: '/spec/ports', value: [{ name: 'pg', port: 6432, targetPort: 15432 }] }] });
    await eventually(async () => {
      expect((await readVirtual(vns, 'db'))?.spec?.ports?.map((p) => p.port)).toEqual([6432]);
      expect((await readSlice(vns, 'db'))?.ports?.map((p) => p.port)).toEqual([6432]);
    }, opts());

    await host.deleteNamespacedService({ name: 'db', namespace: hostNs });
    await eventually(async () => {
      expect(await readVirtual(vns, 'db')).toBeUndefined();
      expect(await readSlice(vns, 'db')).toBeUndefined();
    }, opts());
    expect((await eventuallyStatus(m!.id, 'SourceNotFound')).ready).toBe(false);

    const back = await createHostService(hostNs, 'db');
    await mapped(vns, 'db', [back.spec!.clusterIP!]);
    await eventuallyStatus(m!.id, 'Mapped');
  });

  it('maps a headless Service of an allowlisted namespace to its endpoints, and follows headless -> ClusterIP', async () => {
    expect((await call('PATCH', `/admin/tenants/${tenant}`, { importNamespaces: [sharedNs] }, adminToken)).status).toBe(200);
    const vns = freshNamespace();
    await createHostService(sharedNs, 'cache', { clusterIP: 'None' });
    const sourceSlice = (addresses: string[]): V1EndpointSlice => ({
      metadata: { name: 'cache-abc', labels: { 'kubernetes.io/service-name': 'cache' } },
      addressType: 'IPv4',
      endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
      ports: [{ name: 'pg', port: 15432, protocol: 'TCP' }],
    });
    await hostDiscovery.createNamespacedEndpointSlice({ namespace: sharedNs, body: sourceSlice(['10.1.0.1', '10.1.0.2']) });
    const [m] = await createMapping({ direction: 'fromHost', from: `${sharedNs}/cache`, to: `${vns}/cache` });

    const { svc, slice } = await mapped(vns, 'cache', ['10.1.0.1', '10.1.0.2']);
    expect(svc.spec?.clusterIP).toBe('None');
    expect(slice.ports?.map((p) => p.port)).toEqual([15432]);

    await hostDiscovery.replaceNamespacedEndpointSlice({ name: 'cache-abc', namespace: sharedNs, body: sourceSlice(['10.1.0.3']) });
    await mapped(vns, 'cache', ['10.1.0.3']);

    await host.deleteNamespacedService({ name: 'cache', namespace: sharedNs });
    const now = await createHostService(sharedNs, 'cache');
    const after = await mapped(vns, 'cache', [now.spec!.clusterIP!]);
    expect(after.svc.spec?.clusterIP).not.toBe('None');
    await eventuallyStatus(m!.id, 'Mapped');
  });

  it('copies the LoadBalancer status of the source', async () => {
    const vns = freshNamespace();
    const source = await createHostService(hostNs, 'edge', { type: 'LoadBalancer' });
    await createMapping({ direction: 'fromHost', from: 'edge', to: `${vns}/edge` });
    await mapped(vns, 'edge', [source.spec!.clusterIP!]);
    await host.replaceNamespacedServiceStatus({ name: 'edge', namespace: hostNs, body: { ...source, status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } } } });
    await eventually(async () => expect((await readVirtual(vns, 'edge'))?.status?.loadBalancer?.ingress?.map((i) => i.ip)).toEqual(['203.0.113.9']), opts());
  });

  it('refuses a host namespace that is neither the project nor on the allowlist (403)', async () => {
    const res = await call('POST', `/v1/projects/${project}/mappings`, { direction: 'fromHost', from: 'kube-system/kube-dns', to: 'x/dns' });
    expect(res.status).toBe(403);
    expect(Problem.parse(res.body).code).toBe('import-not-allowed');
    expect(MappingList.parse((await call('GET', `/v1/projects/${project}/mappings`)).body).items.map((i) => i.from)).not.toContain('kube-system/kube-dns');
  });

  it('moves a mapping to another target without a restart (delete + create)', async () => {
    const [a, b] = [freshNamespace(), freshNamespace()];
    const source = await createHostService(hostNs, 'queue');
    const [first] = await createMapping({ direction: 'fromHost', from: 'queue', to: `${a}/queue` });
    await mapped(a, 'queue', [source.spec!.clusterIP!]);
    expect((await call('DELETE', `/v1/projects/${project}/mappings/${first!.id}`)).status).toBe(202);
    await createMapping({ direction: 'fromHost', from: 'queue', to: `${b}/queue` });
    await mapped(b, 'queue', [source.spec!.clusterIP!]);
    await eventually(async () => expect(await readVirtual(a, 'queue')).toBeUndefined(), opts());
    expect((await call('GET', `/v1/projects/${project}/mappings/${first!.id}`)).status).toBe(404);
  });
});

describe('fromVirtual', () => {
  it('publishes a virtual Service in the host namespace with the synced selector, and removes it with the mapping', async () => {
    const vns = freshNamespace();
    await virtual.createNamespace({ body: { metadata: { name: vns } } });
    await virtual.createNamespacedService({ namespace: vns, body: { metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ port: 80, targetPort: 8080 }] } } });
    const [m] = await createMapping({ direction: 'fromVirtual', from: `${vns}/api`, to: `api-${suffix}` });
    const svc = await eventually(async () => {
      const s = await readHost(`api-${suffix}`);
      expect(s).toBeDefined();
      return s!;
    }, opts());
    expect(svc.spec?.selector).toEqual({ app: 'api', 'vcluster.loft.sh/managed-by': vcluster, 'vcluster.loft.sh/namespace': vns });
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\./);
    expect(svc.spec?.ports?.map((p) => [p.port, p.targetPort])).toEqual([[80, 8080]]);
    await eventuallyStatus(m!.id, 'Mapped');

    expect((await call('DELETE', `/v1/projects/${project}/mappings/${m!.id}`)).status).toBe(202);
    await eventually(async () => expect(await readHost(`api-${suffix}`)).toBeUndefined(), opts());
  });

  it('never overwrites or deletes a host Service it does not own: NotOwned status and a Warning Event', async () => {
    const vns = freshNamespace();
    await virtual.createNamespace({ body: { metadata: { name: vns } } });
    await virtual.createNamespacedService({ namespace: vns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } });
    const taken = await host.createNamespacedService({ namespace: hostNs, body: { metadata: { name: 'taken', labels: { team: 'ops' } }, spec: { ports: [{ port: 9999 }] } } });
    const [m] = await createMapping({ direction: 'fromVirtual', from: `${vns}/web`, to: 'taken' });
    expect((await eventuallyStatus(m!.id, 'NotOwned')).ready).toBe(false);
    await eventually(async () => {
      const events = await virtual.listNamespacedEvent({ namespace: vns });
      expect(events.items.map((e) => [e.type, e.reason, e.involvedObject.name])).toContainEqual(['Warning', 'NotOwned', 'web']);
    }, opts());
    expect((await call('DELETE', `/v1/projects/${project}/mappings/${m!.id}`)).status).toBe(202);
    await eventually(async () => expect((await call('GET', `/v1/projects/${project}/mappings/${m!.id}`)).status).toBe(404), opts());
    const now = await readHost('taken');
    expect(now?.metadata?.resourceVersion).toBe(taken.metadata?.resourceVersion);
  });
});

describe('vcluster values', () => {
  it('accepts a mapServices fragment in YAML and maps both directions', async () => {
    const vns = freshNamespace();
    const source = await createHostService(hostNs, 'search');
    await virtual.createNamespace({ body: { metadata: { name: vns } } });
    await virtual.createNamespacedService({ namespace: vns, body: { metadata: { name: 'ui' }, spec: { selector: { app: 'ui' }, ports: [{ port: 80 }] } } });
    const values = `mapServices:\n  fromHost:\n    - from: search\n      to: ${vns}/search\n  fromVirtual:\n    - from: ${vns}/ui\n      to: ui-${suffix}\n`;
    const items = await createMapping({ values });
    expect(items.map((i) => [i.direction, i.from, i.to])).toEqual([
      ['fromHost', `${hostNs}/search`, `${vns}/search`],
      ['fromVirtual', `${vns}/ui`, `ui-${suffix}`],
    ]);
    await mapped(vns, 'search', [source.spec!.clusterIP!]);
    await eventually(async () => expect(await readHost(`ui-${suffix}`)).toBeDefined(), opts());
  });

  it.each([
    // The {direction, from, to} shape is the body schema's (its patterns are in the document) …
    ['fromHost to without a namespace', { direction: 'fromHost', from: 'db', to: 'db' }, 'to', 'invalid-body'],
    ['fromVirtual from without a namespace', { direction: 'fromVirtual', from: 'api', to: 'api' }, 'from', 'invalid-body'],
    ['fromVirtual to with a namespace', { direction: 'fromVirtual', from: 'a/api', to: 'b/api' }, 'to', 'invalid-body'],
    ['three parts', { direction: 'fromHost', from: 'a/b/c', to: 'x/y' }, 'from', 'invalid-body'],
    // … a values fragment is read by the api, with vcluster's rules.
    ['YAML with an invalid entry', { values: 'networking:\n  replicateServices:\n    toHost:\n      - {from: api, to: api}\n' }, 'values.networking.replicateServices.toHost[0].from', 'invalid-mapping'],
    ['YAML that does not parse', { values: 'mapServices: [' }, 'values', 'invalid-mapping'],
  ])('refuses %s with 422 and the reason', async (_name, body, path, code) => {
    const res = await call('POST', `/v1/projects/${project}/mappings`, body);
    expect(res.status).toBe(422);
    const problem = Problem.parse(res.body);
    expect(problem.code).toBe(code);
    expect(problem.errors?.map((e) => e.path)).toContain(path);
  });
});

describe('restarts', () => {
  it('removes what a mapping wrote when the mapping was deleted while the mapper was down', async () => {
    const vns = freshNamespace();
    const source = await createHostService(hostNs, 'late');
    const [m] = await createMapping({ direction: 'fromHost', from: 'late', to: `${vns}/late` });
    await mapped(vns, 'late', [source.spec!.clusterIP!]);
    await mapper.stop();
    expect((await call('DELETE', `/v1/projects/${project}/mappings/${m!.id}`)).status).toBe(202);
    mapper = await startMapper();
    await eventually(async () => {
      expect(await readVirtual(vns, 'late')).toBeUndefined();
      expect(await readSlice(vns, 'late')).toBeUndefined();
    }, opts());
  });
});

describe('hostile virtual cluster registrations', () => {
  it('is refused before any client is built: the mapping says why, and the program never runs', async () => {
    const hostile = 'hostile';
    const markerFile = join(dir, 'exec-ran');
    expect((await call('POST', '/v1/projects', { name: hostile, egressNetworkType: 'cloud' })).status).toBe(202);
    const registered = await call('PUT', `/v1/projects/${hostile}/vcluster`, { kubeconfig: kubeconfigFile(stack.virtual[1]!), options: { name: `hostile${suffix}` } });
    expect(registered.status, registered.text).toBe(202);
    // As a record stored before the sanitiser existed, or written to KV by other means.
    const nc = await connectNats(stack.natsUrl!);
    try {
      const vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord);
      const k = `${tenant}.${hostile}`;
      const stored = (await vclusters.get(k))!.value;
      const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', `touch ${markerFile}`] };
      const text = JSON.stringify({
        clusters: [{ name: 'vc', cluster: { server: stack.virtual[1]!.server } }],
        users: [{ name: 'u', user: { exec } }],
        contexts: [{ name: 'vc', context: { cluster: 'vc', user: 'u' } }],
        'current-context': 'vc',
      });
      await vclusters.put(k, { ...stored, kubeconfig: sealSecret(text, key), generation: stored.generation + 1 });
      const res = await call('POST', `/v1/projects/${hostile}/mappings`, { direction: 'fromVirtual', from: 'default/kubernetes', to: 'hostile-api' });
      expect(res.status, res.text).toBe(201);
      const [m] = MappingList.parse(res.body).items;
      const status = await eventually(async () => {
        const found = Mapping.parse((await call('GET', `/v1/projects/${hostile}/mappings/${m!.id}`)).body).status;
        expect(found.reason).toBe('KubeconfigRefused');
        return found;
      }, opts());
      expect(status.ready).toBe(false);
      expect(status.message).toContain('users[0].user.exec');
      expect(existsSync(markerFile)).toBe(false);
      await vclusters.delete(k);
    } finally {
      await nc.close();
    }
  });

  it('a server name that resolves to a denied endpoint is refused at connect time: ServerNotAllowed, and nothing connects', async () => {
    const rebound = 'rebound';
    expect((await call('POST', '/v1/projects', { name: rebound, egressNetworkType: 'cloud' })).status).toBe(202);
    // The API does not resolve names: it stores this; the mapper resolves at every connection.
    const text = JSON.stringify({
      clusters: [{ name: 'vc', cluster: { server: `https://localhost:${denied.port}` } }],
      users: [{ name: 'u', user: { token: 'tenant-token' } }],
      contexts: [{ name: 'vc', context: { cluster: 'vc', user: 'u' } }],
      'current-context': 'vc',
    });
    const registered = await call('PUT', `/v1/projects/${rebound}/vcluster`, { kubeconfig: text, options: { name: `rebound${suffix}` } });
    expect(registered.status, registered.text).toBe(202);
    const res = await call('POST', `/v1/projects/${rebound}/mappings`, { direction: 'fromVirtual', from: 'default/kubernetes', to: 'rebound-api' });
    expect(res.status, res.text).toBe(201);
    const [m] = MappingList.parse(res.body).items;
    await eventually(async () => {
      const status = Mapping.parse((await call('GET', `/v1/projects/${rebound}/mappings/${m!.id}`)).body).status;
      expect({ ready: status.ready, reason: status.reason }).toEqual({ ready: false, reason: 'ServerNotAllowed' });
    }, opts());
    expect(denied.connections).toBe(0);
  });
});

describe('project deletion', () => {
  it("deletes the project's mappings and removes what they wrote", async () => {
    const doomed = 'doomed';
    const doomedNs = `${tenant}-${doomed}`;
    expect((await call('POST', '/v1/projects', { name: doomed, egressNetworkType: 'cloud' })).status).toBe(202);
    const registered = await call('PUT', `/v1/projects/${doomed}/vcluster`, { kubeconfig: kubeconfigFile(stack.virtual[1]!), options: { name: `doomed${suffix}` } });
    expect(registered.status, registered.text).toBe(202);
    await host.createNamespace({ body: { metadata: { name: doomedNs } } });
    const vns = freshNamespace();
    await createHostService(doomedNs, 'queue');
    await virtual.createNamespace({ body: { metadata: { name: vns } } });
    await virtual.createNamespacedService({ namespace: vns, body: { metadata: { name: 'worker' }, spec: { selector: { app: 'worker' }, ports: [{ port: 80 }] } } });
    const created = await call('POST', `/v1/projects/${doomed}/mappings`, {
      values: `mapServices:\n  fromHost:\n  - from: queue\n    to: ${vns}/queue\n  fromVirtual:\n  - from: ${vns}/worker\n    to: worker-public\n`,
    });
    expect(created.status, created.text).toBe(201);
    await eventually(async () => {
      expect(await readVirtual(vns, 'queue')).toBeDefined();
      expect(await orUndefined(() => host.readNamespacedService({ name: 'worker-public', namespace: doomedNs }))).toBeDefined();
    }, opts());

    expect((await call('DELETE', `/v1/projects/${doomed}`)).status).toBe(202);
    await eventually(async () => {
      expect(await readVirtual(vns, 'queue')).toBeUndefined();
      expect(await orUndefined(() => host.readNamespacedService({ name: 'worker-public', namespace: doomedNs }))).toBeUndefined();
      const left = await call('GET', `/v1/projects/${doomed}/mappings`);
      expect(left.status === 404 || MappingList.parse(left.body).items.length === 0, left.text).toBe(true);
    }, opts());
  });
});
