import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  NetworkingV1Api,
  RbacAuthorizationV1Api,
  AdmissionregistrationV1Api,
  AuthorizationV1Api,
} from '@kubernetes/client-node';
import { CreatedToken, Exposure, MappingList } from '@netbroker/contracts';
import {
  auditedAccess,
  auditEvents,
  buildNetbrokerImage,
  eventually,
  kubeConfigFor,
  kubeconfigFile,
  startStack,
  type ClusterInfo,
  type Stack,
} from '@netbroker/testing';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHART, helm } from './helm';
import { expectGoldenRules, forbiddenAttempts, ruleProblems, UNUSED_GRANTS } from './rbac';

// The chart installed for real on the harness's node: netbroker runs as pods from the image built
// here, on its own ServiceAccount tokens, against a NATS and a virtual apiserver the pods reach.
// The main flows go through the API's Service; the host apiserver's audit log then shows what
// each ServiceAccount did, which the RBAC must match exactly. Then an upgrade under load and an
// uninstall.

const RELEASE = 'nb';
const NS = 'netbroker';
const EIP_RANGE = '100.68.0.0/24';
const tenant = 'acme';
const natsToken = randomUUID();
// The router too (linux backend: NATS only, no token); the router agent is not installed here: it
// would make network namespaces in this machine's root namespace (test/chart/router.int.spec.ts
// and the image test cover it).
const COMPONENTS = ['api', 'ipam', 'provisioner', 'syncer', 'mapper', 'exposer', 'router'] as const;
const LINK_POOL = '100.127.0.0/24';
const KUBE_COMPONENTS = ['provisioner', 'syncer', 'mapper', 'exposer'] as const;
const sa = (component: string) => `${RELEASE}-netbroker-${component}`;
const saUser = (component: string) => `system:serviceaccount:${NS}:${sa(component)}`;

