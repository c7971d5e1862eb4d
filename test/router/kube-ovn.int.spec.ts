import { randomBytes } from 'node:crypto';
import { KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { FieldApplier } from '@netbroker/kube';
import { kubeConfigFor } from '@netbroker/testing';
import type { Route } from '@netbroker/contracts';
import { compile, DEFAULT_ROUTER_LIMITS, kubeOvnVpc, kubeOvnVpcFields, kubeOvnVpcRef, linkSides, type RouterProject, type RouterSnapshot } from '@netbroker/translate';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installVpcCrd } from './vpc-crd';

// The Kube-OVN backend of the router against the real host apiserver with Kube-OVN's `Vpc` CRD:
// the project VPCs are the platform's (created here by a `kube-dc` field manager); netbroker
// applies only `spec.vpcPeerings` and `spec.staticRoutes`, both sides of a peering in one pass,
// never creating a Vpc and never taking a field another manager owns.

const stack = inject('stack');
const kc = kubeConfigFor(stack.host!);
const objects = KubernetesObjectApi.makeApiClient(kc);
const router = new FieldApplier(kc, 'netbroker-router');
const run = `nbt-${randomBytes(3).toString('hex')}`;
const vpcName = (_tenant: string, project: string) => `${run}-${project}`;
const created: string[] = [];

type Vpc = KubernetesObject & { spec?: Record<string, unknown> };
const readVpc = (project: string) => objects.read({ ...kubeOvnVpcRef(vpcName('t', project)) }) as Promise<Vpc>;

/** The platform's Vpc of a project, with fields of its own. */
async function platformVpc(project: string, spec: Record<string, unknown> = {}) {
  const body = { ...kubeOvnVpcRef(vpcName('t', project)), spec: { namespaces: [`t-${project}`], enableExternal: true, ...spec } };
  await objects.patch(body, undefined, undefined, 'kube-dc', true, PatchStrategy.ServerSideApply);
  created.push(body.metadata.name);
}

function snapshot(peered: boolean, routesOfA: boolean): RouterSnapshot {
  const project = (p: string, cidr: string, routes: Route[] = []): [string, RouterProject] => [`t.${p}`, { tenant: 't', project: p, cidr, routes, attachments: [] }];
  const link = '169.254.0.0/30';
  return {
    projects: new Map([project('a', '10.50.1.0/24', routesOfA ? [{ destination: '192.168.10.0/24', nexthop: '10.50.1.7' }] : []), project('b', '10.50.2.0/24'), project('c', '10.50.3.0/24')]),
    privateNetworks: new Map(),
    peerings: peered
      ? [{ v: 1, id: 'ab', requester: { tenant: 't', project: 'a' }, accepter: { tenant: 't', project: 'b' }, state: 'Active', link: { cidr: link, ...linkSides(link)!, allocated: false }, conditions: [], createdAt: '2026-12-02T00:00:00Z', createdBy: 'test' }]
      : [],
    reserved: [],
    limits: DEFAULT_ROUTER_LIMITS,
  };
}

/** The backend's pass: every project's Vpc fields from one compiled plan. */
async function applyPlan(s: RouterSnapshot) {
  const plan = compile(s);
  const byKey = new Map(plan.projects.map((p) => [p.key, p] as const));
  const outcomes: Record<string, string> = {};
  for (const p of plan.projects) {
    const result = await router.apply(kubeOvnVpcRef(vpcName(p.tenant, p.project)), kubeOvnVpcFields(kubeOvnVpc(p, vpcName, byKey)));
    outcomes[p.project] = result.outcome === 'applied' ? (result.wrote ? 'wrote' : 'unchanged') : result.outcome;
  }
  return outcomes;
}

const managersOf = (vpc: Vpc) => Object.fromEntries((vpc.metadata?.managedFields ?? []).map((m) => [m.manager, Object.keys((m.fieldsV1 as { 'f:spec'?: object } | undefined)?.['f:spec'] ?? {}).sort()]));

beforeAll(async () => {
  await installVpcCrd(kc);
  await platformVpc('a');
  await platformVpc('b');
});

afterAll(async () => {
  for (const name of created) await objects.delete(kubeOvnVpcRef(name)).catch(() => undefined);
});

describe('the Kube-OVN backend on a real API server', () => {
  it('writes both sides of a peering in one pass: mirror-image vpcPeerings and policyDst routes, the platform\'s fields untouched', async () => {
    expect(await applyPlan(snapshot(true, true))).toEqual({ a: 'wrote', b: 'wrote', c: 'missing' });
    const [a, b] = [await readVpc('a'), await readVpc('b')];
    expect(a.spec).toEqual({
      namespaces: ['t-a'],
      enableExternal: true,
      vpcPeerings: [{ remoteVpc: vpcName('t', 'b'), localConnectIP: '169.254.0.1/30' }],
      staticRoutes: [
        { policy: 'policyDst', cidr: '10.50.2.0/24', nextHopIP: '169.254.0.2' },
        { policy: 'policyDst', cidr: '192.168.10.0/24', nextHopIP: '10.50.1.7' },
      ],
    });
    expect(b.spec).toMatchObject({ vpcPeerings: [{ remoteVpc: vpcName('t', 'a'), localConnectIP: '169.254.0.2/30' }], staticRoutes: [{ policy: 'policyDst', cidr: '10.50.1.0/24', nextHopIP: '169.254.0.1' }] });
    expect(managersOf(a)).toEqual({ 'kube-dc': ['f:enableExternal', 'f:namespaces'], 'netbroker-router': ['f:staticRoutes', 'f:vpcPeerings'] });
  });

  it('changes nothing when applied again (resourceVersion unchanged)', async () => {
    const before = (await readVpc('a')).metadata?.resourceVersion;
    expect(await applyPlan(snapshot(true, true))).toEqual({ a: 'unchanged', b: 'unchanged', c: 'missing' });
    expect((await readVpc('a')).metadata?.resourceVersion).toBe(before);
  });

  it('removes its fields when the peering and routes go, and leaves the platform\'s', async () => {
    expect(await applyPlan(snapshot(false, false))).toEqual({ a: 'wrote', b: 'wrote', c: 'missing' });
    const a = await readVpc('a');
    expect(a.spec).toEqual({ namespaces: ['t-a'], enableExternal: true });
    expect(managersOf(a)['netbroker-router'] ?? []).toEqual([]);
  });

  it('never takes a field another manager owns: a conflict is reported and their routes stay', async () => {
    await platformVpc('c', { staticRoutes: [{ policy: 'policyDst', cidr: '172.31.0.0/16', nextHopIP: '10.50.3.1' }] });
    const s = snapshot(false, false);
    const c = compile({ ...s, projects: new Map([...s.projects].map(([k, p]) => [k, k === 't.c' ? { ...p, routes: [{ destination: '192.168.20.0/24', nexthop: '10.50.3.9' }] } : p])) }).projects.find((p) => p.key === 't.c')!;
    const result = await router.apply(kubeOvnVpcRef(vpcName('t', 'c')), kubeOvnVpcFields(kubeOvnVpc(c, vpcName, new Map())));
    expect(result).toMatchObject({ outcome: 'conflict', message: expect.stringMatching(/conflict/i) });
    expect((await readVpc('c')).spec?.staticRoutes).toEqual([{ policy: 'policyDst', cidr: '172.31.0.0/16', nextHopIP: '10.50.3.1' }]);
  });
});
