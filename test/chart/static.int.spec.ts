import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubernetesObject, type V1DaemonSet, type V1Deployment } from '@kubernetes/client-node';
import { helmUnittestEnv, kubeConfigFor } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generated } from '../../scripts/chart/generate';
import { applyDryRun, CHART, helm, KUBE_VERSION, render, valuesArgs } from './helm';

// The chart without a node: lint, the schema, and every rendered object put to the real host
// apiserver as a strict server-side-apply dry run, in a namespace that enforces the restricted
// Pod Security level. test/chart/install.int.spec.ts installs it for real.

const stack = inject('stack');
const host = stack.host!;
const ciValues = readdirSync(join(CHART, 'ci')).filter((f) => f.endsWith('-values.yaml')).map((f) => `ci/${f}`);

describe('the chart, statically', () => {
  it('has a values schema and a values reference generated from scripts/chart/values.ts', () => {
    const { schema, readme } = generated();
    expect(readFileSync(join(CHART, 'values.schema.json'), 'utf8'), 'run npm run chart:generate').toBe(schema);
    expect(readFileSync(join(CHART, 'README.md'), 'utf8'), 'run npm run chart:generate').toBe(readme);
    const parsed = JSON.parse(schema) as { $schema: string; additionalProperties: boolean };
    expect(parsed.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(parsed.additionalProperties).toBe(false);
    expect(schema).not.toMatch(/"\$ref": "(?!#)/);
  });

  it('has the five CI values files', () => {
    expect(ciValues.sort()).toEqual(['ci/default-values.yaml', 'ci/existing-secrets-values.yaml', 'ci/ha-values.yaml', 'ci/no-rbac-values.yaml', 'ci/router-values.yaml']);
  });

  it.each(ciValues)('passes helm lint --strict with %s', async (file) => {
    const r = await helm(['lint', '--strict', '--kube-version', KUBE_VERSION, CHART, ...valuesArgs([file])]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('0 chart(s) failed');
  });

  it('passes its helm-unittest suites (helm/netbroker/tests: asserts and snapshots)', async () => {
    const r = await helm(['unittest', '--strict', CHART], helmUnittestEnv());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(r.stdout).not.toMatch(/failed/);
  });

  it.each([
    ['an unknown key', { 'nats.url': 'nats://n:4222', replicaz: '2' }, "additional properties 'replicaz' not allowed"],
    ['an unknown key deep down', { 'nats.url': 'nats://n:4222', 'api.service.nodePort': '30000' }, "additional properties 'nodePort' not allowed"],
    ['negative replicas', { 'nats.url': 'nats://n:4222', 'syncer.replicas': '-1' }, '/syncer/replicas'],
    ['replicas that are not a number', { 'nats.url': 'nats://n:4222', 'defaults.replicas': 'two' }, '/defaults/replicas'],
    ['an unknown load balancer provider', { 'nats.url': 'nats://n:4222', 'config.loadBalancer.provider': 'f5' }, '/config/loadBalancer/provider'],
    ['a pool of an unknown kind', { 'nats.url': 'nats://n:4222', 'config.ipam.pools[0].name': 'p', 'config.ipam.pools[0].kind': 'block' }, '/config/ipam/pools/0/kind'],
    ['a service CIDR that is not one', { 'nats.url': 'nats://n:4222', 'config.host.serviceCIDRs[0]': '10.96.0.0' }, '/config/host/serviceCIDRs/0'],
    ['no NATS URL', {}, 'nats.url is required'],
    ['an unknown router backend', { 'nats.url': 'nats://n:4222', 'config.router.backends[0]': 'ovs' }, '/config/router/backends/0'],
    ['a link length the router cannot use', { 'nats.url': 'nats://n:4222', 'config.router.linkPool.prefixLength': '29' }, '/config/router/linkPool/prefixLength'],
    ['a link pool CIDR that is not one', { 'nats.url': 'nats://n:4222', 'config.router.linkPool.prefixes[0]': '100.127.0.0' }, '/config/router/linkPool/prefixes/0'],
    ['the router without its link pool', { 'nats.url': 'nats://n:4222', 'router.enabled': 'true' }, 'config.router.linkPool.prefixes is required'],
    ['a private network bridge name over 15 characters', { 'nats.url': 'nats://n:4222', 'config.routerAgent.privateNetworks.dc1.bridge': 'a-very-long-bridge' }, '/config/routerAgent/privateNetworks/dc1/bridge'],
    ['a router namespace prefix with capitals', { 'nats.url': 'nats://n:4222', 'config.routerAgent.netnsPrefix': 'NBR-' }, '/config/routerAgent/netnsPrefix'],
    ['the router agent without a namespace', { 'nats.url': 'nats://n:4222', 'routerAgent.enabled': 'true' }, 'routerAgent.namespace is required'],
    ['the router agent taking a key of defaults it does not have', { 'nats.url': 'nats://n:4222', 'routerAgent.replicas': '2' }, "additional properties 'replicas' not allowed"],
  ])('refuses %s', async (_what, set, message) => {
    const r = await helm(['template', 'nb', CHART, '--kube-version', KUBE_VERSION, ...valuesArgs([], set)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  describe('on the real apiserver', () => {
    const namespace = `chart-${randomUUID().slice(0, 8)}`;
    // The router agent's namespace (routerAgent.namespace), privileged; and one at the baseline level.
    const gateway = `${namespace}-gw`;
    const baseline = `${namespace}-baseline`;
    const core = () => kubeConfigFor(host).makeApiClient(CoreV1Api);
    const level = (name: string, enforce: string) => ({ body: { metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': enforce, 'pod-security.kubernetes.io/enforce-version': 'latest' } } } });
    const renderIn = (file: string) => render(namespace, [file], { 'routerAgent.namespace': gateway });

    beforeAll(async () => {
      await core().createNamespace(level(namespace, 'restricted'));
      await core().createNamespace(level(gateway, 'privileged'));
      await core().createNamespace(level(baseline, 'baseline'));
    });
    afterAll(async () => {
      for (const name of [namespace, gateway, baseline]) await core().deleteNamespace({ name });
    });

    it.each(ciValues)('accepts every object of %s in a strict server-side apply dry run', async (file) => {
      const objects = await renderIn(file);
      expect(objects.length).toBeGreaterThan(10);
      const refused: string[] = [];
      for (const obj of objects) {
        const r = await applyDryRun(host, obj);
        if (r.status >= 300) refused.push(`${obj.kind}/${obj.metadata?.name}: ${r.status} ${r.message}`);
      }
      expect(refused).toEqual([]);
    });

    it('refuses an unknown field in a strict dry run (the check above can fail)', async () => {
      const [deployment] = (await render(namespace, ['ci/default-values.yaml'])).filter((o) => o.kind === 'Deployment');
      const broken = { ...deployment!, spec: { ...(deployment as V1Deployment).spec, replicaz: 2 } } as KubernetesObject;
      const r = await applyDryRun(host, broken);
      // Server-side apply answers a patch it cannot type with 500 (kube-apiserver 1.34), naming the field.
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.message).toMatch(/\.spec\.replicaz: field not declared in schema/);
    });

    it.each(ciValues)("admits every pod of %s under the restricted Pod Security level", async (file) => {
      const objects = await renderIn(file);
      const pods = objects
        .filter((o): o is V1Deployment => o.kind === 'Deployment')
        .map((d) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: d.metadata!.name!, namespace }, spec: d.spec!.template.spec }));
      const hooks = objects.filter((o) => o.kind === 'Pod');
      expect(pods).toHaveLength(file === 'ci/router-values.yaml' ? 7 : 6);
      const refused: string[] = [];
      for (const pod of [...pods, ...hooks]) {
        const r = await applyDryRun(host, pod);
        if (r.status >= 300) refused.push(`${pod.metadata?.name}: ${r.message}`);
      }
      expect(refused).toEqual([]);
    });

    it("admits the router agent's pod in a privileged namespace only: refused at the baseline level, and in the restricted release namespace", async () => {
      const objects = await renderIn('ci/router-values.yaml');
      const [agent] = objects.filter((o): o is V1DaemonSet => o.kind === 'DaemonSet');
      expect(agent?.metadata?.namespace).toBe(gateway);
      const pod = (ns: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'router-agent', namespace: ns }, spec: agent!.spec!.template.spec }) as KubernetesObject;
      expect(await applyDryRun(host, pod(gateway))).toEqual({ status: 201, message: '' });
      for (const ns of [baseline, namespace]) {
        const r = await applyDryRun(host, pod(ns));
        expect(r.status, ns).toBe(403);
        expect(r.message).toMatch(/violates PodSecurity "(baseline|restricted):latest"/);
        expect(r.message).toContain('hostNetwork=true');
        expect(r.message).toContain('securityContext.privileged=true');
      }
    });

    it('refuses a pod that is not restricted in that namespace (the check above can fail)', async () => {
      const r = await applyDryRun(host, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'root', namespace }, spec: { containers: [{ name: 'c', image: 'x' }] } } as KubernetesObject);
      expect(r.status).toBe(403);
      expect(r.message).toContain('violates PodSecurity "restricted');
    });
  });
});
