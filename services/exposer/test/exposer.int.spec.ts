import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, DiscoveryV1Api, NetworkingV1Api, PatchStrategy, setHeaderOptions, type V1Service } from '@kubernetes/client-node';
import { CreatedToken, eventStream, Exposure, ImportList, ipamSubjects, LookupReply, Project, projectBuckets, VClusterRecord, type ExposureEvent } from '@netbroker/contracts';
import { openKv, request } from '@netbroker/bus';
import { sealSecret } from '@netbroker/runtime';
import { orUndefined } from '@netbroker/kube';
import { peersOf } from '@netbroker/translate';
import { connectNats, eventually, freePort, kubeconfigFile, kubeConfigFor, metricSum, requestedAddress, startNats, startService, type ServiceProcess } from '@netbroker/testing';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// Cross-project access end to end: real nats-server (its own), ipam, provisioner, api and
// exposer, the shared host and virtual kube-apiservers. The test plays the load balancer
// controller: it writes the address the Service asked for into its status, as MetalLB would.

const stack = inject('stack');
const hostKc = kubeConfigFor(stack.host!);
const host = hostKc.makeApiClient(CoreV1Api);
const hostDiscovery = hostKc.makeApiClient(DiscoveryV1Api);
const hostNetworking = hostKc.makeApiClient(NetworkingV1Api);
const virtualKc = kubeConfigFor(stack.virtual[0]!);
const virtual = virtualKc.makeApiClient(CoreV1Api);
const shopVirtual = kubeConfigFor(stack.virtual[1]!).makeApiClient(CoreV1Api);
const virtualDiscovery = virtualKc.makeApiClient(DiscoveryV1Api);
const suffix = randomUUID().slice(0, 6);
const acme = `acme${suffix}`;
const globex = `globex${suffix}`;
const entryNs = `ext${suffix}`;
const key = randomBytes(32);
const adminToken = randomBytes(24).toString('base64url');
const pools = [
  { name: 'projects', kind: 'prefix', prefixes: ['10.180.0.0/16'] },
  { name: 'egress-cloud', kind: 'address', ranges: [{ start: '100.66.0.10', end: '100.66.0.250' }] },
  { name: 'egress-public', kind: 'address', prefixes: ['198.51.100.0/24'] },
];
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

let dir: string;
let nats: Awaited<ReturnType<typeof startNats>>;
const services: ServiceProcess[] = [];
let exposer: ServiceProcess;
let startExposer: () => Promise<void>;
let apiUrl: string;
const tokens: Record<string, string> = {};

async function call(tenant: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[tenant]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, text };
}

const opts = (timeoutMs = 30_000) => ({ signal: exposer.signal, timeoutMs });

async function createProject(tenant: string, name: string, egressNetworkType = 'cloud') {
  expect((await call(tenant, 'POST', '/v1/projects', { name, egressNetworkType })).status).toBe(202);
}
async function readyProject(tenant: string, name: string) {
  return eventually(async () => {
    const p = Project.parse((await call(tenant, 'GET', `/v1/projects/${name}`)).body);
    if (p.status.phase !== 'Ready') throw new Error(`${tenant}/${name} is ${p.status.phase}`);
    return p.status;
  }, opts(60_000));
}
const exposure = async (tenant: string, project: string, name: string) => {
  const res = await call(tenant, 'GET', `/v1/projects/${project}/exposures/${name}`);
  expect(res.status, res.text).toBe(200);
  return Exposure.parse(res.body);
};
const eventuallyReason = (tenant: string, project: string, name: string, reason: string) =>
  eventually(async () => {
    const e = await exposure(tenant, project, name);
    if (e.status.reason !== reason) throw new Error(`exposure ${name} is ${e.status.reason}: ${e.status.message}`);
    return e;
  }, opts());

/** Plays the LB controller: the address the Service asked MetalLB for (or `address`) goes into its status. */
async function assignAddress(namespace: string, name: string, address?: string) {
  const svc = await eventually(() => host.readNamespacedService({ name, namespace }), opts());
  const ip = address ?? requestedAddress(svc);
  expect(ip).toBeTruthy();
  await host.patchNamespacedServiceStatus({ name, namespace, body: { status: { loadBalancer: { ingress: [{ ip }] } } } }, mergePatch);
  return ip!;
}

