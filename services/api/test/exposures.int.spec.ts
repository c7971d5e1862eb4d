import { Exposure, ExposureList, ExposureRecord, ExposureStatus, GrantRecord, GrantView, Import, ImportList, Project, exposureKey, grantKey } from '@netbroker/contracts';
import { openKv } from '@netbroker/bus';
import { eventually } from '@netbroker/testing';
import type { Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPools, createTenant, kvKeys, problemOf, runId, startApi, type Answer, type ApiUnderTest } from './harness';

// The exposure, grant and import routes, API only: no exposer runs here, so status is either the
// "not reconciled yet" default or a record this file writes itself (as the exposer would).

const stack = inject('stack');
const run = runId();
/** The exporter's tenant (projects db, web, gone), another tenant (analytics, db) and a third (spy). */
const A = `expa-${run}`;
const B = `expb-${run}`;
const C = `expc-${run}`;

let t: ApiUnderTest;
const tokens: Record<string, { token: string; tokenId: string }> = {};
const uids: Record<string, string> = {};
const as = (tenant: string) => t.as(tokens[tenant]!.token);
const actor = (tenant: string) => `tenant:${tenant}/token:${tokens[tenant]!.tokenId}`;
const exposures = (project = 'db') => `/v1/projects/${project}/exposures`;
const imports = (project: string) => `/v1/projects/${project}/imports`;

const facts: Array<{ subject: string; msgId: string | undefined; data: Record<string, unknown> }> = [];
let subscription: Subscription;
const factsOf = (subject: string, exposure: string) => facts.filter((f) => f.subject === subject && f.data.exposure === exposure);

beforeAll(async () => {
  t = await startApi({ natsUrl: stack.natsUrl!, prefix: `exp-${run}` });
  subscription = t.nc.subscribe('evt.>', {
    callback: (_err, msg) => {
      const data = msg.json<Record<string, unknown>>();
      if (msg.subject.startsWith('evt.exposure.') || msg.subject.startsWith('evt.grant.')) {
        if (JSON.stringify(data).includes(run)) facts.push({ subject: msg.subject, msgId: msg.headers?.get('Nats-Msg-Id'), data });
      }
    },
  });
  await t.nc.flush();
  await createPools(t, { prefixes: ['10.64.0.0/12'], defaultPrefixLength: 24 });
  for (const tenant of [A, B, C]) tokens[tenant] = await createTenant(t, tenant);
  const projects: Array<[string, string, string]> = [
    [A, 'db', 'public'],
    [A, 'web', 'cloud'],
    [A, 'gone', 'cloud'],
    [B, 'analytics', 'cloud'],
    [B, 'db', 'cloud'],
    [C, 'spy', 'cloud'],
  ];
  for (const [tenant, name, egressNetworkType] of projects) {
    const res = await as(tenant)('POST', '/v1/projects', { body: { name, egressNetworkType } });
    expect(res.status).toBe(202);
    uids[`${tenant}/${name}`] = Project.parse(res.body).uid;
  }
  expect((await as(A)('DELETE', '/v1/projects/gone')).status).toBe(202);
});
afterAll(async () => {
  subscription?.unsubscribe();
  await t?.stop();
});

const expectProblem = (res: Answer, status: number, code: string) => expect({ status: res.status, code: problemOf(res).code }).toEqual({ status, code });

/** Every exposure and grant key of the three tenants: what a refused request must not change. */
async function written() {
  const mine = (k: string) => k.includes(run);
  return { exposures: (await kvKeys(t.nc, 'exposures')).filter(mine), grants: (await kvKeys(t.nc, 'exposure-grants')).filter(mine) };
}

async function create(body: Record<string, unknown>, tenant = A, project = 'db'): Promise<Exposure> {
  const res = await as(tenant)('POST', exposures(project), { body });
  expect(res.status, res.text).toBe(201);
  return Exposure.parse(res.body);
}

const exposureOf = async (name: string, tenant = A, project = 'db') => {
  const res = await as(tenant)('GET', `${exposures(project)}/${name}`);
  expect(res.status, res.text).toBe(200);
  return Exposure.parse(res.body);
};
const importsOf = async (tenant: string, project: string) => {
  const res = await as(tenant)('GET', imports(project));
  expect(res.status, res.text).toBe(200);
  return ImportList.parse(res.body).items;
};

