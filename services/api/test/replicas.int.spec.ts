import { CreatedToken, Project, ProjectList, TenantList, TokenList } from '@netbroker/contracts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPools, createTenant, runId, startApi, type ApiUnderTest } from './harness';

const stack = inject('stack');
const run = runId();
const tenant = `rep-${run}`;

/** Replica A (with the ipam) and replica B: the same admin token, sealing key and pools, one NATS. */
let a: ApiUnderTest;
let b: ApiUnderTest;
let token: string;

beforeAll(async () => {
  a = await startApi({ natsUrl: stack.natsUrl!, prefix: `rep-${run}` });
  b = await startApi({ natsUrl: stack.natsUrl!, prefix: `rep-${run}`, withIpam: false, replicaOf: a, env: { LOG_LEVEL: 'warn' } });
  await createPools(a, { prefixes: ['10.40.0.0/16'] });
  token = (await createTenant(a, tenant, { quotas: { maxProjects: 100 } })).token;
});

afterAll(async () => {
  await b?.stop();
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

  it('refuses a revoked token on the other replica at once', async () => {
    const created = CreatedToken.parse((await a.admin('POST', `/admin/tenants/${tenant}/tokens`, { body: { name: 'short-lived' } })).body);
    expect((await onB('GET', '/v1/projects', created.token)).status).toBe(200);
    expect((await a.admin('DELETE', `/admin/tenants/${tenant}/tokens/${created.id}`)).status).toBe(204);
    expect((await onB('GET', '/v1/projects', created.token)).status).toBe(401);
  });
});