const hostService = (namespace: string, name: string) => orUndefined(() => host.readNamespacedService({ name, namespace }));
const hostSlice = (namespace: string, name: string) => orUndefined(() => hostDiscovery.readNamespacedEndpointSlice({ name: `${name}-netbroker`, namespace }));
const hostPolicy = (namespace: string, name: string) => orUndefined(() => hostNetworking.readNamespacedNetworkPolicy({ name, namespace }));
const virtualService = (name: string) => orUndefined(() => virtual.readNamespacedService({ name, namespace: entryNs }));
const virtualSlice = (name: string) => orUndefined(() => virtualDiscovery.readNamespacedEndpointSlice({ name: `${name}-netbroker`, namespace: entryNs }));

/** The exposure policy admits exactly these projects' egress EIPs and CIDRs. */
async function expectPeers(namespace: string, exposureName: string, consumers: Array<{ cidr?: string; egressIp?: string }>) {
  const want = consumers.flatMap((c) => [`${c.egressIp}/32`, c.cidr!]).sort();
  await eventually(async () => {
    const policy = await hostPolicy(namespace, `netbroker-exposure-${exposureName}`);
    expect(peersOf(policy)).toEqual(want);
  }, opts());
}

const createSource = (namespace: string, name: string, ports: Array<{ port: number; targetPort: number; protocol?: string }>, extra: Partial<V1Service['metadata']> = {}) =>
  host.createNamespacedService({ namespace, body: { metadata: { name, ...extra }, spec: { selector: { app: name }, ports: ports.map((p) => ({ name: `p${p.port}`, ...p })) } } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-exposer-'));
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  nats = await startNats(dir, () => undefined, `nats-exposer-${suffix}`);
  const common = { NATS_URL: nats.url, LOG_LEVEL: 'warn' };
  const kubeconfig = { KUBECONFIG: join(dir, 'host.kubeconfig') };
  const sealing = { NETBROKER_ENCRYPTION_KEY: key.toString('base64') };
  services.push(await startService({ service: 'ipam', name: 'ipam-exposer', env: { ...common, IPAM_POOLS: JSON.stringify(pools) } }));
  services.push(await startService({ service: 'provisioner', name: 'provisioner-exposer', env: { ...common, ...kubeconfig, RESYNC_INTERVAL_MS: '5000' } }));
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  services.push(await startService({ service: 'api', name: 'api-exposer', env: { ...common, ...sealing, HTTP_PORT: String(port), NETBROKER_ADMIN_TOKEN: adminToken } }));
  services.push(await startService({ service: 'syncer', name: 'syncer-exposer', env: { ...common, ...kubeconfig, ...sealing, HOST_SERVICE_CIDR: stack.host!.serviceCidr } }));
  startExposer = async () => {
    exposer = await startService({
      service: 'exposer',
      env: { ...common, ...kubeconfig, ...sealing, LB_PROVIDER: 'metallb', LB_ADDRESS_POOL: 'tenants', ENTRY_NAMESPACE: entryNs, RESYNC_INTERVAL_MS: '2000' },
    });
    services.push(exposer);
  };
  await startExposer();
  for (const tenant of [acme, globex]) {
    tokens[tenant] = adminToken;
    expect((await call(tenant, 'POST', '/admin/tenants', { name: tenant })).status).toBe(201);
    tokens[tenant] = CreatedToken.parse((await call(tenant, 'POST', `/admin/tenants/${tenant}/tokens`, { name: 't' })).body).token;
  }
  for (const p of ['shop', 'billing', 'other']) await createProject(acme, p);
  await createProject(globex, 'analytics', 'public');
  for (const [p, cluster] of [['billing', stack.virtual[0]!], ['shop', stack.virtual[1]!]] as const) {
    const registered = await call(acme, 'PUT', `/v1/projects/${p}/vcluster`, { kubeconfig: kubeconfigFile(cluster), options: { name: `${p}${suffix}` } });
    expect(registered.status, registered.text).toBe(202);
  }
  for (const [tenant, p] of [[acme, 'shop'], [acme, 'billing'], [acme, 'other'], [globex, 'analytics']] as const) await readyProject(tenant, p);
}, 240_000);

