import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, NetworkingV1Api, PatchStrategy, setHeaderOptions, type CoreV1Event, type V1Ingress, type V1IngressSpec, type V1Service } from '@kubernetes/client-node';
import { projectBuckets, syncerBuckets, VClusterRecord, VClusterStatus, type SyncIssue } from '@netbroker/contracts';
import { openKv, type JsonKv, type NatsConnection } from '@netbroker/bus';
import { orUndefined } from '@netbroker/kube';
import { hostName } from '@netbroker/naming';
import {
  connectNats,
  eventually,
  kubeconfigFile,
  kubeConfigFor,
  startEtcd,
  startKubeApiserver,
  startNats,
  type ServerProcess,
  type ServiceProcess,
} from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSyncer, vclusterRecord } from './registration';
import { TamperingProxy } from './tampering-proxy';

// Hostile Ingresses and Services created in a real virtual API server, synced by the real syncer
// (its main.ts, with an ANNOTATION_POLICY), asserting what reaches the shared host, the Warning
// Events in the virtual cluster and the registration status. The virtual API server, its etcd and
// nats-server are this file's own: no other syncer sees these objects, and this syncer syncs no
// other test's objects. The syncer reaches that API server through a TamperingProxy, which plays a
// tenant's own API server: it sends what a real one refuses (the `tamper` markers below).
const stack = inject('stack');
const hostConfig = kubeConfigFor(stack.host!);
const hostNet = hostConfig.makeApiClient(NetworkingV1Api);
const hostCore = hostConfig.makeApiClient(CoreV1Api);
const suffix = randomUUID().slice(0, 6);
const tenant = `hx${suffix}`;
const project = 'web';
const registration = `${tenant}.${project}`;
const vcluster = `vh${suffix}`;
const hostNs = `${tenant}-${project}`;
const ns = 'shop';
const offeredClass = `hx-${suffix}`;
const key = randomBytes(32);
const N = 'nginx.ingress.kubernetes.io';
const policy = {
  ingress: { keys: ['example.com/forbidden'] },
  allowedAuthHosts: ['auth.example.com'],
  allowedReferences: ['shared-compress@kubernetescrd'],
};

let dir: string;
const procs: ServerProcess[] = [];
let nc: NatsConnection;
let statuses: JsonKv<typeof VClusterStatus>;
let syncer: ServiceProcess | undefined;
let virtualNet: NetworkingV1Api;
let virtualCore: CoreV1Api;
let proxy: TamperingProxy | undefined;

