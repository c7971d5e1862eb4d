// What the RBAC of helm/netbroker is held to (test/chart/install.int.spec.ts): the rules each
// ServiceAccount is granted against the requests the audit log saw it make, the requests it must
// never be able to make, and its SelfSubjectRulesReview as a golden file.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { V1PolicyRule } from '@kubernetes/client-node';
import { httpsRequest, type ClusterInfo } from '@netbroker/testing';
import { expect } from 'vitest';

interface Access {
  verb: string;
  apiGroup: string;
  resource: string;
}

/**
 * Grants the flows of the install test do not exercise, with the reason each is still needed.
 * A grant used after all, or no longer granted, fails the test: the list stays true.
 */
export const UNUSED_GRANTS: Record<string, Record<string, string>> = {};

const key = (a: Access) => `${a.verb} ${a.apiGroup || 'core'}/${a.resource}`;

/**
 * What is wrong with `rules` for the rights `used`: a used right not granted, a granted one never
 * used and not listed with its reason, a listed reason that no longer applies. Empty: exact.
 */
export function ruleProblems(rules: V1PolicyRule[], used: Access[], reasons: Record<string, string>): string[] {
  const granted = new Set(rules.flatMap((r) => (r.apiGroups ?? ['']).flatMap((g) => (r.resources ?? []).flatMap((res) => r.verbs.map((verb) => key({ verb, apiGroup: g, resource: res }))))));
  // Server-side apply of an object that does not exist yet is authorized as a create as well;
  // the audit log records the request's verb only (patch).
  const usedKeys = new Set(used.flatMap((a) => (a.verb === 'patch' ? [key(a), key({ ...a, verb: 'create' })] : [key(a)])));
  return [
    ...[...usedKeys].filter((k) => !granted.has(k)).map((k) => `used, not granted: ${k}`),
    ...[...granted].filter((k) => !usedKeys.has(k) && !(k in reasons)).map((k) => `granted, never used (remove it or give its reason in UNUSED_GRANTS): ${k}`),
    ...Object.keys(reasons).filter((k) => usedKeys.has(k) || !granted.has(k)).map((k) => `UNUSED_GRANTS entry that is used or not granted: ${k}`),
  ].sort();
}

export interface Attempt {
  what: string;
  status: number;
  denied: boolean;
}

/**
 * One write each component is granted (cluster-wide by RBAC): the admission policy decides where.
 * The router (a patch of cluster-scoped Kube-OVN Vpcs) and the router agent (no role) have none.
 */
const GRANTED_WRITE: Record<string, { path: string; body: (name: string) => object }> = {
  provisioner: {
    path: '/apis/networking.k8s.io/v1/namespaces/NS/networkpolicies',
    body: (name) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec: { podSelector: {} } }),
  },
  syncer: { path: '/api/v1/namespaces/NS/services', body: (name) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }] } }) },
  mapper: { path: '/api/v1/namespaces/NS/services', body: (name) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }] } }) },
  exposer: { path: '/api/v1/namespaces/NS/services', body: (name) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }] } }) },
};

export interface ForbiddenContext {
  /** The release namespace, the Secret in it, a project namespace, a namespace without the project label. */
  release: string;
  secret: string;
  project: string;
  unlabelled: string;
}

/**
 * Requests `component`'s ServiceAccount (the token in `as.tokens[component]`) must be refused,
 * every write as a dry run; plus a control: a granted write in a project namespace, which passes
 * (undefined for a component without a namespaced write).
 */
