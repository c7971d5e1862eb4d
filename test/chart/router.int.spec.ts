import { randomBytes } from 'node:crypto';
import {
  AdmissionregistrationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { FieldApplier } from '@netbroker/kube';
import { httpsRequest, kubeConfigFor, type ClusterInfo } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installVpcCrd } from '../router/vpc-crd';
import { render } from './helm';
import { expectGoldenRules, forbiddenAttempts } from './rbac';

// The RBAC the chart gives the router and the router agent (ci/router-values.yaml: the kube-ovn
// backend on, the agent in a namespace of its own), held on the real host apiserver with
// Kube-OVN's Vpc CRD: the release's ServiceAccounts, ClusterRole, binding and admission policy are
// applied for real, and each ServiceAccount acts with a token of its own. The router applies its
// two Vpc fields the way its backend does (FieldApplier), and can neither make nor delete a Vpc;
// the agent can do nothing at all. Neither runs here: the install test runs the services.

const stack = inject('stack');
const host = stack.host!;
const run = randomBytes(3).toString('hex');
const release = `rt${run}`;
const NS = `chart-router-${run}`;
const GATEWAY = `${NS}-gw`;
const PROJECT = `${NS}-project`;
const UNLABELLED = `${NS}-plain`;
const sa = (component: string) => `${release}-netbroker-${component}`;
const vpc = (name: string) => ({ apiVersion: 'kubeovn.io/v1', kind: 'Vpc', metadata: { name: `${run}-${name}` } });
type Vpc = KubernetesObject & { spec?: Record<string, unknown> };

const admin = kubeConfigFor(host);
const core = admin.makeApiClient(CoreV1Api);
const objects = KubernetesObjectApi.makeApiClient(admin);
const applied: KubernetesObject[] = [];
const tokens: Record<string, string> = {};

/** An object as admin, for real (server-side apply). */
const apply = async (obj: KubernetesObject) => {
  await objects.patch(obj, undefined, undefined, 'chart-router-test', true, PatchStrategy.ServerSideApply);
  applied.push(obj);
};
const as = (component: string): ClusterInfo => ({ ...host, tokens: { [component]: tokens[component]! } });

/** A request with a component's token; writes as dry runs unless `real`. */
async function send(component: string, method: string, path: string, body?: object, opts: { real?: boolean; contentType?: string } = {}) {
  const dry = method === 'GET' || opts.real ? '' : `${path.includes('?') ? '&' : '?'}dryRun=All`;
  const r = await httpsRequest(method, `${host.server}${path}${dry}`, { ca: host.caPem, token: tokens[component]!, body: body && JSON.stringify(body), contentType: body && (opts.contentType ?? 'application/json'), timeoutMs: 10_000 });
  return r.status;
}

beforeAll(async () => {
  await installVpcCrd(admin);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await core.createNamespace({ body: { metadata: { name: GATEWAY, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } } });
  await core.createNamespace({ body: { metadata: { name: PROJECT, labels: { 'netbroker.io/project': 'p', 'netbroker.io/managed-by': 'netbroker' } } } });
  await core.createNamespace({ body: { metadata: { name: UNLABELLED } } });
  await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: `${release}-netbroker-secrets` }, stringData: { 'admin-token': 'x' } } });
  const rendered = await render(NS, ['ci/router-values.yaml'], { 'routerAgent.namespace': GATEWAY }, release);
  const wanted = (o: KubernetesObject) =>
    (o.kind === 'ServiceAccount' && [sa('router'), sa('router-agent')].includes(o.metadata!.name!)) ||
    ((o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') && o.metadata!.name === sa('router')) ||
    o.kind === 'ValidatingAdmissionPolicy' ||
    o.kind === 'ValidatingAdmissionPolicyBinding';
  const picked = rendered.filter(wanted);
  expect(picked.map((o) => `${o.kind}/${o.metadata!.name}`).sort()).toEqual([
    `ClusterRole/${sa('router')}`,
    `ClusterRoleBinding/${sa('router')}`,
    `ServiceAccount/${sa('router')}`,
    `ServiceAccount/${sa('router-agent')}`,
    `ValidatingAdmissionPolicy/${release}-netbroker-project-namespaces-only`,
    `ValidatingAdmissionPolicyBinding/${release}-netbroker-project-namespaces-only`,
  ]);
  for (const obj of picked) await apply(obj);
  // The platform's Vpc, with fields of its own (Kube-DC makes one per project).
  await objects.patch({ ...vpc('a'), spec: { namespaces: [PROJECT], enableExternal: true } } as KubernetesObject, undefined, undefined, 'kube-dc', true, PatchStrategy.ServerSideApply);
  for (const [component, namespace] of [['router', NS], ['router-agent', GATEWAY]] as const) {
    const t = await core.createNamespacedServiceAccountToken({ name: sa(component), namespace, body: { spec: { audiences: [], expirationSeconds: 600 } } });
    tokens[component] = t.status!.token;
  }
}, 120_000);