describe('an exposure with a grant to a project of the same tenant', () => {
  it('is stored with its defaults, and the grant is accepted at once', async () => {
    const created = await create({ service: 'data/postgres', ports: [{ port: 5432 }], grants: ['web', 'web', `${A}/web`] });
    expect(created).toMatchObject({
      name: 'postgres',
      service: 'data/postgres',
      ports: [{ port: 5432, protocol: 'TCP' }],
      pool: 'public',
      eipKey: 'postgres',
      entryName: 'postgres-ext',
      status: { ready: false, reason: 'Pending', message: 'the exposer has not reconciled this exposure yet', consumers: [], policyPeers: [] },
    });
    expect(created.grants).toEqual([{ project: `${A}/web`, state: 'accepted', grantedAt: created.createdAt, acceptedAt: created.createdAt }]);

    const records = await openKv(t.nc, 'exposures', ExposureRecord);
    expect((await records.get(exposureKey(A, 'db', 'postgres')))?.value).toMatchObject({ projectUid: uids[`${A}/db`], eipKey: 'postgres', createdBy: actor(A) });
    const grants = await openKv(t.nc, 'exposure-grants', GrantRecord);
    const grant = (await grants.get(grantKey({ tenant: A, project: 'db' }, 'postgres', { tenant: A, project: 'web' })))?.value;
    expect(grant).toMatchObject({
      exporter: { tenant: A, project: 'db', uid: uids[`${A}/db`] },
      consumer: { tenant: A, project: 'web', uid: uids[`${A}/web`] },
      state: 'accepted',
      grantedBy: actor(A),
      acceptedBy: actor(A),
    });

    await eventually(() => expect(factsOf('evt.exposure.created', 'postgres')).toHaveLength(1));
    await eventually(() => expect(factsOf('evt.grant.added', 'postgres')).toHaveLength(1));
    const [added] = factsOf('evt.grant.added', 'postgres');
    expect(added!.data).toEqual({ v: 1, exporter: { tenant: A, project: 'db', uid: uids[`${A}/db`] }, exposure: 'postgres', consumer: { tenant: A, project: 'web' }, actor: actor(A) });
    expect(factsOf('evt.exposure.created', 'postgres')[0]!.data.actor).toBe(actor(A));
    expect(added!.msgId).toMatch(new RegExp(`^${uids[`${A}/db`]}:grant:postgres:${A}\\.web:\\d+:added$`));
  });

  it("shows in the consumer's imports, pending the exposer, then with the exposer's status", async () => {
    const [item] = (await importsOf(A, 'web')).filter((i) => i.exposure === 'postgres');
    expect(item).toMatchObject({ exporter: `${A}/db`, state: 'accepted', entryName: 'postgres-ext', ports: [{ port: 5432, protocol: 'TCP' }], ready: false, reason: 'Pending' });
    expect(item!.address).toBeUndefined();

    // What the exposer would write once it has reconciled.
    const status = await openKv(t.nc, 'exposure-status', ExposureStatus);
    await status.put(exposureKey(A, 'db', 'postgres'), {
      v: 1,
      ready: true,
      reason: 'Ready',
      message: 'exposed',
      eip: '203.0.113.40',
      address: '203.0.113.40',
      consumers: [{ project: `${A}/web`, ready: true, reason: 'EntryReady', message: 'postgres-ext points at 203.0.113.40' }],
      policyPeers: ['198.51.100.20/32'],
      virtualEntries: [`${A}.web`],
      observedAt: '2030-01-01T00:00:00.000Z',
    });
    const [ready] = (await importsOf(A, 'web')).filter((i) => i.exposure === 'postgres');
    expect(ready).toMatchObject({ address: '203.0.113.40', ready: true, reason: 'EntryReady', message: 'postgres-ext points at 203.0.113.40' });
    const got = await exposureOf('postgres');
    expect(got.status).toEqual({
      ready: true,
      reason: 'Ready',
      message: 'exposed',
      eip: '203.0.113.40',
      address: '203.0.113.40',
      consumers: [{ project: `${A}/web`, ready: true, reason: 'EntryReady', message: 'postgres-ext points at 203.0.113.40' }],
      policyPeers: ['198.51.100.20/32'],
      observedAt: '2030-01-01T00:00:00.000Z',
    });
    expect(got.status).not.toHaveProperty('virtualEntries');
  });
});