describe('the chart installed on a real node', () => {
  let stack: Stack;
  let host: ClusterInfo;
  let image: { ref: string; sizeBytes: number };
  let kubeconfig: string;
  let valuesFile: string;
  let apiBase: string;
  let adminToken: string;
  let token: string;
  const core = () => kubeConfigFor(host).makeApiClient(CoreV1Api);
  const apps = () => kubeConfigFor(host).makeApiClient(AppsV1Api);
  const ns = (project: string) => `${tenant}-${project}`;
  const opts = (timeoutMs = 90_000) => ({ timeoutMs, signal: stack.signal });
  /** What the host apiserver's audit log recorded of netbroker's ServiceAccounts. */
  const ofServiceAccounts = (stage?: string) => auditEvents(stack, { username: new RegExp(`^system:serviceaccount:${NS}:`), ...(stage ? { stage } : {}) });
  const helmIn = (args: string[], timeoutMs?: number) => helm([...args, '--kubeconfig', kubeconfig, '--namespace', NS], {}, timeoutMs);

  /** One request to the API through its Service (a NodePort on the node), on a connection of its own. */
  const api = (method: string, path: string, body?: unknown, bearer = token) =>
    new Promise<{ status: number; body: unknown; text: string }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(`${apiBase}${path}`, {
        method,
        agent: false,
        timeout: 10_000,
        headers: { authorization: `Bearer ${bearer}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, text, body: text && res.headers['content-type']?.includes('json') ? (JSON.parse(text) as unknown) : undefined });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });

  const values = (imageRef: string, extra: Record<string, unknown> = {}) => {
    const [repository, tag] = imageRef.split(/:(?=[^:/]+$)/);
    const inCluster = stack.inCluster!;
    return {
      image: { repository, tag, pullPolicy: 'Never' },
      nats: { url: inCluster.natsUrl, auth: { existingSecret: 'nats-auth', tokenKey: 'token' }, tls: { existingSecret: 'nats-tls', caKey: 'ca.crt' } },
      config: {
        logLevel: 'info',
        ipam: {
          pools: [
            { name: 'projects', kind: 'prefix', prefixes: ['10.182.0.0/16'] },
            { name: 'egress-cloud', kind: 'address', ranges: [{ start: '100.68.0.10', end: '100.68.0.250' }] },
            { name: 'egress-public', kind: 'address', prefixes: ['198.51.100.0/24'] },
          ],
        },
        host: { podCIDRs: [inCluster.podCidr], serviceCIDRs: [inCluster.serviceCidr] },
        loadBalancer: { provider: 'metallb', metallbAddressPool: 'tenants' },
        vclusterServers: { allowed: [inCluster.virtualServersCidr] },
        router: { linkPool: { prefixes: [LINK_POOL] } },
      },
      router: { enabled: true },
      // A small node: the defaults' requests would fit, but leave room for the test's own pods.
      defaults: { resources: { requests: { cpu: '20m', memory: '96Mi' }, limits: { memory: '384Mi' } } },
      api: { service: { type: 'NodePort', port: 80 } },
      ...extra,
    };
  };

  beforeAll(async () => {
    // NATS with a token over TLS: the chart hands both to the pods from Secrets, as files.
    stack = await startStack({ virtualClusters: 1, nats: { auth: { token: natsToken }, tls: {} }, node: { reachableFromPods: true, loadBalancer: [EIP_RANGE] }, audit: {} });
    host = stack.host!;
    const t0 = Date.now();
    image = await buildNetbrokerImage(stack.node!.docker);
    await stack.node!.importImage(image.ref);
    console.log(`[chart] image ${image.ref}: ${(image.sizeBytes / 1e6).toFixed(1)} MB, built and imported in ${Date.now() - t0} ms`);
    kubeconfig = join(stack.dir, 'helm.kubeconfig');
    await writeFile(kubeconfig, kubeconfigFile(host), { mode: 0o600 });
    valuesFile = join(stack.dir, 'values.yaml');
    await writeFile(valuesFile, stringify(values(image.ref)));
    await core().createNamespace({ body: { metadata: { name: NS, labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' } } } });
    await core().createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'nats-auth' }, stringData: { token: natsToken } } });
    await core().createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'nats-tls' }, stringData: { 'ca.crt': await readFile(stack.natsFiles!.caFile!, 'utf8') } } });
  }, 600_000);
  afterAll(() => stack?.stop());
  // A failed step shows what netbroker's pods said (the stack, and their logs, go at the end).
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !stack?.node) return;
    const pods = await core().listNamespacedPod({ namespace: NS }).catch(() => ({ items: [] }));
    for (const pod of pods.items) {
      const log = await stack.node.podLogs(NS, pod.metadata!.name!).catch((e: Error) => e.message);
      console.log(`--- ${pod.metadata!.name} (last 40 lines)\n${log.split('\n').slice(-40).join('\n')}`);
    }
    const virtualEvents = await kubeConfigFor(stack.virtual[0]!).makeApiClient(CoreV1Api).listEventForAllNamespaces().catch(() => ({ items: [] }));
    console.log(`--- virtual cluster Events:\n${virtualEvents.items.map((e) => `${e.involvedObject.kind} ${e.involvedObject.namespace}/${e.involvedObject.name}: ${e.reason} ${e.message}`).join('\n')}`);
    const refused = (await ofServiceAccounts('ResponseComplete')).filter((e) => (e.responseStatus?.code ?? 0) >= 400);
    console.log(`--- requests of netbroker's ServiceAccounts that failed:\n${refused.slice(-30).map((e) => `${e.user.username} ${e.verb} ${e.objectRef?.resource} ${e.objectRef?.namespace ?? ''}/${e.objectRef?.name ?? ''}: ${e.responseStatus?.code} ${e.responseStatus?.reason ?? ''}`).join('\n')}`);
  });

  it('installs with --wait: every Deployment available, every pod ready through its probes, admitted as restricted', async () => {
    const t0 = Date.now();
    const r = await helmIn(['install', RELEASE, CHART, '-f', valuesFile, '--wait', '--timeout', '5m'], 330_000);
    expect(r.code, r.stderr).toBe(0);
    console.log(`[chart] helm install --wait: ${Date.now() - t0} ms`);
    expect(r.stdout).toContain('helm test nb -n netbroker');
    for (const component of COMPONENTS) {
      const d = await apps().readNamespacedDeployment({ name: sa(component), namespace: NS });
      expect(d.status?.availableReplicas, component).toBe(d.spec?.replicas);
    }
    const pods = (await core().listNamespacedPod({ namespace: NS })).items;
    expect(pods.length).toBe(8); // api × 2, the others × 1
    for (const pod of pods) {
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status, pod.metadata?.name).toBe('True');
      expect(pod.spec?.securityContext?.runAsUser).toBe(65532);
    }
    const service = await core().readNamespacedService({ name: sa('api'), namespace: NS });
    apiBase = `http://${stack.node!.network.nodeIp}:${service.spec!.ports![0]!.nodePort}`;
    const secret = await core().readNamespacedSecret({ name: `${RELEASE}-netbroker-secrets`, namespace: NS });
    adminToken = Buffer.from(secret.data!['admin-token']!, 'base64').toString('utf8');
  }, 360_000);

  it("has the router's link pool in the ipam, made from the chart's values (IPAM_POOLS)", async () => {
    const res = await api('GET', '/admin/pools', undefined, adminToken);
    expect(res.status, res.text).toBe(200);
    const pools = (res.body as { items: Array<{ pool: { name: string; kind: string; prefixes: string[]; defaultPrefixLength?: number } }> }).items.map((i) => i.pool);
    expect(pools.find((p) => p.name === 'links')).toMatchObject({ kind: 'prefix', prefixes: [LINK_POOL], defaultPrefixLength: 30 });
  });

  it('passes helm test (the hook pod reaches /readyz and lists tenants with the admin token)', async () => {
    const r = await helmIn(['test', RELEASE, '--timeout', '2m'], 150_000);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Phase:\s+Succeeded/);
  }, 160_000);

  describe('netbroker running as pods', () => {
    const vns = 'apps';
    let virtual: CoreV1Api;

    beforeAll(async () => {
      virtual = kubeConfigFor(stack.virtual[0]!).makeApiClient(CoreV1Api);
      expect((await api('POST', '/admin/tenants', { name: tenant, hostnameSuffixes: [`${tenant}.test`] }, adminToken)).status).toBe(201);
      token = CreatedToken.parse((await api('POST', `/admin/tenants/${tenant}/tokens`, { name: 'ci' }, adminToken)).body).token;
    });

    it('makes projects Ready (the provisioner writes their namespaces and policies)', async () => {
      for (const p of ['shop', 'billing']) expect((await api('POST', '/v1/projects', { name: p, egressNetworkType: 'cloud' })).status).toBe(202);
      for (const p of ['shop', 'billing']) {
        await eventually(async () => {
          const project = (await api('GET', `/v1/projects/${p}`)).body as { status: { phase: string } };
          expect(project.status.phase).toBe('Ready');
        }, opts());
        const namespace = await core().readNamespace({ name: ns(p) });
        expect(namespace.metadata?.labels?.['netbroker.io/project']).toBe(p);
      }
    }, 200_000);

    it('registers a virtual cluster and syncs its Services, Ingresses and NetworkPolicies into the host, and removes them again', async () => {
      const options = { name: 'shop', syncIngresses: true, syncIngressClasses: true, syncNetworkPolicies: true };
      const registered = await api('PUT', '/v1/projects/shop/vcluster', { kubeconfig: kubeconfigFile(stack.virtual[0]!), options });
      expect(registered.status, registered.text).toBe(202);
      const hostNet = kubeConfigFor(host).makeApiClient(NetworkingV1Api);
      const virtualNet = kubeConfigFor(stack.virtual[0]!).makeApiClient(NetworkingV1Api);
      await hostNet.createIngressClass({ body: { metadata: { name: 'public' }, spec: { controller: 'example.com/ingress' } } });
      await virtual.createNamespace({ body: { metadata: { name: vns } } });
      await virtual.createNamespacedService({ namespace: vns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } });
      // The host's IngressClass is mirrored in, and an Ingress naming it on the tenant's domain goes out.
      await eventually(() => virtualNet.readIngressClass({ name: 'public' }), opts());
      const rule = { host: `web.${tenant}.test`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } };
      await virtualNet.createNamespacedIngress({ namespace: vns, body: { metadata: { name: 'web' }, spec: { ingressClassName: 'public', rules: [rule] } } });
      await virtualNet.createNamespacedNetworkPolicy({ namespace: vns, body: { metadata: { name: 'web' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ _from: [{ podSelector: {} }] }] } } });
      const fromVirtual = (o: { metadata?: { annotations?: Record<string, string> } }) => o.metadata?.annotations?.['netbroker.io/virtual-name'] === 'web' && o.metadata.annotations['netbroker.io/virtual-namespace'] === vns;
      const copies = async () => ({
        service: (await core().listNamespacedService({ namespace: ns('shop') })).items.some(fromVirtual),
        ingress: (await hostNet.listNamespacedIngress({ namespace: ns('shop') })).items.some(fromVirtual),
        networkPolicy: (await hostNet.listNamespacedNetworkPolicy({ namespace: ns('shop') })).items.some(fromVirtual),
      });
      await eventually(async () => expect(await copies()).toEqual({ service: true, ingress: true, networkPolicy: true }), opts());
      await virtualNet.deleteNamespacedIngress({ name: 'web', namespace: vns });
      await virtualNet.deleteNamespacedNetworkPolicy({ name: 'web', namespace: vns });
      await virtual.deleteNamespacedService({ name: 'web', namespace: vns });
      await eventually(async () => expect(await copies()).toEqual({ service: false, ingress: false, networkPolicy: false }), opts());
    }, 200_000);

    it('maps a host Service in and a virtual Service out, warns on the host about a Service it does not own, and unmaps them', async () => {
      await core().createNamespacedService({ namespace: ns('shop'), body: { metadata: { name: 'db' }, spec: { selector: { app: 'db' }, ports: [{ port: 5432 }] } } });
      await core().createNamespacedService({ namespace: ns('shop'), body: { metadata: { name: 'taken' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } } });
      await virtual.createNamespacedService({ namespace: vns, body: { metadata: { name: 'api' }, spec: { selector: { app: 'api' }, ports: [{ port: 80 }] } } });
      const values = `mapServices:\n  fromHost:\n  - from: db\n    to: ${vns}/db\n  fromVirtual:\n  - from: ${vns}/api\n    to: api\n  - from: ${vns}/ghost\n    to: taken\n`;
      const res = await api('POST', '/v1/projects/shop/mappings', { values });
      expect(res.status, res.text).toBe(201);
      const ids = MappingList.parse(res.body).items.map((m) => m.id);
      await eventually(async () => {
        await virtual.readNamespacedService({ name: 'db', namespace: vns });
        await core().readNamespacedService({ name: 'api', namespace: ns('shop') });
        const events = await core().listNamespacedEvent({ namespace: ns('shop'), fieldSelector: 'involvedObject.name=taken' });
        expect(events.items.map((e) => e.reason)).toContain('NotOwned');
      }, opts());
      for (const id of ids) expect((await api('DELETE', `/v1/projects/shop/mappings/${id}`)).status).toBe(202);
      await eventually(async () => {
        const gone = await core().readNamespacedService({ name: 'api', namespace: ns('shop') }).then(() => false, () => true);
        expect(gone).toBe(true);
      }, opts());
      // A Service the mapper does not own stays.
      await core().readNamespacedService({ name: 'taken', namespace: ns('shop') });
    }, 200_000);

    it('exposes a Service through an EIP to a granted project, and revoking the grant removes the entry', async () => {
      const created = await api('POST', '/v1/projects/shop/exposures', { service: 'db', ports: [{ port: 5432 }], grants: ['billing'] });
      expect(created.status, created.text).toBe(201);
      const ready = await eventually(async () => {
        const e = Exposure.parse((await api('GET', '/v1/projects/shop/exposures/db')).body);
        if (e.status.reason !== 'Ready') throw new Error(`exposure is ${e.status.reason}: ${e.status.message}`);
        return e;
      }, opts());
      expect(ready.status.address).toMatch(/^100\.68\.0\.\d+$/);
      await eventually(() => core().readNamespacedService({ name: 'db-ext', namespace: ns('billing') }), opts());
      expect((await api('DELETE', `/v1/projects/shop/exposures/db/grants/${tenant}/billing`)).status).toBe(202);
      await eventually(async () => {
        const gone = await core().readNamespacedService({ name: 'db-ext', namespace: ns('billing') }).then(() => false, () => true);
        expect(gone).toBe(true);
      }, opts());
      expect((await api('DELETE', '/v1/projects/shop/exposures/db')).status).toBe(202);
    }, 200_000);

    it('deletes a project: its namespace goes', async () => {
      expect((await api('DELETE', '/v1/projects/billing')).status).toBe(202);
      await eventually(async () => {
        const gone = await core().readNamespace({ name: ns('billing') }).then(() => false, (e: { code?: number }) => e.code === 404);
        expect(gone).toBe(true);
      }, opts(150_000));
    }, 200_000);

    it('ran the flows without a restart; what each pod used (for the chart README)', async () => {
      const pods = (await core().listNamespacedPod({ namespace: NS, labelSelector: 'app.kubernetes.io/part-of=netbroker' })).items;
      const rows: string[] = [];
      for (const pod of pods) {
        expect(pod.status?.containerStatuses?.[0]?.restartCount, pod.metadata?.name).toBe(0);
        const res = await fetch(`http://${pod.status!.podIP}:9090/metrics`);
        const text = await res.text();
        const metric = (name: string) => Number(text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))?.split(' ').at(-1));
        rows.push(`| ${pod.metadata!.labels!['app.kubernetes.io/component']} | ${(metric('netbroker_process_resident_memory_bytes') / 2 ** 20).toFixed(0)} MiB | ${(metric('netbroker_nodejs_heap_size_used_bytes') / 2 ** 20).toFixed(0)} MiB | ${metric('netbroker_process_cpu_seconds_total').toFixed(1)} s |`);
      }
      console.log(`[chart] after the flows:\n| component | RSS | heap used | CPU since start |\n|---|---|---|---|\n${rows.sort().join('\n')}`);
    });

    it('was never refused: no request of a netbroker ServiceAccount got a 403', async () => {
      const refused = (await ofServiceAccounts('ResponseComplete')).filter((e) => e.responseStatus?.code === 403);
      expect(refused.map((e) => `${e.user.username} ${e.verb} ${e.objectRef?.resource} ${e.objectRef?.namespace ?? ''}`)).toEqual([]);
    });
  });

  describe('least privilege', () => {
    it('grants each ServiceAccount exactly what the flows used, the rest listed with its reason', async () => {
      // Every stage: a watch that is still open has only ResponseStarted.
      const used = auditedAccess(await ofServiceAccounts());
      // api, ipam and the router (linux backend) have no token: they never appear.
      expect(used.filter((u) => [saUser('api'), saUser('ipam'), saUser('router')].includes(u.username))).toEqual([]);
      const rbac = kubeConfigFor(host).makeApiClient(RbacAuthorizationV1Api);
      const problems: Record<string, string[]> = {};
      const outsideProjects: string[] = [];
      const projectNamespaces = new Set([ns('shop'), ns('billing')]);
      for (const component of KUBE_COMPONENTS) {
        const role = await rbac.readClusterRole({ name: sa(component) });
        const mine = used.filter((u) => u.username === saUser(component));
        console.log(`[chart] ${component} used: ${[...new Set(mine.map((u) => `${u.verb} ${u.apiGroup || 'core'}/${u.resource}${u.namespace ? '' : ' (cluster)'}`))].sort().join(', ')}`);
        const found = ruleProblems(role.rules ?? [], mine, UNUSED_GRANTS[component] ?? {});
        if (found.length > 0) problems[component] = found;
        // Every namespaced write landed in a project namespace.
        const writes = mine.filter((u) => u.namespace && ['create', 'update', 'patch', 'delete'].includes(u.verb));
        outsideProjects.push(...writes.filter((u) => !projectNamespaces.has(u.namespace!)).map((u) => `${component} ${u.verb} ${u.resource} in ${u.namespace}`));
      }
      expect(problems).toEqual({});
      expect(outsideProjects).toEqual([]);
    });

    const unlabelled = `plain-${randomUUID().slice(0, 8)}`;
    beforeAll(() => core().createNamespace({ body: { metadata: { name: unlabelled } } }));

    it.each(KUBE_COMPONENTS)('keeps forbidden what %s must never do, with its own token', async (component) => {
      const t = await core().createNamespacedServiceAccountToken({ name: sa(component), namespace: NS, body: { spec: { audiences: [], expirationSeconds: 600 } } });
      const as: ClusterInfo = { ...host, tokens: { [component]: t.status!.token } };
      const { attempts, control } = await forbiddenAttempts(as, component, { release: NS, project: ns('shop'), secret: `${RELEASE}-netbroker-secrets`, unlabelled });
      expect(attempts.filter((a) => !a.denied).map((a) => `${a.what}: ${a.status}`)).toEqual([]);
      // The same write in a project namespace passes (as a dry run): the refusals above can fail.
      expect(control).toBe(201);
      const rules = await kubeConfigFor(as, component).makeApiClient(AuthorizationV1Api).createSelfSubjectRulesReview({ body: { spec: { namespace: ns('shop') } } });
      await expectGoldenRules(component, rules.status?.resourceRules ?? []);
    });
  });

  describe('upgrade and uninstall', () => {
    it('rolls every pod to a new image and value with no failed API request, the Secret unchanged', async () => {
      const secretBefore = (await core().readNamespacedSecret({ name: `${RELEASE}-netbroker-secrets`, namespace: NS })).data;
      const next = `${image.ref.split(/:(?=[^:/]+$)/)[0]}:upgrade-${randomUUID().slice(0, 8)}`;
      await stack.node!.docker.docker(['tag', image.ref, next]);
      await stack.node!.importImage(next);
      await writeFile(valuesFile, stringify(values(next, {})).replace('logLevel: info', 'logLevel: debug'));

      const outcomes = { ok: 0, failed: [] as string[] };
      let rolling = true;
      const load = (async () => {
        while (rolling) {
          const r = await api('GET', '/admin/tenants', undefined, adminToken).catch((e: Error) => ({ status: 0, text: e.message }));
          if (r.status === 200) outcomes.ok++;
          else outcomes.failed.push(`${r.status} ${r.text.slice(0, 120)}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const t0 = Date.now();
      const r = await helmIn(['upgrade', RELEASE, CHART, '-f', valuesFile, '--wait', '--timeout', '5m'], 330_000);
      rolling = false;
      await load;
      expect(r.code, r.stderr).toBe(0);
      console.log(`[chart] helm upgrade --wait: ${Date.now() - t0} ms, ${outcomes.ok} API requests during the roll, ${outcomes.failed.length} failed`);
      expect(outcomes.failed).toEqual([]);
      expect(outcomes.ok).toBeGreaterThan(50);
      for (const component of COMPONENTS) {
        const d = await apps().readNamespacedDeployment({ name: sa(component), namespace: NS });
        expect(d.spec?.template.spec?.containers[0]?.image).toBe(next);
        expect(d.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'LOG_LEVEL')?.value).toBe('debug');
        expect(d.status?.updatedReplicas).toBe(d.spec?.replicas);
      }
      expect((await core().readNamespacedSecret({ name: `${RELEASE}-netbroker-secrets`, namespace: NS })).data).toEqual(secretBefore);
    }, 360_000);

    it('uninstalls without leaving a cluster-scoped object behind (the kept Secret aside)', async () => {
      const r = await helmIn(['uninstall', RELEASE, '--wait', '--timeout', '2m'], 150_000);
      expect(r.code, r.stderr).toBe(0);
      const selector = { labelSelector: `app.kubernetes.io/instance=${RELEASE}` };
      const rbac = kubeConfigFor(host).makeApiClient(RbacAuthorizationV1Api);
      const admission = kubeConfigFor(host).makeApiClient(AdmissionregistrationV1Api);
      const left = [
        ...(await rbac.listClusterRole(selector)).items.map((o) => `ClusterRole/${o.metadata?.name}`),
        ...(await rbac.listClusterRoleBinding(selector)).items.map((o) => `ClusterRoleBinding/${o.metadata?.name}`),
        ...(await admission.listValidatingAdmissionPolicy(selector)).items.map((o) => `ValidatingAdmissionPolicy/${o.metadata?.name}`),
        ...(await admission.listValidatingAdmissionPolicyBinding(selector)).items.map((o) => `ValidatingAdmissionPolicyBinding/${o.metadata?.name}`),
      ];
      expect(left).toEqual([]);
      const namespaced = [
        ...(await apps().listNamespacedDeployment({ namespace: NS, ...selector })).items,
        ...(await core().listNamespacedService({ namespace: NS, ...selector })).items,
        ...(await core().listNamespacedServiceAccount({ namespace: NS, ...selector })).items,
        ...(await kubeConfigFor(host).makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: NS, ...selector })).items,
      ];
      expect(namespaced.map((o) => o.metadata?.name)).toEqual([]);
      const kept = await core().readNamespacedSecret({ name: `${RELEASE}-netbroker-secrets`, namespace: NS });
      expect(kept.metadata?.annotations?.['helm.sh/resource-policy']).toBe('keep');
    }, 160_000);
  });
});
