import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { CreatedToken, Exposure, Project } from '@netbroker/contracts';
import {
  binaryPath,
  eventually,
  kubeConfigFor,
  restrictedContainer,
  restrictedPodSecurity,
  runPodToCompletion,
  startPrivatePlatform,
  startStack,
  waitForRollout,
  type PrivatePlatform,
  type ServiceProcess,
  type Stack,
} from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Real packets through an exposure, on a real node: a pod of the consumer project reaches the
// exported Service through its `<service>-ext` entry (ClusterIP → EIP, which the load balancer
// beside the node forwards to the LoadBalancer Service netbroker made), and a project without a
// grant has no entry to reach. Every netbroker service runs from its real main.ts.

const EIP_RANGE = '100.67.0.0/24';
const tenant = 'acme';
const pools = [
  { name: 'projects', kind: 'prefix', prefixes: ['10.181.0.0/16'] },
  { name: 'egress-cloud', kind: 'address', ranges: [{ start: '100.67.0.10', end: '100.67.0.250' }] },
  { name: 'egress-public', kind: 'address', prefixes: ['198.51.100.0/24'] },
];

const restricted = { securityContext: restrictedPodSecurity };
const container = restrictedContainer;

describe('an exposure on a real node', () => {
  let stack: Stack;
  let platform: PrivatePlatform;
  let exposer: ServiceProcess;
  let netcheck: string;
  let token: string;
  const core = () => kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
  const call = (method: string, path: string, body?: unknown) => platform.call(method, path, body, token);
  const ns = (project: string) => `${tenant}-${project}`;
  const opts = (timeoutMs = 60_000) => ({ timeoutMs, signal: exposer.signal });

  /** A pod of `project` fetches `url`; its log is what it got. */
  const fetchFrom = async (project: string, url: string) => {
    const namespace = ns(project);
    const done = await runPodToCompletion(stack.host!, namespace, {
      metadata: { generateName: 'client-' },
      spec: { ...restricted, containers: [container({ name: 'get', image: netcheck, args: ['get', url] })] },
    });
    const pods = await core().listNamespacedPod({ namespace, fieldSelector: `status.phase=${done.phase}` });
    const newest = pods.items.sort((a, b) => String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp))).at(-1)!;
    return { ...done, log: await stack.node!.podLogs(namespace, newest.metadata!.name!) };
  };

  beforeAll(async () => {
    stack = await startStack({ nats: false, node: { loadBalancer: [EIP_RANGE] } });
    netcheck = await stack.node!.loadImage({ name: 'netcheck', files: { '/netcheck': binaryPath('netcheck') }, entrypoint: ['/netcheck'] });
    platform = await startPrivatePlatform({ name: 'traffic', host: stack.host!, pools, provisioner: true });
    exposer = await platform.start('exposer', 'exposer-traffic', { LB_PROVIDER: 'metallb', LB_ADDRESS_POOL: 'tenants', ENTRY_NAMESPACE: 'ext', RESYNC_INTERVAL_MS: '2000' });
    expect((await platform.call('POST', '/admin/tenants', { name: tenant })).status).toBe(201);
    token = CreatedToken.parse((await platform.call('POST', `/admin/tenants/${tenant}/tokens`, { name: 't' })).body).token;
    for (const p of ['shop', 'billing', 'other']) expect((await call('POST', '/v1/projects', { name: p, egressNetworkType: 'cloud' })).status).toBe(202);
    for (const p of ['shop', 'billing', 'other']) {
      await eventually(async () => {
        const project = Project.parse((await call('GET', `/v1/projects/${p}`)).body);
        if (project.status.phase !== 'Ready') throw new Error(`${p} is ${project.status.phase}`);
      }, opts());
      // The controller-manager gives the namespace its default ServiceAccount; pods need it.
      await eventually(() => core().readNamespacedServiceAccount({ name: 'default', namespace: ns(p) }), opts());
    }
  }, 300_000);
  afterAll(async () => {
    await platform?.stop();
    await stack?.stop();
  });

  it('carries a granted consumer pod to the exported pods through <service>-ext, and gives a project without a grant nothing to reach', async () => {
    const labels = { app: 'db' };
    await kubeConfigFor(stack.host!).makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: ns('shop'),
      body: {
        metadata: { name: 'db' },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              ...restricted,
              containers: [container({ name: 'db', image: netcheck, args: ['serve', '15432', 'db of shop'], readinessProbe: { httpGet: { path: '/', port: 15432 }, periodSeconds: 1 } })],
            },
          },
        },
      },
    });
    await waitForRollout(stack.host!, ns('shop'), 'db');
    await core().createNamespacedService({ namespace: ns('shop'), body: { metadata: { name: 'db' }, spec: { selector: labels, ports: [{ name: 'db', port: 5432, targetPort: 15432 }] } } });
    const created = await call('POST', '/v1/projects/shop/exposures', { service: 'db', ports: [{ port: 5432 }], grants: ['billing'] });
    expect(created.status, created.text).toBe(201);
    const ready = await eventually(async () => {
      const e = Exposure.parse((await call('GET', '/v1/projects/shop/exposures/db')).body);
      if (e.status.reason !== 'Ready') throw new Error(`exposure is ${e.status.reason}: ${e.status.message}`);
      return e;
    }, opts());
    expect(ready.status.address).toMatch(/^100\.67\.0\.\d+$/);

    // billing: name → ClusterIP of db-ext → the EIP → the load balancer → NodePort → the db pod.
    const granted = await eventually(async () => {
      const r = await fetchFrom('billing', 'http://db-ext:5432/');
      if (r.phase !== 'Succeeded') throw new Error(`billing's client: ${r.phase} ${r.log}`);
      return r;
    }, opts(90_000));
    expect(granted.log.trim()).toBe('db of shop');

    // other: no grant, no entry, nothing to resolve (the name fails in the cluster zone, and the
    // cluster DNS has no upstream for the bare name).
    const refused = await fetchFrom('other', 'http://db-ext:5432/');
    expect(refused.phase).toBe('Failed');
    expect(refused.log).toMatch(/lookup db-ext on [\d.]+:53: (no such host|server misbehaving)/);

    // Revoked: billing's entry goes, and with it the way in.
    expect((await call('DELETE', `/v1/projects/shop/exposures/db/grants/${tenant}/billing`)).status).toBe(202);
    await eventually(async () => {
      const r = await fetchFrom('billing', 'http://db-ext:5432/');
      expect(r.phase).toBe('Failed');
    }, opts(60_000));
  });

  it('deleting a project really removes its namespace (its pods stop, the namespace controller finishes)', async () => {
    expect((await call('DELETE', '/v1/projects/other')).status).toBe(202);
    await eventually(async () => {
      const gone = await core().readNamespace({ name: ns('other') }).then(() => false, (e: { code?: number }) => e.code === 404);
      expect(gone).toBe(true);
    }, opts(120_000));
    expect((await call('GET', '/v1/projects/other')).status).toBe(404);
  });
});