describe('a grant to another tenant', () => {
  const accept = (tenant: string, project: string) => as(tenant)('POST', `${imports(project)}/${A}/db/cache/accept`);

  it('is pending and offered in that tenant’s imports; a third tenant can neither accept nor decline it', async () => {
    const created = await create({ name: 'cache', service: 'redis', ports: [{ port: 6379 }], grants: [`${B}/analytics`] });
    expect(created.grants).toEqual([{ project: `${B}/analytics`, state: 'pending', grantedAt: created.createdAt }]);

    const [offer] = await importsOf(B, 'analytics');
    expect(offer).toMatchObject({ exporter: `${A}/db`, exposure: 'cache', state: 'pending', entryName: 'cache-ext', ready: false, reason: 'AwaitingAcceptance' });
    expect(offer!.message).toContain(`POST /v1/projects/analytics/imports/${A}/db/cache/accept`);
    expect(await importsOf(B, 'db')).toEqual([]);

    expectProblem(await accept(C, 'spy'), 404, 'not-found');
    expectProblem(await as(C)('DELETE', `${imports('spy')}/${A}/db/cache`), 404, 'not-found');
    expectProblem(await accept(C, 'analytics'), 404, 'not-found');
    expectProblem(await accept(B, 'db'), 404, 'not-found');
    expect((await importsOf(B, 'analytics'))[0]!.state).toBe('pending');
  });

  it('is accepted by that project once; accepting again writes nothing', async () => {
    const accepted = await accept(B, 'analytics');
    expect(accepted.status, accepted.text).toBe(200);
    const view = Import.parse(accepted.body);
    expect(view).toMatchObject({ exporter: `${A}/db`, exposure: 'cache', state: 'accepted', ready: false, reason: 'Pending' });
    expect(view.acceptedAt).toEqual(expect.any(String));

    const grants = await openKv(t.nc, 'exposure-grants', GrantRecord);
    const key = grantKey({ tenant: A, project: 'db' }, 'cache', { tenant: B, project: 'analytics' });
    const record = await grants.get(key);
    expect(record?.value).toMatchObject({ state: 'accepted', consumer: { uid: uids[`${B}/analytics`] }, acceptedBy: actor(B), grantedBy: actor(A) });

    const again = await accept(B, 'analytics');
    expect(again.status).toBe(200);
    expect(Import.parse(again.body).acceptedAt).toBe(view.acceptedAt);
    expect((await grants.get(key))?.revision).toBe(record!.revision);

    expect((await exposureOf('cache')).grants).toEqual([{ project: `${B}/analytics`, state: 'accepted', grantedAt: expect.any(String), acceptedAt: view.acceptedAt }]);
    await eventually(() => expect(factsOf('evt.grant.accepted', 'cache')).toHaveLength(1));
    expect(factsOf('evt.grant.accepted', 'cache')[0]!.data).toMatchObject({ consumer: { tenant: B, project: 'analytics' }, actor: actor(B) });
  });

  it('to a project that does not exist is pending all the same: existence does not leak', async () => {
    const created = await create({ name: 'ghost', service: 'ghost', ports: [{ port: 80 }], grants: [`nobody-${run}/nothing`, `${B}/analytics`] });
    expect(created.grants.map((g) => `${g.project}:${g.state}`)).toEqual([`${B}/analytics:pending`, `nobody-${run}/nothing:pending`]);
  });
});

