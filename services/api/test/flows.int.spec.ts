import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AllocateReply,
  CreatedToken,
  ipamSubjects,
  PoolList,
  Project,
  ProjectEvent,
  ProjectList,
  ProjectRecord,
  Tenant,
  TenantList,
  TokenList,
  VCluster,
  VClusterRecord,
  ProjectStatus,
} from '@netbroker/contracts';
import { openKv, request } from '@netbroker/bus';
import { openSecret } from '@netbroker/runtime';
import { eventually, kubeconfigFile } from '@netbroker/testing';
import { Kvm } from '@nats-io/kv';
import type { Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { routes } from '../src/http/routes';
import { openApiPath } from '../src/openapi';
import { createPools, createTenant, kvKeys, kvText, problemOf, runId, startApi, type ApiUnderTest } from './harness';

const stack = inject('stack');
const run = runId();
const tenant = `flow-${run}`;

let t: ApiUnderTest;
let token: string;
const as = () => t.as(token);
const facts: Array<{ subject: string; msgId: string | undefined; data: Record<string, unknown> }> = [];
let subscription: Subscription;

beforeAll(async () => {
  t = await startApi({ natsUrl: stack.natsUrl!, prefix: `flow-${run}` });
  subscription = t.nc.subscribe('evt.>', {
    callback: (_err, msg) => {
      const data = msg.json<Record<string, unknown>>();
      if (JSON.stringify(data).includes(run)) facts.push({ subject: msg.subject, msgId: msg.headers?.get('Nats-Msg-Id'), data });
    },
  });
  await t.nc.flush();
  await createPools(t, { prefixes: ['10.128.0.0/12'], defaultPrefixLength: 24, minPrefixLength: 16, maxPrefixLength: 28 });
});
afterAll(async () => {
  subscription?.unsubscribe();
  await t?.stop();
});

const factsOf = (subject: string, match: (d: Record<string, unknown>) => boolean) => facts.filter((f) => f.subject === subject && match(f.data));
const apiLog = () => readFileSync(t.api.proc.logFile, 'utf8');

describe('tenants and tokens', () => {
  it('creates a tenant and a token that is shown only once and stored as a hash', async () => {
    const created = await t.admin('POST', '/admin/tenants', { body: { name: tenant, displayName: 'Flow Inc.' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/admin/tenants/${tenant}`);
    expect(Tenant.parse(created.body)).toMatchObject({ name: tenant, displayName: 'Flow Inc.', quotas: { maxProjects: 50, maxAddressesPerPool: {} } });
    await eventually(() => expect(factsOf('evt.tenant.created', (d) => d.tenant === tenant)).toHaveLength(1));

    const issued = await t.admin('POST', `/admin/tenants/${tenant}/tokens`, { body: { name: 'ci' } });
    expect(issued.status).toBe(201);
    const { token: secret, id } = CreatedToken.parse(issued.body);
    expect(secret).toMatch(/^nbt_[A-Za-z0-9_-]{43,}$/);
    token = secret;

    const listed = await t.admin('GET', `/admin/tenants/${tenant}/tokens`);
    expect(TokenList.parse(listed.body).items).toEqual([{ id, name: 'ci', createdAt: expect.any(String) }]);
    expect(listed.text).not.toContain(secret);
    const hash = createHash('sha256').update(secret).digest('hex');
    const stored = await kvText(t.nc, 'tenant-tokens', hash);
    expect(stored).toBeDefined();
    expect(stored).not.toContain(secret);
  });

  it('gets, patches (quotas merge, null clears) and lists tenants', async () => {
    const patched = await t.admin('PATCH', `/admin/tenants/${tenant}`, {
      body: { quotas: { maxAddressesPerPool: { [t.pools.public]: 10 } }, displayName: null, hostnameSuffixes: ['flow.example.com'] },
    });
    expect(patched.status).toBe(200);
    expect(Tenant.parse(patched.body)).toEqual(expect.objectContaining({ quotas: { maxProjects: 50, maxAddressesPerPool: { [t.pools.public]: 10 } } }));
    expect(Tenant.parse(patched.body).displayName).toBeUndefined();
    const merge = await t.admin('PATCH', `/admin/tenants/${tenant}`, {
      body: '{"quotas": {"maxProjects": 40}}',
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect(Tenant.parse(merge.body).quotas).toEqual({ maxProjects: 40, maxAddressesPerPool: { [t.pools.public]: 10 } });
    expect(Tenant.parse((await t.admin('GET', `/admin/tenants/${tenant}`)).body).hostnameSuffixes).toEqual(['flow.example.com']);
    expect(TenantList.parse((await t.admin('GET', '/admin/tenants')).body).items.map((x) => x.name)).toContain(tenant);
    expect(problemOf(await t.admin('GET', `/admin/tenants/missing-${run}`)).code).toBe('not-found');
  });

  it('revokes a token at once', async () => {
    const { token: spare, tokenId } = await (async () => {
      const res = await t.admin('POST', `/admin/tenants/${tenant}/tokens`, { body: { name: 'spare' } });
      const parsed = CreatedToken.parse(res.body);
      return { token: parsed.token, tokenId: parsed.id };
    })();
    expect((await t.as(spare)('GET', '/v1/projects')).status).toBe(200);
    expect((await t.admin('DELETE', `/admin/tenants/${tenant}/tokens/${tokenId}`)).status).toBe(204);
    expect(problemOf(await t.as(spare)('GET', '/v1/projects')).code).toBe('unauthenticated');
    expect(problemOf(await t.admin('DELETE', `/admin/tenants/${tenant}/tokens/${tokenId}`)).code).toBe('not-found');
    expect((await as()('GET', '/v1/projects')).status).toBe(200);
  });

  it('deletes only an empty tenant, with its tokens', async () => {
    const empty = `flow-empty-${run}`;
    const { token: emptyToken } = await createTenant(t, empty);
    expect((await t.as(emptyToken)('POST', '/v1/projects', { body: { name: 'x', egressNetworkType: 'cloud' } })).status).toBe(202);
    expect(problemOf(await t.admin('DELETE', `/admin/tenants/${empty}`)).code).toBe('tenant-not-empty');
    await (await openKv(t.nc, 'projects', ProjectRecord)).delete(`${empty}.x`); // what the provisioner does when a deletion is done
    expect((await t.admin('DELETE', `/admin/tenants/${empty}`)).status).toBe(204);
    expect(problemOf(await t.as(emptyToken)('GET', '/v1/projects')).code).toBe('unauthenticated');
    expect(problemOf(await t.admin('GET', `/admin/tenants/${empty}`)).code).toBe('not-found');
    await eventually(() => expect(factsOf('evt.tenant.deleted', (d) => d.tenant === empty)).toHaveLength(1));
  });
});

describe('projects', () => {
  let uid: string;

  it('accepts a project: 202 with Location, every condition Unknown, the fact published with its message id', async () => {
    const created = await as()('POST', '/v1/projects', { body: { name: 'web', egressNetworkType: 'cloud' } });
    expect(created.status).toBe(202);
    expect(created.headers.get('location')).toBe('/v1/projects/web');
    const project = Project.parse(created.body);
    uid = project.uid;
    expect(project).toMatchObject({ name: 'web', tenant, generation: 1, spec: { egressNetworkType: 'cloud' }, status: { phase: 'Pending' } });
    expect(project.status.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['CidrAllocated', 'Unknown', 'Pending'],
      ['NamespaceReady', 'Unknown', 'Pending'],
      ['EgressReady', 'Unknown', 'Pending'],
      ['Ready', 'Unknown', 'Pending'],
    ]);

    const got = await as()('GET', '/v1/projects/web');
    expect(got.status).toBe(200);
    // The GET shows the project's network too (routes, attachments, peerings: none yet).
    expect(got.body).toEqual({ ...(created.body as object), network: { routes: 0, attachments: [], peerings: [] } });

    const record = ProjectRecord.parse(JSON.parse((await kvText(t.nc, 'projects', `${tenant}.web`))!));
    expect(record).toMatchObject({ uid, generation: 1, tenant, name: 'web' });
    await eventually(() => {
      const [fact] = factsOf('evt.project.created', (d) => d.uid === uid);
      expect(fact?.msgId).toBe(`${uid}:1`);
      expect(ProjectEvent.parse(fact?.data)).toMatchObject({ tenant, project: 'web', generation: 1, actor: expect.stringContaining(tenant) });
    });
  });

  it("shows the provisioner's status once written, and ignores one of an earlier project of the same name", async () => {
    const statusKv = await openKv(t.nc, 'project-status', ProjectStatus);
    const status: ProjectStatus = {
      v: 1,
      uid,
      observedGeneration: 1,
      phase: 'Ready',
      namespace: `${tenant}-web`,
      cidr: '10.128.0.0/24',
      egressIp: '198.51.100.10',
      conditions: [{ type: 'Ready', status: 'True', reason: 'Provisioned', message: 'ok', lastTransitionTime: new Date().toISOString() }],
    };
    await statusKv.put(`${tenant}.web`, status);
    const ready = Project.parse((await as()('GET', '/v1/projects/web')).body);
    expect(ready.status).toMatchObject({ phase: 'Ready', cidr: '10.128.0.0/24', namespace: `${tenant}-web`, observedGeneration: 1 });

    await statusKv.put(`${tenant}.stale`, { ...status, uid: 'an-earlier-project' });
    expect((await as()('POST', '/v1/projects', { body: { name: 'stale', egressNetworkType: 'public' } })).status).toBe(202);
    expect(Project.parse((await as()('GET', '/v1/projects/stale')).body).status.phase).toBe('Pending');
  });

  it('lists projects by name, a page at a time, with an opaque continue token', async () => {
    const pager = `flow-pages-${run}`;
    const { token: pagerToken } = await createTenant(t, pager);
    for (const name of ['c-three', 'a-one', 'b-two']) {
      expect((await t.as(pagerToken)('POST', '/v1/projects', { body: { name, egressNetworkType: 'cloud' } })).status).toBe(202);
    }
    const first = ProjectList.parse((await t.as(pagerToken)('GET', '/v1/projects?limit=2')).body);
    expect(first.items.map((p) => p.name)).toEqual(['a-one', 'b-two']);
    expect(first.continue).toEqual(expect.any(String));
    expect(first.continue).not.toContain('b-two');
    const second = ProjectList.parse((await t.as(pagerToken)('GET', `/v1/projects?limit=2&continue=${first.continue}`)).body);
    expect(second.items.map((p) => p.name)).toEqual(['c-three']);
    expect(second.continue).toBeUndefined();

    const walked: string[] = [];
    let next: string | undefined;
    do {
      const page = ProjectList.parse((await t.as(pagerToken)('GET', `/v1/projects?limit=1${next ? `&continue=${next}` : ''}`)).body);
      walked.push(...page.items.map((p) => p.name));
      next = page.continue;
    } while (next);
    expect(walked).toEqual(['a-one', 'b-two', 'c-three']);
    expect(ProjectList.parse((await t.as(pagerToken)('GET', '/v1/projects')).body).items).toHaveLength(3);
  });

  it('answers two concurrent creates of one name with exactly one 202 and one 409', async () => {
    const body = { name: 'race', prefixLength: 26, egressNetworkType: 'cloud' };
    const answers = await Promise.all([as()('POST', '/v1/projects', { body }), as()('POST', '/v1/projects', { body })]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    expect(problemOf(answers.find((a) => a.status === 409)!).code).toBe('already-exists');
    expect((await kvKeys(t.nc, 'projects', `${tenant}.race`))).toEqual([`${tenant}.race`]);
    const winner = Project.parse(answers.find((a) => a.status === 202)!.body);
    expect(Project.parse((await as()('GET', '/v1/projects/race')).body).uid).toBe(winner.uid);
  });

  it('replays the first answer for a repeated Idempotency-Key, and creates once', async () => {
    const headers = { 'idempotency-key': `create-api-${run}` };
    const first = await as()('POST', '/v1/projects', { body: '{"name":"api","egressNetworkType":"public"}', headers });
    expect(first.status).toBe(202);
    const again = await as()('POST', '/v1/projects', { body: '{ "egressNetworkType": "public", "name": "api" }', headers });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe('/v1/projects/api');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const uidOf = Project.parse(first.body).uid;
    await eventually(() => expect(factsOf('evt.project.created', (d) => d.project === 'api' && d.tenant === tenant)).toHaveLength(1));
    expect(factsOf('evt.project.created', (d) => d.uid === uidOf)).toHaveLength(1);
    expect(await kvKeys(t.nc, 'projects', `${tenant}.api`)).toEqual([`${tenant}.api`]);

    // A token-creating POST is replayed too, with the same token; the stored answer is sealed.
    const key = { 'idempotency-key': `token-${run}` };
    const issued = await t.admin('POST', `/admin/tenants/${tenant}/tokens`, { body: { name: 'replayed' }, headers: key });
    const replayed = await t.admin('POST', `/admin/tenants/${tenant}/tokens`, { body: { name: 'replayed' }, headers: key });
    expect(replayed.body).toEqual(issued.body);
    expect(replayed.status).toBe(201);
    const names = TokenList.parse((await t.admin('GET', `/admin/tenants/${tenant}/tokens`)).body).items.map((x) => x.name);
    expect(names.filter((n) => n === 'replayed')).toHaveLength(1);
    const storedKeys = await kvKeys(t.nc, 'idempotency-keys', '_admin.>');
    const texts = await Promise.all(storedKeys.map((k) => kvText(t.nc, 'idempotency-keys', k)));
    expect(texts.join('\n')).not.toContain(CreatedToken.parse(issued.body).token);
  });

  it('requests deletion: 202 and phase Deleting, repeatable, one fact', async () => {
    const deleted = await as()('DELETE', '/v1/projects/web');
    expect(deleted.status).toBe(202);
    const project = Project.parse(deleted.body);
    expect(project.status.phase).toBe('Deleting');
    expect(project.deletionRequestedAt).toEqual(expect.any(String));
    expect(project.generation).toBe(2);
    expect(Project.parse((await as()('GET', '/v1/projects/web')).body).status.phase).toBe('Deleting');
    const again = await as()('DELETE', '/v1/projects/web');
    expect(again.status).toBe(202);
    expect(Project.parse(again.body).deletionRequestedAt).toBe(project.deletionRequestedAt);
    const record = ProjectRecord.parse(JSON.parse((await kvText(t.nc, 'projects', `${tenant}.web`))!));
    expect(record).toMatchObject({ generation: 2, deletionRequestedAt: project.deletionRequestedAt });
    await eventually(() => {
      const found = factsOf('evt.project.delete-requested', (d) => d.uid === uid);
      expect(found.map((f) => f.msgId)).toEqual([`${uid}:2`]);
    });
    expect(problemOf(await as()('DELETE', '/v1/projects/never-was')).code).toBe('not-found');
  });
});

describe('virtual cluster registration', () => {
  const virtual = () => stack.virtual![0]!;

  it('stores an inline kubeconfig sealed, and never returns or logs it', async () => {
    expect((await as()('POST', '/v1/projects', { body: { name: 'vc', egressNetworkType: 'cloud' } })).status).toBe(202);
    const kubeconfig = kubeconfigFile(virtual());
    const secret = virtual().tokens.admin!;
    const put = await as()('PUT', '/v1/projects/vc/vcluster', { body: { kubeconfig, options: { syncIngresses: true, name: 'vc1' } } });
    expect(put.status).toBe(202);
    expect(VCluster.parse(put.body)).toEqual({
      project: 'vc',
      name: 'vc1',
      kubeconfig: 'sealed',
      options: { name: 'vc1', syncIngresses: true, syncNetworkPolicies: false, syncIngressClasses: false },
      generation: 1,
      registeredAt: expect.any(String),
    });
    const got = await as()('GET', '/v1/projects/vc/vcluster');
    expect(got.body).toEqual(put.body);
    for (const text of [put.text, got.text]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(virtual().server);
    }

    const raw = (await kvText(t.nc, 'vclusters', `${tenant}.vc`))!;
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain(virtual().server);
    expect(raw).not.toContain('current-context');
    const record = VClusterRecord.parse(JSON.parse(raw));
    expect(openSecret(record.kubeconfig!, t.encryptionKey)).toBe(kubeconfig);
    await eventually(() => expect(apiLog()).toContain('/v1/projects/:project/vcluster'));
    expect(apiLog()).not.toContain(secret);
    await eventually(() => expect(factsOf('evt.vcluster.registered', (d) => d.project === 'vc')).toHaveLength(1));
  });

  it('replaces it with a secret reference, then deregisters (202, then 204)', async () => {
    const put = await as()('PUT', '/v1/projects/vc/vcluster', { body: { secretRef: { name: 'vc-kubeconfig' } } });
    expect(put.status).toBe(202);
    const shown = VCluster.parse(put.body);
    expect(shown).toMatchObject({ generation: 2, secretRef: { name: 'vc-kubeconfig', key: 'config' } });
    expect(shown.kubeconfig).toBeUndefined();
    expect(VClusterRecord.parse(JSON.parse((await kvText(t.nc, 'vclusters', `${tenant}.vc`))!)).kubeconfig).toBeUndefined();
    expect((await as()('DELETE', '/v1/projects/vc/vcluster')).status).toBe(202);
    expect(problemOf(await as()('GET', '/v1/projects/vc/vcluster')).code).toBe('not-found');
    expect((await as()('DELETE', '/v1/projects/vc/vcluster')).status).toBe(204);
    await eventually(() => expect(factsOf('evt.vcluster.deregistered', (d) => d.project === 'vc')).toHaveLength(1));
  });

  it('refuses a registration for a project being deleted', async () => {
    expect((await as()('DELETE', '/v1/projects/vc')).status).toBe(202);
    const put = await as()('PUT', '/v1/projects/vc/vcluster', { body: { secretRef: { name: 'x' } } });
    expect(problemOf(put)).toMatchObject({ status: 409, code: 'project-deleting' });
  });
});

describe('address pools through the admin API', () => {
  it('lists pools with utilisation, refuses to delete one in use, deletes an empty one', async () => {
    const listed = PoolList.parse((await t.admin('GET', '/admin/pools')).body);
    const mine = listed.items.find((p) => p.pool.name === t.pools.projects);
    expect(mine?.utilisation.total).toBe(String(2 ** 20));

    const busy = `flow-${run}-busy`;
    expect((await t.admin('PUT', `/admin/pools/${busy}`, { body: { kind: 'prefix', prefixes: ['10.250.0.0/16'] } })).status).toBe(200);
    const held = await request(t.nc, ipamSubjects.allocate, { v: 1, requestId: `hold-${run}`, pool: busy, owner: { tenant, purpose: 'test' } }, AllocateReply);
    expect(held.ok).toBe(true);
    expect(problemOf(await t.admin('DELETE', `/admin/pools/${busy}`))).toMatchObject({ status: 409, code: 'pool-in-use' });

    const empty = `flow-${run}-empty`;
    expect((await t.admin('PUT', `/admin/pools/${empty}`, { body: { kind: 'address', ranges: [{ start: '192.0.2.1', end: '192.0.2.9' }] } })).status).toBe(200);
    expect((await t.admin('DELETE', `/admin/pools/${empty}`)).status).toBe(204);
    await eventually(async () => expect(problemOf(await t.admin('DELETE', `/admin/pools/${empty}`)).code).toBe('not-found'));
  });
});

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document listing every route of the route table with its security', async () => {
    const res = await fetch(`${t.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { security: unknown[]; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['adminToken', 'tenantToken']);
    for (const route of routes) {
      const op = doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()];
      expect(op, `${route.method} ${route.url}`).toBeDefined();
      const expected = route.auth === 'admin' ? [{ adminToken: [] }] : route.auth === 'tenant' ? [{ tenantToken: [] }] : [];
      expect(op!.security).toEqual(expected);
      if (route.auth !== 'public') expect(Object.keys(op!.responses)).toContain('401');
    }
    const operations = Object.values(doc.paths).flatMap((p) => Object.keys(p));
    expect(operations).toHaveLength(routes.length);
    // Every $ref points at a component that exists.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(routes.length);
    for (const ref of new Set(refs)) expect(doc.components.schemas, ref).toHaveProperty(ref);
    expect(doc.components.schemas).toHaveProperty('Problem');
    expect(doc.components.schemas).toHaveProperty('CreateProjectRequest');
  });
});

describe('unexpected errors', () => {
  it('answers 500 with a correlation id logged once, and keeps running', async () => {
    expect((await as()('POST', '/v1/projects', { body: { name: 'broken', egressNetworkType: 'cloud' } })).status).toBe(202);
    // A status record the api cannot read (what a buggy writer could leave).
    const statusKv = await new Kvm(t.nc).open('project-status');
    await statusKv.put(`${tenant}.broken`, '{"v": 99}');
    try {
      const res = await as()('GET', '/v1/projects/broken');
      const problem = problemOf(res);
      expect(problem).toMatchObject({ status: 500, code: 'internal' });
      expect(problem.correlationId).toEqual(expect.any(String));
      await eventually(() => expect(apiLog()).toContain(problem.correlationId!));
      expect(apiLog().split('\n').filter((line) => line.includes(problem.correlationId!))).toHaveLength(1);
    } finally {
      await statusKv.delete(`${tenant}.broken`);
    }
    expect((await as()('GET', '/v1/projects/broken')).status).toBe(200);
    expect((await fetch(`${t.api.opsUrl}/healthz`)).status).toBe(200);
    expect(t.api.proc.running).toBe(true);
  });
});