/** What the tenant's API server sends in place of valid values it stored. */
const LOOKALIKE_KEY = `${N}/\u0455erver-snippet`; // a Cyrillic "s"
const TAMPER: [string, string][] = [
  ['"secretName":"tamper-tls"', '"secretName":"kube-system/wildcard-tls"'],
  ['"name":"tamper-svc"', '"name":"kube-system/api"'],
  ['"tamper.example.com/lookalike":', `"${LOOKALIKE_KEY}":`],
];
const tamper = (line: string) => TAMPER.reduce((text, [marker, hostile]) => text.replaceAll(marker, hostile), line);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-hostile-'));
  const onExit = () => undefined; // a server that dies fails the eventually() waiting on it
  const [nats, etcd] = await Promise.all([startNats(dir, onExit, `nats-hostile-${suffix}`), startEtcd(dir, onExit)]);
  procs.push(nats.proc, etcd.proc);
  const name = `hostile-${suffix}`;
  const apiserver = await startKubeApiserver(dir, { name, etcdUrl: etcd.url, serviceCidr: '10.96.0.0/16', users: [], compaction: false }, onExit);
  procs.push(apiserver.proc);
  proxy = await TamperingProxy.start(apiserver.info, join(dir, name, 'pki'), tamper);
  const virtualConfig = kubeConfigFor(apiserver.info);
  virtualNet = virtualConfig.makeApiClient(NetworkingV1Api);
  virtualCore = virtualConfig.makeApiClient(CoreV1Api);
  await virtualCore.createNamespace({ body: { metadata: { name: ns } } });
  await hostCore.createNamespace({ body: { metadata: { name: hostNs } } });
  await hostNet.createIngressClass({ body: { metadata: { name: offeredClass }, spec: { controller: 'example.com/ingress' } } });

  nc = await connectNats(nats.url);
  statuses = await openKv(nc, syncerBuckets.status, VClusterStatus);
  const vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord);
  const options = { syncIngresses: true, syncIngressClasses: true };
  await vclusters.put(registration, vclusterRecord({ tenant, project, vcluster, kubeconfig: kubeconfigFile(proxy.info), key, options }));
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  syncer = await startSyncer({ name: `syncer-hostile-${suffix}`, natsUrl: nats.url, dir, key, env: { LOG_LEVEL: 'error', ANNOTATION_POLICY: JSON.stringify(policy) } });
});
afterAll(async () => {
  await syncer?.stop();
  await proxy?.close();
  await nc?.close();
  await Promise.all(procs.map((p) => p.stop()));
  await orUndefined(() => hostNet.deleteIngressClass({ name: offeredClass }));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const opts = { timeoutMs: 20_000 };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const hostIngress = (name: string) => orUndefined(() => hostNet.readNamespacedIngress({ name: hostName({ name, namespace: ns, vcluster }), namespace: hostNs }));
const hostService = (name: string) => orUndefined(() => hostCore.readNamespacedService({ name: hostName({ name, namespace: ns, vcluster }), namespace: hostNs }));

const ingress = (name: string, annotations: Record<string, string>, spec: Partial<V1IngressSpec> = {}): V1Ingress => ({
  metadata: { name, annotations },
  spec: {
    rules: [{ host: `${name}.${suffix}.example`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    ...spec,
  },
});

/** The Warning Event of `reason` on the virtual object `kind/name`, once it is there. */
const warned = (kind: string, name: string, reason: string) =>
  eventually(async () => {
    const events = await virtualCore.listNamespacedEvent({ namespace: ns });
    const found = events.items.find((e) => e.type === 'Warning' && e.reason === reason && e.involvedObject.kind === kind && e.involvedObject.name === name);
    expect(found).toBeDefined();
    return found!;
  }, opts);

/** The registration status lists `issue` (in `refused` or `dropped`). */
const inStatus = (list: 'refused' | 'dropped', issue: SyncIssue) =>
  eventually(async () => expect((await statuses.get(registration))?.value[list] ?? []).toContainEqual(issue), opts);

const expectNoValues = (event: CoreV1Event, values: string[]) => {
  for (const v of values) expect(event.message).not.toContain(v);
};

interface Refused {
  name: string;
  body: V1Ingress;
  reason: string;
  /** Keys the status names (refused annotations). */
  keys?: string[];
  /** Values that must never be echoed. */
  secrets?: string[];
}

const refusedIngresses: Refused[] = [
  {
    name: 'metadata-auth',
    body: ingress('metadata-auth', {
      [`${N}/server-snippet`]: 'location /x { return 200 $http_authorization; }',
      [`${N}/configuration-snippet`]: 'more_set_headers "X: y";',
      [`${N}/auth-url`]: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    }),
    reason: 'AnnotationRefused',
    keys: [`${N}/auth-url`],
    secrets: ['169.254', 'security-credentials'],
  },
  {
    name: 'auth-not-allowed',
    body: ingress('auth-not-allowed', { [`${N}/auth-url`]: 'https://evil.example.net/auth', [`${N}/auth-signin`]: 'https://user:hunter2@auth.example.com/' }),
    reason: 'AnnotationRefused',
    keys: [`${N}/auth-signin`, `${N}/auth-url`],
    secrets: ['evil.example.net', 'hunter2'],
  },
  {
    name: 'foreign-middleware',
    body: ingress('foreign-middleware', { 'traefik.ingress.kubernetes.io/router.middlewares': 'kube-system-admin-auth@kubernetescrd' }),
    reason: 'AnnotationRefused',
    keys: ['traefik.ingress.kubernetes.io/router.middlewares'],
    secrets: ['kube-system-admin-auth'],
  },
  // Sent as `kube-system/wildcard-tls`, which Contour reads as another namespace's Secret.
  { name: 'tls-elsewhere', body: ingress('tls-elsewhere', {}, { tls: [{ hosts: [`tls-elsewhere.${suffix}.example`], secretName: 'tamper-tls' }] }), reason: 'TlsSecretNotAllowed' },
  // Sent as Service `kube-system/api`.
  {
    name: 'backend-elsewhere',
    body: ingress('backend-elsewhere', {}, { defaultBackend: { service: { name: 'tamper-svc', port: { number: 443 } } } }),
    reason: 'BackendNotAllowed',
  },
  {
    name: 'crd-backend',
    body: ingress('crd-backend', {}, { defaultBackend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'assets' } } }),
    reason: 'BackendNotAllowed',
  },
  {
    name: 'class-annotation',
    body: ingress('class-annotation', { 'projectcontour.io/ingress.class': `internal-${suffix}` }, { ingressClassName: offeredClass }),
    reason: 'IngressClassNotOffered',
  },
];

interface Synced {
  name: string;
  body: V1Ingress;
  /** Annotations the host Ingress carries, as written there. */
  kept: Record<string, string>;
  /** Keys dropped (sorted): absent from the host, named by the Event and the status. */
  dropped: string[];
  secrets: string[];
}

const syncedIngresses: Synced[] = [
  {
    name: 'snippets',
    body: ingress('snippets', {
      [`${N}/server-snippet`]: 'location /leak { alias /var/run/secrets/; }',
      [`${N}/Configuration-Snippet`]: 'lua_need_request_body on;',
      'haproxy.org/backend-config-snippet': 'http-request deny',
      'nginx.org/server-snippets': 'return 200;',
      [`${N}/proxy-body-size`]: '8m',
      [`${N}/default-backend`]: 'fallback',
    }),
    kept: { [`${N}/proxy-body-size`]: '8m', [`${N}/default-backend`]: hostName({ name: 'fallback', namespace: ns, vcluster }) },
    dropped: [`${N}/Configuration-Snippet`, 'haproxy.org/backend-config-snippet', `${N}/server-snippet`, 'nginx.org/server-snippets'].sort(),
    secrets: ['/var/run/secrets', 'lua_need_request_body'],
  },
  {
    name: 'extras',
    body: ingress('extras', {
      [`${N}/mirror-target`]: 'http://10.0.0.1$request_uri',
      [`${N}/server-alias`]: 'victim.example.org',
      [`${N}/enable-global-auth`]: 'false',
      'external-dns.alpha.kubernetes.io/hostname': 'victim.example.org',
      'example.com/forbidden': 'yes',
      [`${N}/auth-url`]: 'https://auth.example.com/oauth2/auth',
      'traefik.ingress.kubernetes.io/router.middlewares': 'shared-compress@kubernetescrd',
    }),
    kept: { [`${N}/auth-url`]: 'https://auth.example.com/oauth2/auth', 'traefik.ingress.kubernetes.io/router.middlewares': 'shared-compress@kubernetescrd' },
    dropped: ['example.com/forbidden', 'external-dns.alpha.kubernetes.io/hostname', `${N}/enable-global-auth`, `${N}/mirror-target`, `${N}/server-alias`].sort(),
    secrets: ['victim.example.org', '10.0.0.1'],
  },
  {
    // Sent with a look-alike of ingress-nginx's server-snippet key, which the host API server would refuse.
    name: 'lookalike',
    body: ingress('lookalike', { 'tamper.example.com/lookalike': 'location /x {}', [`${N}/proxy-body-size`]: '8m' }),
    kept: { [`${N}/proxy-body-size`]: '8m' },
    dropped: [LOOKALIKE_KEY],
    secrets: ['location /x'],
  },
  {
    name: 'own-services',
    body: ingress('own-services', { [`${N}/auth-url`]: 'http://oauth2.auth.svc.cluster.local:4180/oauth2/auth', [`${N}/auth-secret`]: 'kube-system/admin' }),
    kept: {
      [`${N}/auth-url`]: `http://${hostName({ name: 'oauth2', namespace: 'auth', vcluster })}.${hostNs}.svc.cluster.local:4180/oauth2/auth`,
      [`${N}/auth-secret`]: `${hostNs}/${hostName({ name: 'admin', namespace: 'kube-system', vcluster })}`,
    },
    dropped: [],
    secrets: [],
  },
];

describe('hostile Ingresses', () => {
  beforeAll(async () => {
    await Promise.all([...refusedIngresses, ...syncedIngresses].map(({ body }) => virtualNet.createNamespacedIngress({ namespace: ns, body })));
  });

  it.each(syncedIngresses)('syncs $name to the host without the annotations it cannot pass, and says which', async ({ name, kept, dropped, secrets }) => {
    const host = await eventually(async () => {
      const h = await hostIngress(name);
      expect(h).toBeDefined();
      return h!;
    }, opts);
    const written = host.metadata?.annotations ?? {};
    expect(written).toMatchObject(kept);
    for (const k of dropped) expect(written).not.toHaveProperty([k]);
    if (dropped.length === 0) return;
    const event = await warned('Ingress', name, 'AnnotationDropped');
    for (const k of dropped) expect(event.message).toContain(k);
    expectNoValues(event, secrets);
    await inStatus('dropped', { kind: 'Ingress', namespace: ns, name, reason: 'AnnotationDropped', keys: dropped });
  });

  it.each(refusedIngresses)('refuses $name ($reason): no host copy, a Warning Event and the status say why', async ({ name, reason, keys, secrets = [] }) => {
    const event = await warned('Ingress', name, reason);
    for (const k of keys ?? []) expect(event.message).toContain(k);
    expectNoValues(event, secrets);
    await inStatus('refused', { kind: 'Ingress', namespace: ns, name, reason, ...(keys ? { keys } : {}) });
    expect(await hostIngress(name)).toBeUndefined();
  });

  it('deletes the host copy of a synced Ingress once it carries a refused annotation, and syncs it again without', async () => {
    const name = 'turncoat';
    await virtualNet.createNamespacedIngress({ namespace: ns, body: ingress(name, {}) });
    await eventually(async () => expect(await hostIngress(name)).toBeDefined(), opts);
    const refusedKey = 'haproxy.org/allow-list';
    const patch = (annotations: Record<string, string | null>) =>
      virtualNet.patchNamespacedIngress({ name, namespace: ns, body: { metadata: { annotations } } }, mergePatch);
    // A source-address allowlist whose value would inject HAProxy configuration: dropping it would open the Ingress up.
    await patch({ [refusedKey]: '10.0.0.0/8\nbackend evil' });
    const event = await warned('Ingress', name, 'AnnotationRefused');
    expect(event.message).toContain(refusedKey);
    expectNoValues(event, ['backend evil']);
    await eventually(async () => expect(await hostIngress(name)).toBeUndefined(), opts);

    await patch({ [refusedKey]: null });
    await eventually(async () => expect(await hostIngress(name)).toBeDefined(), opts);
    await eventually(async () => {
      const refused = (await statuses.get(registration))?.value.refused ?? [];
      expect(refused.map((r) => r.name)).not.toContain(name);
    }, opts);
  });

  it('counts the refused objects in the status', async () => {
    await eventually(async () => expect((await statuses.get(registration))?.value.conflicts).toBeGreaterThanOrEqual(refusedIngresses.length), opts);
  });
});

describe('hostile Services', () => {
  const service = (name: string, annotations: Record<string, string>): V1Service => ({ metadata: { name, annotations }, spec: { ports: [{ port: 80 }] } });

  it('syncs a Service without snippet and load-balancer annotations, and says which', async () => {
    const name = 'snippety';
    const dropped = ['haproxy.org/backend-config-snippet', 'metallb.universe.tf/loadBalancerIPs'];
    await virtualCore.createNamespacedService({ namespace: ns, body: service(name, { [dropped[0]!]: 'http-request deny', [dropped[1]!]: '192.0.2.7', 'prometheus.io/scrape': 'true' }) });
    const host = await eventually(async () => {
      const h = await hostService(name);
      expect(h).toBeDefined();
      return h!;
    }, opts);
    expect(host.metadata?.annotations).toMatchObject({ 'prometheus.io/scrape': 'true' });
    for (const k of dropped) expect(host.metadata?.annotations).not.toHaveProperty([k]);
    const event = await warned('Service', name, 'AnnotationDropped');
    for (const k of dropped) expect(event.message).toContain(k);
    expectNoValues(event, ['192.0.2.7']);
    await inStatus('dropped', { kind: 'Service', namespace: ns, name, reason: 'AnnotationDropped', keys: dropped });
  });

  it('refuses a Service naming a Kong plugin the operator did not allow', async () => {
    const name = 'plugged';
    await virtualCore.createNamespacedService({ namespace: ns, body: service(name, { 'konghq.com/plugins': 'cluster-wide-key-auth' }) });
    const event = await warned('Service', name, 'AnnotationRefused');
    expect(event.message).toContain('konghq.com/plugins');
    expectNoValues(event, ['cluster-wide-key-auth']);
    await inStatus('refused', { kind: 'Service', namespace: ns, name, reason: 'AnnotationRefused', keys: ['konghq.com/plugins'] });
    expect(await hostService(name)).toBeUndefined();
  });
});