describe('listing', () => {
  it("lists the exporter's exposures by name with their grants", async () => {
    await create({ name: 'listed', service: 'ns/listed', ports: [{ port: 8080 }], grants: ['web', `${B}/analytics`] });
    const res = await as(A)('GET', exposures());
    expect(res.status).toBe(200);
    const items = ExposureList.parse(res.body).items;
    const names = items.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['cache', 'listed', 'postgres']));
    expect(items.find((e) => e.name === 'listed')!.grants.map((g) => `${g.project}:${g.state}`)).toEqual([`${A}/web:accepted`, `${B}/analytics:pending`]);
  });

  it('shows nothing to another tenant, even in a project of the same name', async () => {
    expect((await as(B)('GET', exposures())).body).toEqual({ items: [] });
    expectProblem(await as(B)('GET', `${exposures()}/postgres`), 404, 'not-found');
    expectProblem(await as(B)('DELETE', `${exposures()}/postgres`), 404, 'not-found');
    expectProblem(await as(B)('POST', `${exposures()}/postgres/grants`, { body: { project: 'analytics' } }), 404, 'not-found');
    expectProblem(await as(B)('DELETE', `${exposures()}/postgres/grants/${A}/web`), 404, 'not-found');
    expectProblem(await as(C)('GET', `${exposures()}/postgres`), 404, 'not-found');
    expect((await exposureOf('postgres')).grants).toHaveLength(1);
  });

  it('ignores a record left by an earlier project of the same name, and replaces it on create', async () => {
    const records = await openKv(t.nc, 'exposures', ExposureRecord);
    const stale = {
      ...(await records.get(exposureKey(A, 'db', 'postgres')))!.value,
      name: 'old',
      projectUid: 'an-earlier-uid',
      eipKey: 'old',
      ports: [{ port: 443, protocol: 'TCP' as const }],
    };
    await records.put(exposureKey(A, 'db', 'old'), stale);
    expect(ExposureList.parse((await as(A)('GET', exposures())).body).items.map((e) => e.name)).not.toContain('old');
    expectProblem(await as(A)('GET', `${exposures()}/old`), 404, 'not-found');
    const replaced = await create({ name: 'old', service: 'new', ports: [{ port: 443 }] });
    expect(replaced.service).toBe('new');
    expect((await records.get(exposureKey(A, 'db', 'old')))?.value.projectUid).toBe(uids[`${A}/db`]);
  });
});

describe('imports of leftovers', () => {
  it('skips a grant whose exposure is gone or of an earlier exporter, and one accepted by an earlier consumer', async () => {
    const grants = await openKv(t.nc, 'exposure-grants', GrantRecord);
    const base = (await grants.get(grantKey({ tenant: A, project: 'db' }, 'postgres', { tenant: A, project: 'web' })))!.value;
    const leftovers: Array<[string, GrantRecord]> = [
      ['nothing', { ...base, exposure: 'nothing' }],
      ['old', { ...base, exposure: 'old', exporter: { ...base.exporter, uid: 'an-earlier-uid' } }],
      ['cache', { ...base, exposure: 'cache', consumer: { ...base.consumer, uid: 'an-earlier-web' } }],
    ];
    for (const [exposure, g] of leftovers) await grants.put(grantKey({ tenant: A, project: 'db' }, exposure, { tenant: A, project: 'web' }), g);
    expect((await importsOf(A, 'web')).map((i) => i.exposure)).toEqual(['listed', 'postgres']);
    for (const [exposure] of leftovers) await grants.delete(grantKey({ tenant: A, project: 'db' }, exposure, { tenant: A, project: 'web' }));
  });
});