afterAll(async () => {
  for (const s of [...services].reverse()) await s.stop(); // stopping a stopped one is harmless
  await nats?.proc.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('exposures', () => {
  it('grant -> use -> revoke: the LB Service gets the EIP, the granted consumer its -ext entry, nobody else anything', async () => {
    const shopNs = `${acme}-shop`;
    await createSource(shopNs, 'db', [{ port: 5432, targetPort: 15432 }], { annotations: { 'metallb.io/loadBalancerIPs': '192.0.2.99' } });
    const created = await call(acme, 'POST', '/v1/projects/shop/exposures', { service: 'db', ports: [{ port: 5432 }], grants: ['billing'] });
    expect(created.status, created.text).toBe(201);

    const waiting = await eventuallyReason(acme, 'shop', 'db', 'WaitingForLoadBalancer');
    const eip = waiting.status.eip!;
    expect(eip).toMatch(/^100\.66\.0\.\d+$/); // the exporter's egress network type is cloud
    const lb = (await hostService(shopNs, 'exposure-db'))!;
    expect(lb.spec?.type).toBe('LoadBalancer');
    expect(lb.spec?.selector).toEqual({ app: 'db' });
    expect(lb.spec?.externalTrafficPolicy).toBe('Local');
    expect(lb.spec?.ports?.map((p) => [p.port, p.targetPort])).toEqual([[5432, 15432]]);
    // netbroker's request only: the tenant's own LB annotation on the source is not passed on
    expect(lb.metadata?.annotations?.['metallb.io/loadBalancerIPs']).toBe(eip);
    expect(lb.metadata?.annotations?.['metallb.io/address-pool']).toBe('tenants');
    expect(await hostService(`${acme}-billing`, 'db-ext')).toBeUndefined(); // no address yet: no entry

    await assignAddress(shopNs, 'exposure-db');
    const ready = await eventuallyReason(acme, 'shop', 'db', 'Ready');
    expect(ready.status.address).toBe(eip);
    const billing = await readyProject(acme, 'billing');
    await expectPeers(shopNs, 'db', [billing]);
    const policy = (await hostPolicy(shopNs, 'netbroker-exposure-db'))!;
    expect(policy.spec?.podSelector?.matchLabels).toEqual({ app: 'db' });
    expect(policy.spec?.ingress?.[0]?.ports).toEqual([{ protocol: 'TCP', port: 15432 }]);

    // the consumer: host namespace and its virtual cluster
    const billingNs = `${acme}-billing`;
    const entry = await eventually(async () => (await hostService(billingNs, 'db-ext')) ?? Promise.reject(new Error('no db-ext yet')), opts());
    expect(entry.spec?.selector).toBeUndefined();
    expect(entry.spec?.ports?.map((p) => p.port)).toEqual([5432]);
    expect((await hostSlice(billingNs, 'db-ext'))?.endpoints.flatMap((e) => e.addresses)).toEqual([eip]);
    const egress = (await hostPolicy(billingNs, 'netbroker-ext-db-ext'))!;
    expect(egress.spec?.egress?.[0]?.to?.[0]?.ipBlock?.cidr).toBe(`${eip}/32`);
    await eventually(async () => {
      const inside = await virtualService('db-ext');
      expect(inside?.spec?.ports?.map((p) => p.port)).toEqual([5432]);
      expect(inside?.spec?.clusterIP).toBe(entry.spec?.clusterIP); // the address the host serves for the consumer's pods
      expect((await virtualSlice('db-ext'))?.endpoints.flatMap((e) => e.addresses)).toEqual([eip]);
    }, opts());
    const imports = ImportList.parse((await call(acme, 'GET', '/v1/projects/billing/imports')).body).items;
    expect(imports).toMatchObject([{ exporter: `${acme}/shop`, exposure: 'db', state: 'accepted', entryName: 'db-ext', address: eip, ready: true }]);

    // a project that was not granted gets nothing
    expect(await hostService(`${acme}-other`, 'db-ext')).toBeUndefined();
    expect(ImportList.parse((await call(acme, 'GET', '/v1/projects/other/imports')).body).items).toEqual([]);

    // revoke: entries and the admission go within seconds
    const t0 = Date.now();
    expect((await call(acme, 'DELETE', `/v1/projects/shop/exposures/db/grants/${acme}/billing`)).status).toBe(202);
    await eventually(async () => {
      expect(await hostService(billingNs, 'db-ext')).toBeUndefined();
      expect(await hostSlice(billingNs, 'db-ext')).toBeUndefined();
      expect(await hostPolicy(billingNs, 'netbroker-ext-db-ext')).toBeUndefined();
      expect(await virtualService('db-ext')).toBeUndefined();
      expect(await virtualSlice('db-ext')).toBeUndefined();
    }, opts(10_000));
    await expectPeers(shopNs, 'db', []);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a grant to another tenant stays pending until that tenant accepts it; declining removes it', async () => {
    const shopNs = `${acme}-shop`;
    await createSource(shopNs, 'api', [{ port: 443, targetPort: 8443 }]);
    expect((await call(acme, 'POST', '/v1/projects/shop/exposures', { service: 'api', ports: [{ port: 443 }], grants: [`${globex}/analytics`] })).status).toBe(201);
    await assignAddress(shopNs, 'exposure-api');
    const pending = await eventuallyReason(acme, 'shop', 'api', 'Ready');
    expect(pending.status.consumers).toMatchObject([{ project: `${globex}/analytics`, ready: false, reason: 'AwaitingAcceptance' }]);
    await expectPeers(shopNs, 'api', []);
    const analyticsNs = `${globex}-analytics`;
    expect(await hostService(analyticsNs, 'api-ext')).toBeUndefined();

    const offered = ImportList.parse((await call(globex, 'GET', '/v1/projects/analytics/imports')).body).items;
    expect(offered).toMatchObject([{ exporter: `${acme}/shop`, exposure: 'api', state: 'pending' }]);
    const accepted = await call(globex, 'POST', `/v1/projects/analytics/imports/${acme}/shop/api/accept`);
    expect(accepted.status, accepted.text).toBe(200);
    const analytics = await readyProject(globex, 'analytics');
    await expectPeers(shopNs, 'api', [analytics]);
    const eip = (await exposure(acme, 'shop', 'api')).status.eip!;
    await eventually(async () => expect((await hostSlice(analyticsNs, 'api-ext'))?.endpoints[0]?.addresses).toEqual([eip]), opts());

    expect((await call(globex, 'DELETE', `/v1/projects/analytics/imports/${acme}/shop/api`)).status).toBe(202);
    await eventually(async () => expect(await hostService(analyticsNs, 'api-ext')).toBeUndefined(), opts());
    await expectPeers(shopNs, 'api', []);
    expect((await exposure(acme, 'shop', 'api')).grants).toEqual([]);
  });

  it('exposures share an EIP only on ports that do not collide', async () => {
    const shopNs = `${acme}-shop`;
    await createSource(shopNs, 'cache', [{ port: 6379, targetPort: 6379 }, { port: 9121, targetPort: 9121 }]);
    expect((await call(acme, 'POST', '/v1/projects/shop/exposures', { service: 'cache', ports: [{ port: 6379 }] })).status).toBe(201);
    const collision = await call(acme, 'POST', '/v1/projects/shop/exposures', { name: 'cache-again', service: 'cache', ports: [{ port: 6379 }], shareWith: 'cache' });
    expect(collision.status).toBe(409);
    expect((collision.body as { code: string }).code).toBe('port-collision');
    expect((await call(acme, 'GET', '/v1/projects/shop/exposures/cache-again')).status).toBe(404);

    expect((await call(acme, 'POST', '/v1/projects/shop/exposures', { name: 'cache-metrics', service: 'cache', ports: [{ port: 9121 }], shareWith: 'cache' })).status).toBe(201);
    await eventually(async () => {
      const [a, b] = [await hostService(shopNs, 'exposure-cache'), await hostService(shopNs, 'exposure-cache-metrics')];
      expect(b?.metadata?.annotations?.['metallb.io/loadBalancerIPs']).toBe(a?.metadata?.annotations?.['metallb.io/loadBalancerIPs']);
      expect(a?.metadata?.annotations?.['metallb.io/allow-shared-ip']).toBe(`${shopNs}-cache`);
      expect(b?.metadata?.annotations?.['metallb.io/allow-shared-ip']).toBe(`${shopNs}-cache`);
    }, opts());
    await eventually(async () => {
      const [a, b] = [await exposure(acme, 'shop', 'cache'), await exposure(acme, 'shop', 'cache-metrics')];
      expect(a.status.eip).toBeDefined();
      expect(b.status.eip).toBe(a.status.eip);
      expect(b.eipKey).toBe('cache');
    }, opts());
  });

  it('an address other than the EIP is reported and gives consumers no entry', async () => {
    const shopNs = `${acme}-shop`;
    await createSource(shopNs, 'queue', [{ port: 5672, targetPort: 5672 }]);
    expect((await call(acme, 'POST', '/v1/projects/shop/exposures', { service: 'queue', ports: [{ port: 5672 }], grants: ['billing'] })).status).toBe(201);
    await assignAddress(shopNs, 'exposure-queue', '192.0.2.77');
    const mismatch = await eventuallyReason(acme, 'shop', 'queue', 'AddressMismatch');
    expect(mismatch.status.address).toBe('192.0.2.77');
    expect(mismatch.status.message).toContain(mismatch.status.eip!);
    expect(await hostService(`${acme}-billing`, 'queue-ext')).toBeUndefined();
    await assignAddress(shopNs, 'exposure-queue');
    await eventuallyReason(acme, 'shop', 'queue', 'Ready');
    await eventually(async () => expect(await hostService(`${acme}-billing`, 'queue-ext')).toBeDefined(), opts());
  });

  it('a missing source or port is a status reason, and the exposure follows when it appears', async () => {
    expect((await call(acme, 'POST', '/v1/projects/shop/exposures', { service: 'later', ports: [{ port: 8080 }] })).status).toBe(201);
    await eventuallyReason(acme, 'shop', 'later', 'ServiceNotFound');
    await createSource(`${acme}-shop`, 'later', [{ port: 9090, targetPort: 9090 }]);
    await eventuallyReason(acme, 'shop', 'later', 'PortNotFound');
    expect((await call(acme, 'POST', '/v1/projects/shop/exposures', { name: 'vsvc', service: 'default/web', ports: [{ port: 80 }] })).status).toBe(201);
    await eventuallyReason(acme, 'shop', 'vsvc', 'ServiceNotFound');
    expect((await exposure(acme, 'shop', 'vsvc')).status.message).toContain(`web-x-default-x-shop${suffix}`);
  });

  it('a virtual Service is exposed through its synced host copy, selecting the same pods', async () => {
    const vns = `app${suffix}`;
    await shopVirtual.createNamespace({ body: { metadata: { name: vns } } });
    await shopVirtual.createNamespacedService({ namespace: vns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } });
    const shopNs = `${acme}-shop`;
    const synced = await eventually(async () => (await hostService(shopNs, `web-x-${vns}-x-shop${suffix}`)) ?? Promise.reject(new Error('not synced yet')), opts());
    expect((await call(acme, 'POST', '/v1/projects/shop/exposures', { name: 'web', service: `${vns}/web`, ports: [{ port: 80 }], grants: ['billing'] })).status).toBe(201);
    await assignAddress(shopNs, 'exposure-web');
    await eventuallyReason(acme, 'shop', 'web', 'Ready');
    const lb = (await hostService(shopNs, 'exposure-web'))!;
    expect(lb.spec?.selector).toEqual(synced.spec?.selector);
    expect(lb.spec?.selector?.['vcluster.loft.sh/namespace']).toBe(vns);
    expect(lb.spec?.ports?.map((p) => [p.port, p.targetPort])).toEqual([[80, 8080]]);
    // the consumer's entry inside its virtual cluster is the exposer's: the syncer does not copy it back to the host
    await eventually(async () => expect(await virtualService('web-ext')).toBeDefined(), opts());
    // a Service created after the entry, once synced, proves the syncer has looked at the entry too
    await virtual.createNamespacedService({ namespace: entryNs, body: { metadata: { name: 'control' }, spec: { selector: { app: 'control' }, ports: [{ port: 80 }] } } });
    const billingNs = `${acme}-billing`;
    await eventually(async () => (await hostService(billingNs, `control-x-${entryNs}-x-billing${suffix}`)) ?? Promise.reject(new Error('control not synced yet')), opts());
    const copies = (await host.listNamespacedService({ namespace: billingNs })).items.map((s) => s.metadata?.name).filter((n) => n?.startsWith('web-ext-x-'));
    expect(copies).toEqual([]);
  });

  it("a consumer's own Service of the entry's name is never touched; the grant says why", async () => {
    const otherNs = `${acme}-other`;
    await host.createNamespacedService({ namespace: otherNs, body: { metadata: { name: 'mq-ext' }, spec: { ports: [{ port: 1 }] } } });
    await createSource(`${acme}-shop`, 'mq', [{ port: 1883, targetPort: 1883 }]);
    expect((await call(acme, 'POST', '/v1/projects/shop/exposures', { service: 'mq', ports: [{ port: 1883 }], grants: ['other'] })).status).toBe(201);
    await assignAddress(`${acme}-shop`, 'exposure-mq');
    const e = await eventuallyReason(acme, 'shop', 'mq', 'Ready');
    await eventually(async () => {
      const now = await exposure(acme, 'shop', 'mq');
      expect(now.status.consumers).toMatchObject([{ project: `${acme}/other`, ready: false, reason: 'NameInUse' }]);
    }, opts());
    const theirs = (await hostService(otherNs, 'mq-ext'))!;
    expect(theirs.spec?.ports?.map((p) => p.port)).toEqual([1]);
    expect(theirs.metadata?.labels ?? {}).toEqual({});
    expect(await hostSlice(otherNs, 'mq-ext')).toBeUndefined();
    expect(e.status.eip).toBeDefined();
  });

  it('a consumer whose stored kubeconfig carries an exec plugin is refused with a reason, and the program never runs', async () => {
    // 'other' has no virtual cluster: a record written straight into KV (as one stored before the
    // sanitiser, or by other means) gives it one whose user runs a program.
    const markerFile = join(dir, 'exec-ran');
    const k = `${acme}.other`;
    const nc = await connectNats(nats.url);
    const vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord);
    try {
      const project = Project.parse((await call(acme, 'GET', '/v1/projects/other')).body);
      const text = JSON.stringify({
        clusters: [{ name: 'vc', cluster: { server: stack.virtual[0]!.server } }],
        users: [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', `touch ${markerFile}`] } } }],
        contexts: [{ name: 'vc', context: { cluster: 'vc', user: 'u' } }],
        'current-context': 'vc',
      });
      await vclusters.put(k, {
        v: 1,
        tenant: acme,
        project: 'other',
        projectUid: project.uid,
        generation: 1,
        registeredAt: new Date().toISOString(),
        kubeconfig: sealSecret(text, key),
        options: { name: `other${suffix}`, syncIngresses: false, syncNetworkPolicies: false, syncIngressClasses: false },
      });
      await createSource(`${acme}-shop`, 'amqp', [{ port: 5672, targetPort: 5672 }]);
      expect((await call(acme, 'POST', '/v1/projects/shop/exposures', { service: 'amqp', ports: [{ port: 5672 }], grants: ['other'] })).status).toBe(201);
      await assignAddress(`${acme}-shop`, 'exposure-amqp');
      await eventuallyReason(acme, 'shop', 'amqp', 'Ready');
      const refused = await eventually(async () => {
        const [consumer] = (await exposure(acme, 'shop', 'amqp')).status.consumers ?? [];
        expect(consumer).toMatchObject({ project: `${acme}/other`, ready: false, reason: 'KubeconfigRefused' });
        return consumer!;
      }, opts());
      expect(refused.message).toContain('users[0].user.exec');
      expect(existsSync(markerFile)).toBe(false);
    } finally {
      // 'other' goes back to having no virtual cluster, and the exposure goes, for the tests after this one.
      await vclusters.delete(k);
      await nc.close();
      await call(acme, 'DELETE', '/v1/projects/shop/exposures/amqp');
    }
  });

  it('an exposure deleted while the exposer is down is cleaned up when it is back', async () => {
    const shopNs = `${acme}-shop`;
    await createSource(shopNs, 'ldap', [{ port: 636, targetPort: 636 }]);
    expect((await call(acme, 'POST', '/v1/projects/shop/exposures', { service: 'ldap', ports: [{ port: 636 }], grants: ['billing'] })).status).toBe(201);
    await assignAddress(shopNs, 'exposure-ldap');
    await eventually(async () => expect(await virtualService('ldap-ext')).toBeDefined(), opts());
    await exposer.stop();
    expect((await call(acme, 'DELETE', '/v1/projects/shop/exposures/ldap')).status).toBe(202);
    await startExposer();
    await eventually(async () => {
      expect(await hostService(shopNs, 'exposure-ldap')).toBeUndefined();
      expect(await hostPolicy(shopNs, 'netbroker-exposure-ldap')).toBeUndefined();
      expect(await hostService(`${acme}-billing`, 'ldap-ext')).toBeUndefined();
      expect(await virtualService('ldap-ext')).toBeUndefined();
    }, opts());
  });

  it('a deleted consumer project loses its grant and its admission', async () => {
    const shopNs = `${acme}-shop`;
    await createProject(acme, 'temp');
    const temp = await readyProject(acme, 'temp');
    const billing = await readyProject(acme, 'billing');
    await createSource(shopNs, 'smtp', [{ port: 25, targetPort: 2525 }]);
    expect((await call(acme, 'POST', '/v1/projects/shop/exposures', { service: 'smtp', ports: [{ port: 25 }], grants: ['temp', 'billing'] })).status).toBe(201);
    await assignAddress(shopNs, 'exposure-smtp');
    await expectPeers(shopNs, 'smtp', [temp, billing]);
    await eventually(async () => expect(await hostService(`${acme}-temp`, 'smtp-ext')).toBeDefined(), opts());

    expect((await call(acme, 'DELETE', '/v1/projects/temp')).status).toBe(202);
    await expectPeers(shopNs, 'smtp', [billing]);
    await eventually(async () => expect((await exposure(acme, 'shop', 'smtp')).grants.map((g) => g.project)).toEqual([`${acme}/billing`]), opts());
    // a new project of the same name is not the one that was granted (its namespace stays
    // Terminating here: the harness runs no namespace controller, so it is not waited for)
    await createProject(acme, 'temp');
    expect(ImportList.parse((await call(acme, 'GET', '/v1/projects/temp/imports')).body).items).toEqual([]);
  });

  it("a virtual cluster that refuses the host entry's ClusterIP keeps an entry of its own and the status says so", async () => {
    const shopNs = `${acme}-shop`;
    await createSource(shopNs, 'nats', [{ port: 4222, targetPort: 4222 }]);
    expect((await call(acme, 'POST', '/v1/projects/shop/exposures', { service: 'nats', ports: [{ port: 4222 }], grants: ['billing'] })).status).toBe(201);
    await assignAddress(shopNs, 'exposure-nats');
    const hostIp = await eventually(async () => (await virtualService('nats-ext'))?.spec?.clusterIP ?? Promise.reject(new Error('no virtual entry yet')), opts());
    // Another Service takes that address inside the virtual cluster before the entry comes back:
    // one the syncer leaves alone (a mapping's, whose ClusterIP is the virtual cluster's own), as
    // the syncer would otherwise move a tenant's Service to the host's address.
    // The exposer puts its entry back as soon as it sees it gone, and the apiserver may release the
    // address a moment after the delete: whoever asks first gets it. Until the squatter has it,
    // the entry is taken away again.
    const squatter = { name: 'squatter', labels: { 'netbroker.io/mapping': 'm0000000000000000' } };
    await eventually(async () => {
      if (await virtualService('nats-ext')) await virtual.deleteNamespacedService({ name: 'nats-ext', namespace: entryNs }).catch(() => undefined);
      await virtual.createNamespacedService({ namespace: entryNs, body: { metadata: squatter, spec: { clusterIP: hostIp, ports: [{ port: 1 }] } } });
    }, opts());
    await eventually(async () => {
      const e = await exposure(acme, 'shop', 'nats');
      expect(e.status.consumers).toMatchObject([{ project: `${acme}/billing`, ready: false, reason: 'ClusterIPUnavailable' }]);
    }, opts());
    const own = (await virtualService('nats-ext'))!;
    expect(own.spec?.clusterIP).not.toBe(hostIp);
    expect((await hostService(`${acme}-billing`, 'nats-ext'))?.spec?.clusterIP).toBe(hostIp);
  });

  it('a resync of exposures in place writes nothing', async () => {
    const page = async () => (await fetch(`${exposer.opsUrl}/metrics`)).text();
    const writes = (text: string) => metricSum(text, 'netbroker_controller_writes_total', 'controller="exporter"');
    const reconciles = (text: string) => metricSum(text, 'netbroker_controller_reconciles_total', 'controller="exporter"');
    // Everything earlier has settled: a window of several resyncs adds no write.
    await eventually(async () => {
      const before = await page();
      await eventually(async () => expect(reconciles(await page())).toBeGreaterThanOrEqual(reconciles(before) + 4), opts());
      expect(writes(await page())).toBe(writes(before));
    }, opts(45_000));
  });

  it('deleting the exporting project removes every consumer entry and releases its EIPs', async () => {
    await createProject(acme, 'store');
    await readyProject(acme, 'store');
    const storeNs = `${acme}-store`;
    await createSource(storeNs, 'pg', [{ port: 5432, targetPort: 5432 }]);
    expect((await call(acme, 'POST', '/v1/projects/store/exposures', { service: 'pg', ports: [{ port: 5432 }], grants: ['billing', `${globex}/analytics`] })).status).toBe(201);
    expect((await call(globex, 'POST', `/v1/projects/analytics/imports/${acme}/store/pg/accept`)).status).toBe(200);
    await assignAddress(storeNs, 'exposure-pg');
    await eventually(async () => {
      expect(await hostService(`${acme}-billing`, 'pg-ext')).toBeDefined();
      expect(await hostService(`${globex}-analytics`, 'pg-ext')).toBeDefined();
      expect(await virtualService('pg-ext')).toBeDefined();
    }, opts());

    expect((await call(acme, 'DELETE', '/v1/projects/store')).status).toBe(202);
    await eventually(async () => {
      expect(await hostService(`${acme}-billing`, 'pg-ext')).toBeUndefined();
      expect(await hostService(`${globex}-analytics`, 'pg-ext')).toBeUndefined();
      expect(await hostPolicy(`${globex}-analytics`, 'netbroker-ext-pg-ext')).toBeUndefined();
      expect(await virtualService('pg-ext')).toBeUndefined();
      expect(ImportList.parse((await call(globex, 'GET', '/v1/projects/analytics/imports')).body).items.filter((i) => i.exporter === `${acme}/store`)).toEqual([]);
    }, opts(60_000));
    const nc = await connectNats(nats.url);
    try {
      await eventually(async () => {
        const held = await request(nc, ipamSubjects.lookup, { v: 1, owner: { tenant: acme, project: 'store' } }, LookupReply);
        expect(held.ok && held.value.allocations).toEqual([]);
      }, opts());
      // the audit trail: who created the exposure and who accepted the grant
      const js = jetstream(nc);
      const consumer = await js.consumers.get(eventStream.name, { filter_subjects: ['evt.exposure.created', 'evt.grant.accepted'] });
      const seen: Array<{ subject: string; event: ExposureEvent }> = [];
      for (;;) {
        const m = await consumer.next({ expires: 1_000 });
        if (!m) break;
        seen.push({ subject: m.subject, event: m.json<ExposureEvent>() });
      }
      const mine = seen.filter((s) => s.event.exporter.tenant === acme && s.event.exporter.project === 'store');
      expect(mine.map((s) => [s.subject, s.event.actor.startsWith(`tenant:${acme}`) || s.event.actor.startsWith(`tenant:${globex}`)])).toEqual([
        ['evt.exposure.created', true],
        ['evt.grant.accepted', true],
      ]);
    } finally {
      await nc.close();
    }
  });
});
