import { CreatedToken, Project, ProjectList, TenantList, TokenList } from '@netbroker/contracts';
import { eventually, metricSum } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPools, createTenant, runId, startApi, type ApiUnderTest } from './harness';

const stack = inject('stack');
const run = runId();
const tenant = `rep-${run}`;

/** B's bound on the age of what a GET reads (its READ_STALENESS_MS). */
const B_STALENESS_MS = 1_000;

/**
 * Replica A (with the ipam) and replicas B and C: the same admin token, sealing key and pools, one
 * NATS. C reads with a bound of a minute, so that every barrier it takes is one the rules ask for.
 */
let a: ApiUnderTest;
let b: ApiUnderTest;
let c: ApiUnderTest;
let token: string;

beforeAll(async () => {
  a = await startApi({ natsUrl: stack.natsUrl!, prefix: `rep-${run}` });
  [b, c] = await Promise.all([
    startApi({ natsUrl: stack.natsUrl!, prefix: `rep-${run}`, withIpam: false, replicaOf: a, env: { LOG_LEVEL: 'warn', READ_STALENESS_MS: String(B_STALENESS_MS) } }),
    startApi({ natsUrl: stack.natsUrl!, prefix: `rep-${run}`, withIpam: false, replicaOf: a, env: { LOG_LEVEL: 'warn', READ_STALENESS_MS: '60000' } }),
  ]);
  await createPools(a, { prefixes: ['10.40.0.0/16'] });
  token = (await createTenant(a, tenant, { quotas: { maxProjects: 100 } })).token;
});

afterAll(async () => {
  await Promise.all([b?.stop(), c?.stop()]);
  await a?.stop();
});

const onB = (method: string, path: string, as: string, body?: unknown) => b.as(as)(method, path, body !== undefined ? { body } : {});

describe('two api replicas answering from their followed views', () => {
  it('answers a read on one replica with what the other just acknowledged: a new token, tenant and project', async () => {
    for (let i = 0; i < 20; i++) {
      const created = await a.admin('POST', `/admin/tenants/${tenant}/tokens`, { body: { name: `t${i}` } });
      expect(created.status).toBe(201);
      const fresh = CreatedToken.parse(created.body).token;
      // The token is used on B right after A stored it: B's read barrier waits for the write.
      expect((await onB('GET', '/v1/projects', fresh)).status).toBe(200);
      const project = await a.as(fresh)('POST', '/v1/projects', { body: { name: `p-${i}`, egressNetworkType: 'cloud' } });
      expect(project.status).toBe(202);
      const read = await onB('GET', `/v1/projects/p-${i}`, fresh);
      expect(read.status).toBe(200);
      expect(Project.parse(read.body).uid).toBe(Project.parse(project.body).uid);
      // A second create of the name on B is refused: B sees A's project.
      expect((await onB('POST', '/v1/projects', fresh, { name: `p-${i}`, egressNetworkType: 'cloud' })).status).toBe(409);
    }
  });

  it('pages the projects on either replica: every project once, in name order', async () => {
    const walk = async (get: (path: string) => Promise<{ status: number; body: unknown }>) => {
      const names: string[] = [];
      let next: string | undefined;
      do {
        const res = await get(`/v1/projects?limit=3${next ? `&continue=${next}` : ''}`);
        expect(res.status).toBe(200);
        const page = ProjectList.parse(res.body);
        expect(page.items.length).toBeLessThanOrEqual(3);
        names.push(...page.items.map((p) => p.name));
        next = page.continue;
      } while (next);
      return names;
    };
    const expected = Array.from({ length: 20 }, (_, i) => `p-${i}`).sort();
    expect(await walk((path) => a.as(token)('GET', path))).toEqual(expected);
    expect(await walk((path) => onB('GET', path, token))).toEqual(expected);
  });

  it('pages tenants and tokens for the admin', async () => {
    const tokens = TokenList.parse((await onB('GET', `/admin/tenants/${tenant}/tokens?limit=5`, a.adminToken)).body);
    expect(tokens.items).toHaveLength(5);
    expect(tokens.continue).toEqual(expect.any(String));
    const rest = TokenList.parse((await onB('GET', `/admin/tenants/${tenant}/tokens?limit=500&continue=${tokens.continue}`, a.adminToken)).body);
    const all = [...tokens.items, ...rest.items];
    expect(all).toHaveLength(21);
    expect(new Set(all.map((t) => t.id)).size).toBe(21);
    expect(rest.continue).toBeUndefined();
    await createTenant(a, `${tenant}-2`);
    const first = TenantList.parse((await onB('GET', '/admin/tenants?limit=1', a.adminToken)).body);
    expect(first.items).toHaveLength(1);
    expect(first.continue).toEqual(expect.any(String));
    const names: string[] = [];
    for (let next: string | undefined = ''; next !== undefined; ) {
      const page = TenantList.parse((await onB('GET', `/admin/tenants?limit=1${next ? `&continue=${next}` : ''}`, a.adminToken)).body);
      names.push(...page.items.map((x) => x.name));
      next = page.continue;
    }
    expect(names.filter((n) => n.startsWith(tenant))).toEqual([tenant, `${tenant}-2`]);
    expect(names).toEqual([...names].sort());
  });

  it('refuses a revoked token on the other replica at once when asked with Cache-Control: no-cache, and within its READ_STALENESS_MS without', async () => {
    const issue = async (name: string) => CreatedToken.parse((await a.admin('POST', `/admin/tenants/${tenant}/tokens`, { body: { name } })).body);
    const revoke = async (id: string) => expect((await a.admin('DELETE', `/admin/tenants/${tenant}/tokens/${id}`)).status).toBe(204);
    const strict = await issue('short-lived');
    expect((await onB('GET', '/v1/projects', strict.token)).status).toBe(200);
    await revoke(strict.id);
    expect((await b.as(strict.token)('GET', '/v1/projects', { headers: { 'cache-control': 'no-cache' } })).status).toBe(401);

    const plain = await issue('short-lived-too');
    expect((await onB('GET', '/v1/projects', plain.token)).status).toBe(200);
    await revoke(plain.id);
    const revokedAt = performance.now();
    await eventually(async () => expect((await onB('GET', '/v1/projects', plain.token)).status).toBe(401), { timeoutMs: B_STALENESS_MS + 1_000 });
    expect(performance.now() - revokedAt).toBeLessThan(B_STALENESS_MS + 1_000);
  });
});