describe('refused requests write nothing', () => {
  it.each<[string, number, string, Record<string, unknown>, RegExp?]>([
    ['a port already on the shared EIP', 409, 'port-collision', { name: 'pg-tls', service: 'pg', ports: [{ port: 8443 }, { port: 5432 }], shareWith: 'postgres' }, /5432\/TCP is exposed by postgres/],
    ['shareWith an unknown exposure', 409, 'unknown-reference', { name: 'lonely', service: 'x', ports: [{ port: 1 }], shareWith: `nothing` }, /nothing/],
    ['a pool that differs from the shared EIP', 409, 'pool-mismatch', { name: 'other-pool', service: 'x', ports: [{ port: 2 }], shareWith: 'postgres', pool: 'cloud' }],
    ['a grant to the project itself', 409, 'self-grant', { name: 'selfish', service: 'x', ports: [{ port: 4 }], grants: ['db'] }],
    ['a grant to the project itself, by tenant/project', 409, 'self-grant', { name: 'selfish', service: 'x', ports: [{ port: 4 }], grants: [`${A}/db`] }],
    ['a grant to a missing project of the tenant', 409, 'unknown-reference', { name: 'orphan', service: 'x', ports: [{ port: 5 }], grants: ['web', 'missing'] }, /missing/],
    ['a grant to a project being deleted', 409, 'project-deleting', { name: 'late', service: 'x', ports: [{ port: 6 }], grants: ['gone'] }],
    ['an existing name', 409, 'already-exists', { name: 'postgres', service: 'x', ports: [{ port: 7 }] }],
    ['a default name longer than 40 characters', 422, 'invalid-body', { service: `ns/${'s'.repeat(41)}`, ports: [{ port: 8 }] }],
    ['a name longer than 40 characters', 422, 'invalid-body', { name: 'n'.repeat(41), service: 'x', ports: [{ port: 9 }] }],
  ])('%s → %i %s', async (_what, status, code, body, detail) => {
    const before = await written();
    const res = await as(A)('POST', exposures(), { body });
    expectProblem(res, status, code);
    if (detail) expect(problemOf(res).detail).toMatch(detail);
    expect(await written()).toEqual(before);
  });

  it('refuses a new exposure in a project being deleted', async () => {
    expectProblem(await as(A)('POST', exposures('gone'), { body: { service: 'x', ports: [{ port: 1 }] } }), 409, 'project-deleting');
  });

  it('leaves no exposure record behind a refused grant', async () => {
    expectProblem(await as(A)('POST', exposures(), { body: { name: 'orphan', service: 'x', ports: [{ port: 5 }], grants: ['missing'] } }), 409, 'unknown-reference');
    expectProblem(await as(A)('GET', `${exposures()}/orphan`), 404, 'not-found');
    expect(await kvKeys(t.nc, 'exposures', `${A}.db.orphan`)).toEqual([]);
  });
});

describe('ports', () => {
  it('counts a port and protocol listed twice once', async () => {
    const twice = await create({ name: 'twice', service: 'x', ports: [{ port: 3 }, { port: 3, protocol: 'TCP' }, { port: 3, protocol: 'UDP' }] });
    expect(twice.ports).toEqual([
      { port: 3, protocol: 'TCP' },
      { port: 3, protocol: 'UDP' },
    ]);
  });
});

describe('sharing an EIP', () => {
  it('takes the eipKey and pool of the shared exposure when the ports do not collide', async () => {
    const shared = await create({ name: 'pg-metrics', service: 'data/pg-metrics', ports: [{ port: 9187 }, { port: 5432, protocol: 'UDP' }], shareWith: 'postgres' });
    expect(shared).toMatchObject({ eipKey: 'postgres', pool: 'public' });
    // Sharing with a sharer is sharing the same EIP: every exposure on it is checked.
    const third = await as(A)('POST', exposures(), { body: { name: 'third', service: 'x', ports: [{ port: 9187 }], shareWith: 'pg-metrics' } });
    expectProblem(third, 409, 'port-collision');
    expect(problemOf(third).detail).toContain('9187/TCP is exposed by pg-metrics');
  });
});