afterAll(async () => {
  for (const name of ['a', 'b']) await objects.delete(vpc(name)).catch(() => undefined);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const admission = admin.makeApiClient(AdmissionregistrationV1Api);
  for (const o of applied.filter((x) => !x.metadata?.namespace)) {
    const name = o.metadata!.name!;
    if (o.kind === 'ClusterRole') await rbac.deleteClusterRole({ name });
    if (o.kind === 'ClusterRoleBinding') await rbac.deleteClusterRoleBinding({ name });
    if (o.kind === 'ValidatingAdmissionPolicy') await admission.deleteValidatingAdmissionPolicy({ name });
    if (o.kind === 'ValidatingAdmissionPolicyBinding') await admission.deleteValidatingAdmissionPolicyBinding({ name });
  }
  // Namespaces stay Terminating on this apiserver (no controller-manager): their names are this run's.
  for (const name of [NS, GATEWAY, PROJECT, UNLABELLED]) await core.deleteNamespace({ name }).catch(() => undefined);
});

describe("the router's RBAC (kube-ovn backend), with its own token", () => {
  it('applies its two Vpc fields to the platform\'s Vpc as its backend does, the release\'s admission policy in force', async () => {
    const router = new FieldApplier(kubeConfigFor(as('router'), 'router'), 'netbroker-router');
    const fields = { spec: { vpcPeerings: [{ remoteVpc: `${run}-b`, localConnectIP: '100.127.0.1/30' }], staticRoutes: [{ policy: 'policyDst', cidr: '10.50.2.0/24', nextHopIP: '100.127.0.2' }] } };
    const outcome = await router.apply(vpc('a'), fields);
    expect(outcome.outcome).toBe('applied');
    const readVpc = () => objects.read(vpc('a')) as Promise<Vpc>;
    expect((await readVpc()).spec).toEqual({ namespaces: [PROJECT], enableExternal: true, ...fields.spec });
    // Applying nothing gives the fields up: the platform's stay.
    expect((await router.apply(vpc('a'), {})).outcome).toBe('applied');
    expect((await readVpc()).spec).toEqual({ namespaces: [PROJECT], enableExternal: true });
  });

  it('never makes a Vpc: an apply to one that does not exist is refused and makes none, a create or delete likewise', async () => {
    const apply = (name: string, real: boolean) =>
      send('router', 'PATCH', `/apis/kubeovn.io/v1/vpcs/${run}-${name}?fieldManager=netbroker-router`, { ...vpc(name), spec: { staticRoutes: [] } }, { real, contentType: 'application/apply-patch+yaml' });
    expect(await apply('b', true)).toBe(403);
    expect(await objects.read(vpc('b')).then(() => 'exists', (e: { code?: number }) => e.code)).toBe(404);
    expect(await send('router', 'POST', '/apis/kubeovn.io/v1/vpcs', vpc('b'))).toBe(403);
    expect(await send('router', 'DELETE', `/apis/kubeovn.io/v1/vpcs/${run}-a`)).toBe(403);
    expect(await send('router', 'DELETE', '/apis/kubeovn.io/v1/vpcs')).toBe(403);
    // Its grants, so the refusals above can fail: read, list, and an apply to an existing Vpc.
    expect(await send('router', 'GET', `/apis/kubeovn.io/v1/vpcs/${run}-a`)).toBe(200);
    expect(await send('router', 'GET', '/apis/kubeovn.io/v1/vpcs')).toBe(200);
    expect(await apply('a', false)).toBe(200);
  });

  it('keeps forbidden what the router must never do, and its rules are the golden ones', async () => {
    const { attempts, control } = await forbiddenAttempts(as('router'), 'router', { release: NS, project: PROJECT, secret: `${release}-netbroker-secrets`, unlabelled: UNLABELLED });
    expect(attempts.filter((a) => !a.denied).map((a) => `${a.what}: ${a.status}`)).toEqual([]);
    expect(control).toBeUndefined();
    const rules = await kubeConfigFor(as('router'), 'router').makeApiClient(AuthorizationV1Api).createSelfSubjectRulesReview({ body: { spec: { namespace: PROJECT } } });
    await expectGoldenRules('router', rules.status?.resourceRules ?? []);
  });
});

describe("the router agent's RBAC: none", () => {
  it('can do nothing in the cluster with a token of its own (its pods mount none)', async () => {
    const { attempts } = await forbiddenAttempts(as('router-agent'), 'router-agent', { release: NS, project: PROJECT, secret: `${release}-netbroker-secrets`, unlabelled: UNLABELLED });
    expect(attempts.filter((a) => !a.denied).map((a) => `${a.what}: ${a.status}`)).toEqual([]);
    for (const path of ['/api/v1/nodes', '/api/v1/pods', `/api/v1/namespaces/${GATEWAY}/pods`, '/apis/kubeovn.io/v1/vpcs']) expect(await send('router-agent', 'GET', path), path).toBe(403);
    const rules = await kubeConfigFor(as('router-agent'), 'router-agent').makeApiClient(AuthorizationV1Api).createSelfSubjectRulesReview({ body: { spec: { namespace: GATEWAY } } });
    await expectGoldenRules('router-agent', rules.status?.resourceRules ?? []);
  });
});
