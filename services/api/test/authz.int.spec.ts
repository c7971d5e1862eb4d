import { Project, VCluster } from '@netbroker/contracts';
import { kubeconfigFile } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { routes } from '../src/http/routes';
import { createPools, createTenant, fillPath, problemOf, runId, startApi, type Answer, type ApiUnderTest } from './harness';

// The authorization table is generated from the route table: a new route is covered by adding it.

const stack = inject('stack');
const run = runId();
const tenantA = `authz-a-${run}`;
const tenantB = `authz-b-${run}`;
const project = 'shared-name';
const pool = `authz-${run}-extra`;

let t: ApiUnderTest;
let tokenA: string;
let tokenB: string;
let tokenIdA: string;

beforeAll(async () => {
  t = await startApi({ natsUrl: stack.natsUrl!, prefix: `authz-${run}` });
  await createPools(t, { prefixes: ['10.0.0.0/12'], defaultPrefixLength: 24 });
  expect((await t.admin('PUT', `/admin/pools/${pool}`, { body: { kind: 'prefix', prefixes: ['172.30.0.0/16'] } })).status).toBe(200);
  ({ token: tokenA, tokenId: tokenIdA } = await createTenant(t, tenantA));
  ({ token: tokenB } = await createTenant(t, tenantB));
  const created = await t.as(tokenA)('POST', '/v1/projects', { body: { name: project, egressNetworkType: 'cloud' } });
  expect(created.status).toBe(202);
  const registered = await t.as(tokenA)('PUT', `/v1/projects/${project}/vcluster`, { body: { kubeconfig: kubeconfigFile(stack.virtual![0]!) } });
  expect(registered.status).toBe(202);
});
afterAll(async () => {
  await t?.stop();
});

const values = () => ({
  tenant: tenantA,
  project,
  id: tokenIdA,
  pool,
  // exposures and imports
  name: 'db',
  exposure: 'db',
  consumerTenant: tenantB,
  consumerProject: project,
  exporterTenant: tenantB,
  exporterProject: project,
  // private networks (a peering's :id is the token id: not a peering id, 404 like a missing one)
  network: 'vrack',
});
const send = (token: string | undefined, route: (typeof routes)[number], path = fillPath(route.url, values())) =>
  t.as(token)(route.method, path, route.body ? { body: route.example ?? {} } : {});

const expectProblem = (res: Answer, status: number, code: string) => {
  expect({ status: res.status, code: problemOf(res).code }).toEqual({ status, code });
};

const protectedRoutes = routes.filter((r) => r.auth !== 'public');
const label = (r: (typeof routes)[number]) => `${r.method} ${r.url}`;

describe.each(protectedRoutes.map((r) => [label(r), r] as const))('%s', (_label, route) => {
  it('answers 401 with WWW-Authenticate without a token', async () => {
    const res = await send(undefined, route);
    expectProblem(res, 401, 'unauthenticated');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it.each([
    ['an unknown tenant token', 'nbt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a token without the prefix', 'not-a-netbroker-token'],
    ['garbage with spaces', 'two words'],
  ])('answers 401 to %s', async (_name, token) => {
    expectProblem(await send(token, route), 401, 'unauthenticated');
  });

  it('answers 401 to another scheme than Bearer', async () => {
    const res = await t.as(undefined)(route.method, fillPath(route.url, values()), { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    expectProblem(res, 401, 'unauthenticated');
  });

  if (route.auth === 'admin') {
    it('answers 403 to a tenant token', async () => {
      expectProblem(await send(tokenA, route), 403, 'forbidden');
    });
  }

  if (route.auth === 'tenant') {
    it('answers 403 to the admin token', async () => {
      expectProblem(await send(t.adminToken, route), 403, 'forbidden');
    });
  }

  if (route.auth === 'tenant' && route.url.includes(':project')) {
    it("answers 404 to tenant B on tenant A's project, exactly like a missing project", async () => {
      const other = await send(tokenB, route);
      const missing = await send(tokenB, route, fillPath(route.url, { ...values(), project: 'no-such-project' }));
      expectProblem(other, 404, 'not-found');
      expectProblem(missing, 404, 'not-found');
      const shape = (res: Answer, name: string) => ({ ...problemOf(res), detail: problemOf(res).detail.replaceAll(name, '<name>') });
      expect(shape(other, project)).toEqual(shape(missing, 'no-such-project'));
      expect(Object.keys(other.body as object).sort()).toEqual(Object.keys(missing.body as object).sort());
    });
  }
});

describe('public routes', () => {
  it.each(routes.filter((r) => r.auth === 'public').map((r) => [label(r), r] as const))('%s answers without a token', async (_label, route) => {
    expect((await send(undefined, route)).status).toBe(200);
  });

  it('serves the interactive docs without a token', async () => {
    const res = await fetch(`${t.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe("after every cross-tenant attempt, tenant A's things are intact", () => {
  it('still has its project, not marked for deletion, and its virtual cluster', async () => {
    const got = await t.as(tokenA)('GET', `/v1/projects/${project}`);
    expect(got.status).toBe(200);
    const p = Project.parse(got.body);
    expect(p.deletionRequestedAt).toBeUndefined();
    expect(p.generation).toBe(1);
    const vc = await t.as(tokenA)('GET', `/v1/projects/${project}/vcluster`);
    expect(vc.status).toBe(200);
    expect(VCluster.parse(vc.body).generation).toBe(1);
    const list = await t.as(tokenB)('GET', '/v1/projects');
    expect(list.body).toEqual({ items: [] });
  });

  it('answers an unknown route with 404 not-found', async () => {
    expectProblem(await t.as(tokenA)('GET', '/v1/nothing-here'), 404, 'not-found');
    expectProblem(await t.as(undefined)('GET', '/'), 404, 'not-found');
  });

  it.each([
    ['PATCH', '/v1/projects', 'GET, POST'],
    ['PUT', '/v1/projects/web', 'GET, DELETE'],
    ['HEAD', '/v1/projects/web/vcluster', 'GET, PUT, DELETE'],
    ['OPTIONS', '/admin/tenants', 'GET, POST'],
    ['QUERY', '/admin/pools/x', 'PUT, DELETE'],
    ['POST', '/openapi.json', 'GET'],
  ])('answers %s %s with 405 and Allow: %s, whoever asks', async (method, path, allow) => {
    for (const token of [tokenA, undefined]) {
      const res = await t.as(token)(method, path);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
      if (method !== 'HEAD') expect(problemOf(res)).toMatchObject({ status: 405, code: 'method-not-allowed' });
    }
  });
});