describe('creating concurrently', () => {
  it('answers one 201 and one 409 to two posts of the same name', async () => {
    const body = { name: 'racy', service: 'racy', ports: [{ port: 1234 }] };
    const answers = await Promise.all([as(A)('POST', exposures(), { body }), as(A)('POST', exposures(), { body })]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
  });
});

describe('grants after creation', () => {
  it('adds a grant once: 201, then 200 with the same grant', async () => {
    await create({ name: 'api', service: 'api', ports: [{ port: 443 }] });
    const first = await as(A)('POST', `${exposures()}/api/grants`, { body: { project: 'web' } });
    expect(first.status, first.text).toBe(201);
    const granted = GrantView.parse(first.body);
    expect(granted).toMatchObject({ project: `${A}/web`, state: 'accepted' });
    const again = await as(A)('POST', `${exposures()}/api/grants`, { body: { project: `${A}/web` } });
    expect(again.status).toBe(200);
    expect(GrantView.parse(again.body)).toEqual(granted);
    const cross = await as(A)('POST', `${exposures()}/api/grants`, { body: { project: `${B}/analytics` } });
    expect(GrantView.parse(cross.body)).toMatchObject({ project: `${B}/analytics`, state: 'pending' });
    await eventually(() => expect(factsOf('evt.grant.added', 'api').map((f) => (f.data.consumer as { project: string }).project).sort()).toEqual(['analytics', 'web']));
  });

  it.each([
    ['the project itself', 'db', 409, 'self-grant'],
    ['a missing project of the tenant', 'missing', 409, 'unknown-reference'],
    ['a project being deleted', 'gone', 409, 'project-deleting'],
    ['a malformed reference', 'a/b/c', 422, 'invalid-body'],
  ])('refuses a grant to %s', async (_what, project, status, code) => {
    const before = await written();
    expectProblem(await as(A)('POST', `${exposures()}/api/grants`, { body: { project } }), status, code);
    expect(await written()).toEqual(before);
  });

  it('answers 404 for a grant to an exposure that does not exist', async () => {
    expectProblem(await as(A)('POST', `${exposures()}/nothing/grants`, { body: { project: 'web' } }), 404, 'not-found');
  });

  it('revokes a grant: gone from the exporter and the consumer, and a second revoke is 404', async () => {
    expect((await importsOf(A, 'web')).map((i) => i.exposure)).toContain('api');
    expect((await as(A)('DELETE', `${exposures()}/api/grants/${A}/web`)).status).toBe(202);
    expect((await exposureOf('api')).grants.map((g) => g.project)).toEqual([`${B}/analytics`]);
    expect((await importsOf(A, 'web')).map((i) => i.exposure)).not.toContain('api');
    expectProblem(await as(A)('DELETE', `${exposures()}/api/grants/${A}/web`), 404, 'not-found');
    await eventually(() => expect(factsOf('evt.grant.revoked', 'api')).toHaveLength(1));
    expect(factsOf('evt.grant.revoked', 'api')[0]!.data).toMatchObject({ consumer: { tenant: A, project: 'web' }, actor: actor(A) });
  });

  it('lets the consumer decline a pending grant; a second decline is 404', async () => {
    expect((await importsOf(B, 'analytics')).map((i) => i.exposure)).toContain('api');
    expect((await as(B)('DELETE', `${imports('analytics')}/${A}/db/api`)).status).toBe(202);
    expect((await importsOf(B, 'analytics')).map((i) => i.exposure)).not.toContain('api');
    expect((await exposureOf('api')).grants).toEqual([]);
    expectProblem(await as(B)('DELETE', `${imports('analytics')}/${A}/db/api`), 404, 'not-found');
    await eventually(() => expect(factsOf('evt.grant.declined', 'api')).toHaveLength(1));
    expect(factsOf('evt.grant.declined', 'api')[0]!.data).toMatchObject({ consumer: { tenant: B, project: 'analytics' }, actor: actor(B) });
  });
});

describe('deleting an exposure', () => {
  it('deletes its grants with it, and the consumers no longer see it', async () => {
    await create({ name: 'doomed', service: 'doomed', ports: [{ port: 7000 }], grants: ['web', `${B}/analytics`] });
    expect(await kvKeys(t.nc, 'exposure-grants', `${A}.db.doomed.*.*`)).toHaveLength(2);
    expect((await as(A)('DELETE', `${exposures()}/doomed`)).status).toBe(202);
    expect(await kvKeys(t.nc, 'exposure-grants', `${A}.db.doomed.*.*`)).toEqual([]);
    expectProblem(await as(A)('GET', `${exposures()}/doomed`), 404, 'not-found');
    expectProblem(await as(A)('DELETE', `${exposures()}/doomed`), 404, 'not-found');
    expect((await importsOf(A, 'web')).map((i) => i.exposure)).not.toContain('doomed');
    expect((await importsOf(B, 'analytics')).map((i) => i.exposure)).not.toContain('doomed');
    await eventually(() => expect(factsOf('evt.exposure.deleted', 'doomed')).toHaveLength(1));
    expect(factsOf('evt.exposure.deleted', 'doomed')[0]!.data).toMatchObject({ exporter: { tenant: A, project: 'db' }, actor: actor(A) });
  });
});

describe('malformed paths', () => {
  it.each([
    ['an exposure name with an underscore', `${exposures()}/bad_name`],
    ['an import path with an upper-case tenant', `${imports('web')}/Tenant/db/x/accept`],
  ])('answers 404 to %s', async (_what, path) => {
    expectProblem(await as(A)(path.endsWith('/accept') ? 'POST' : 'GET', path), 404, 'not-found');
  });
});