describe('when a replica takes a read barrier (netbroker_api_read_barrier_seconds_count on C, whose bound is a minute)', () => {
  const barriers = async () => metricSum(await (await fetch(`${c.api.opsUrl}/metrics`)).text(), 'netbroker_api_read_barrier_seconds_count');
  const onC = (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) => c.as(token)(method, path, opts);
  /** The barriers C takes for `act`. */
  const taken = async (act: () => Promise<unknown>) => {
    const before = await barriers();
    await act();
    return (await barriers()) - before;
  };

  it('answers GETs from its view once a barrier confirmed it, and takes one for a no-cache read, a 404, an unknown tenant token, and before and after every write', async () => {
    await onC('GET', '/v1/projects', { headers: { 'cache-control': 'no-cache' } });
    expect(await taken(async () => {
      for (let i = 0; i < 10; i++) expect((await onC('GET', '/v1/projects')).status).toBe(200);
    })).toBe(0);
    expect(await taken(async () => expect((await onC('GET', '/v1/projects', { headers: { 'cache-control': 'max-age=0, no-cache' } })).status).toBe(200))).toBe(1);
    // Missing is confirmed: a barrier asked for after the request came. A tenant token the view
    // does not know, too; a token that cannot be one (no `nbt_`) or no token at all, not.
    expect(await taken(async () => expect((await onC('GET', '/v1/projects/never-created')).status).toBe(404))).toBe(1);
    expect(await taken(async () => expect((await c.as('nbt_never-issued')('GET', '/v1/projects')).status).toBe(401))).toBe(1);
    expect(await taken(async () => expect((await c.as('not-a-tenant-token')('GET', '/v1/projects')).status).toBe(401))).toBe(0);
    expect(await taken(async () => expect((await c.as(undefined)('GET', '/v1/projects')).status).toBe(401))).toBe(0);
    // A write reads exact data, and answers once the view holds what it stored: the read after
    // it finds the project with no barrier of its own. A refused write stored nothing: one barrier.
    expect(await taken(async () => expect((await onC('POST', '/v1/projects', { body: { name: 'on-c', egressNetworkType: 'cloud' } })).status).toBe(202))).toBe(2);
    expect(await taken(async () => expect((await onC('GET', '/v1/projects/on-c')).status).toBe(200))).toBe(0);
    expect(await taken(async () => expect((await onC('POST', '/v1/projects', { body: { name: 'on-c', egressNetworkType: 'cloud' } })).status).toBe(409))).toBe(1);
  });

  it('never answers 404 for what another replica acknowledged, however recent its own barrier', async () => {
    await onC('GET', '/v1/projects', { headers: { 'cache-control': 'no-cache' } });
    for (let i = 0; i < 5; i++) {
      expect((await a.as(token)('POST', '/v1/projects', { body: { name: `from-a-${i}`, egressNetworkType: 'cloud' } })).status).toBe(202);
      expect((await onC('GET', `/v1/projects/from-a-${i}`)).status).toBe(200);
    }
  });
});