export async function forbiddenAttempts(as: ClusterInfo, component: string, ctx: ForbiddenContext): Promise<{ attempts: Attempt[]; control: number | undefined }> {
  const send = async (method: string, path: string, body?: object, headers?: Record<string, string>) => {
    const url = `${as.server}${path}${method === 'GET' || path.endsWith('/token') ? '' : '?dryRun=All'}`;
    const r = await httpsRequest(method, url, { ca: as.caPem, token: as.tokens[component]!, body: body && JSON.stringify(body), contentType: body && 'application/json', headers, timeoutMs: 10_000 });
    return r.status;
  };
  // Without a granted write of its own, a Service stands for "a write": refused everywhere.
  const write = GRANTED_WRITE[component] ?? GRANTED_WRITE.syncer!;
  const writeIn = (ns: string) => send('POST', write.path.replace('NS', ns), write.body(`forbidden-${component}`));
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'x', image: 'x' }] } };
  const everything = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];
  const table: Array<[string, () => Promise<number>]> = [
    ['get the release Secret', () => send('GET', `/api/v1/namespaces/${ctx.release}/secrets/${ctx.secret}`)],
    ['list Secrets in every namespace', () => send('GET', '/api/v1/secrets')],
    ['list Secrets of a project', () => send('GET', `/api/v1/namespaces/${ctx.project}/secrets`)],
    ['create a Pod in a project namespace', () => send('POST', `/api/v1/namespaces/${ctx.project}/pods`, pod)],
    ['create a ConfigMap in a project namespace', () => send('POST', `/api/v1/namespaces/${ctx.project}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })],
    [
      'create a RoleBinding in a project namespace',
      () => send('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${ctx.project}/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'x' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' }, subjects: [{ kind: 'User', name: 'x' }] }),
    ],
    ['mint a ServiceAccount token', () => send('POST', `/api/v1/namespaces/${ctx.project}/serviceaccounts/default/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} })],
    ['impersonate a user', () => send('GET', '/api/v1/namespaces', undefined, { 'Impersonate-User': 'admin' })],
    ['impersonate system:masters', () => send('GET', '/api/v1/namespaces', undefined, { 'Impersonate-User': 'x', 'Impersonate-Group': 'system:masters' })],
    ['escalate: a ClusterRole granting everything', () => send('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'x' }, rules: everything })],
    [
      'bind cluster-admin',
      () => send('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: 'x' }] }),
    ],
    ['its write in kube-system', () => writeIn('kube-system')],
    ['its write in default', () => writeIn('default')],
    ['its write in the release namespace', () => writeIn(ctx.release)],
    ['its write in a namespace without the project label', () => writeIn(ctx.unlabelled)],
    ...(GRANTED_WRITE[component] ? [] : ([['a Service in a project namespace', () => writeIn(ctx.project)]] as Array<[string, () => Promise<number>]>)),
    ['create a Namespace without the project label', () => send('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `rogue-${component}` } })],
    ['delete a namespace it does not manage', () => send('DELETE', `/api/v1/namespaces/${ctx.unlabelled}`)],
  ];
  const attempts: Attempt[] = [];
  for (const [what, run] of table) {
    const status = await run();
    attempts.push({ what, status, denied: status === 403 });
  }
  return { attempts, control: GRANTED_WRITE[component] ? await writeIn(ctx.project) : undefined };
}

const normalize = (rules: V1PolicyRule[]) =>
  rules
    .map((r) => ({
      verbs: [...r.verbs].sort(),
      apiGroups: [...(r.apiGroups ?? [])].sort(),
      resources: [...(r.resources ?? [])].sort(),
      ...(r.resourceNames?.length ? { resourceNames: [...r.resourceNames].sort() } : {}),
    }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** The SelfSubjectRulesReview of a ServiceAccount against test/chart/golden/<component>.rules.json (NETBROKER_UPDATE_GOLDEN=1 rewrites it). */
export async function expectGoldenRules(component: string, rules: V1PolicyRule[]): Promise<void> {
  const file = join(import.meta.dirname, 'golden', `${component}.rules.json`);
  const text = `${JSON.stringify(normalize(rules), null, 2)}\n`;
  if (process.env.NETBROKER_UPDATE_GOLDEN === '1') await writeFile(file, text);
  expect(existsSync(file), `${file} is missing: run the test once with NETBROKER_UPDATE_GOLDEN=1 and review it`).toBe(true);
  expect(text).toBe(await readFile(file, 'utf8'));
}
