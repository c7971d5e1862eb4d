import { Mapping, MappingList, MappingRecord, mappingKey, Tenant } from '@netbroker/contracts';
import { openKv } from '@netbroker/bus';
import { eventually } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPools, createTenant, problemOf, runId, startApi, type ApiUnderTest } from './harness';

// The mapping routes and the tenant import allowlist, API only (services/mapper/test covers what
// the mapper does with them).

const stack = inject('stack');
const run = runId();
const tenant = `mapapi-${run}`;
const project = 'web';
const hostNs = `${tenant}-${project}`;

let t: ApiUnderTest;
let token: string;
const as = () => t.as(token);
const base = `/v1/projects/${project}/mappings`;

beforeAll(async () => {
  t = await startApi({ natsUrl: stack.natsUrl!, prefix: `mapapi-${run}` });
  await createPools(t, { prefixes: ['10.32.0.0/12'], defaultPrefixLength: 24 });
  ({ token } = await createTenant(t, tenant));
  expect((await as()('POST', '/v1/projects', { body: { name: project, egressNetworkType: 'cloud' } })).status).toBe(202);
});
afterAll(async () => {
  await t?.stop();
});

describe('the import allowlist', () => {
  it('is empty by default, set by the admin with a merge patch, and shown on the tenant', async () => {
    expect(Tenant.parse((await t.admin('GET', `/admin/tenants/${tenant}`)).body).importNamespaces).toEqual([]);
    const patched = await t.admin('PATCH', `/admin/tenants/${tenant}`, { body: { importNamespaces: ['shared-db'] } });
    expect(patched.status).toBe(200);
    expect(Tenant.parse(patched.body).importNamespaces).toEqual(['shared-db']);
    const other = await t.admin('PATCH', `/admin/tenants/${tenant}`, { body: { displayName: 'x' } });
    expect(Tenant.parse(other.body).importNamespaces).toEqual(['shared-db']);
    expect((await t.admin('PATCH', `/admin/tenants/${tenant}`, { body: { importNamespaces: ['Not A Name'] } })).status).toBe(422);
  });

  it('lets a project map from an allowlisted namespace and refuses any other with 403', async () => {
    expect((await as()('POST', base, { body: { direction: 'fromHost', from: 'shared-db/pg', to: 'data/pg' } })).status).toBe(201);
    const refused = await as()('POST', base, { body: { direction: 'fromHost', from: 'other/pg', to: 'data/pg' } });
    expect(refused.status).toBe(403);
    expect(problemOf(refused).code).toBe('import-not-allowed');
    const fromValues = await as()('POST', base, { body: { values: 'mapServices:\n  fromHost:\n    - {from: other/pg, to: data/pg2}\n' } });
    expect(problemOf(fromValues).code).toBe('import-not-allowed');
  });
});

describe('mappings', () => {
  it('are stored once per direction, source and target: posting again answers 200 with the same id', async () => {
    const facts: string[] = [];
    const sub = t.nc.subscribe('evt.mapping.>', {
      callback: (_e, msg) => {
        if (msg.string().includes(tenant)) facts.push(msg.subject);
      },
    });
    const body = { direction: 'fromHost', from: 'cache', to: 'data/cache' };
    const first = await as()('POST', base, { body });
    expect(first.status).toBe(201);
    const [created] = MappingList.parse(first.body).items;
    expect(created).toMatchObject({ direction: 'fromHost', from: `${hostNs}/cache`, to: 'data/cache' });
    const again = await as()('POST', base, { body: { ...body, from: `${hostNs}/cache` } });
    expect(again.status).toBe(200);
    expect(MappingList.parse(again.body).items.map((m) => m.id)).toEqual([created!.id]);

    const kv = await openKv(t.nc, 'mappings', MappingRecord);
    expect((await kv.get(mappingKey(tenant, project, created!.id)))?.value.spec.from).toBe(`${hostNs}/cache`);

    const got = await as()('GET', `${base}/${created!.id}`);
    expect(Mapping.parse(got.body).status).toHaveProperty('ready', false);
    const list = MappingList.parse((await as()('GET', base)).body);
    expect(list.items.map((m) => m.id)).toContain(created!.id);

    expect((await as()('DELETE', `${base}/${created!.id}`)).status).toBe(202);
    expect(problemOf(await as()('GET', `${base}/${created!.id}`)).code).toBe('not-found');
    expect(problemOf(await as()('DELETE', `${base}/${created!.id}`)).code).toBe('not-found');
    await eventually(() => expect(facts).toEqual(['evt.mapping.created', 'evt.mapping.deleted']));
    sub.unsubscribe();
  });

  it.each([
    ['an id of another form', `${base}/not-an-id`],
    ['an unknown id', `${base}/m0000000000000000`],
  ])('answers 404 to %s', async (_name, path) => {
    expect(problemOf(await as()('GET', path)).code).toBe('not-found');
  });

  it.each([
    ['neither shape', { direction: 'fromHost' }, 'invalid-body'],
    ['an unknown direction', { direction: 'toHost', from: 'a/b', to: 'c' }, 'invalid-body'],
    ['a fromHost target without a namespace', { direction: 'fromHost', from: 'a', to: 'b' }, 'invalid-body', ['to']],
    ['a fromVirtual target with a namespace', { direction: 'fromVirtual', from: 'a/b', to: 'c/d' }, 'invalid-body', ['to']],
    ['values without any mapping', { values: 'sync: {}' }, 'invalid-mapping'],
  ])('answers 422 to %s', async (_name, body, code, paths?: string[]) => {
    const res = await as()('POST', base, { body });
    expect(res.status).toBe(422);
    expect(problemOf(res).code).toBe(code);
    if (paths) expect(problemOf(res).errors?.map((e) => e.path)).toEqual(paths);
  });
});
