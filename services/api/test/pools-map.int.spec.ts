import { randomUUID } from 'node:crypto';
import { CreatedToken, PoolMap, Problem, TenantPoolList, type Owner } from '@netbroker/contracts';
import { IpamClient } from '@netbroker/bus';
import { startPrivatePlatform, type PrivatePlatform } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// The pools a tenant may look at and the map of a pool, through the HTTP API, against a real api
// and ipam on a nats-server of this file's own. Allocations are made through the ipam's own
// request/reply (what the provisioner and the router do), so the test owns every block. Tenant A
// must never read a name or a CIDR of tenant B's anywhere in a body; the admin reads everything.
// Then conditional GETs: ETag, 304 on If-None-Match, a new ETag after a change.

const stack = inject('stack');
const suffix = randomUUID().slice(0, 6);
const A = `mapa${suffix}`;
const B = `mapb${suffix}`;
const pools = [
  { name: 'projects', kind: 'prefix', prefixes: ['10.181.0.0/16'], reserved: ['10.181.255.0/24'], defaultPrefixLength: 24 },
  { name: 'egress-cloud', kind: 'address', ranges: [{ start: '100.69.0.10', end: '100.69.0.250' }] },
  { name: 'egress-public', kind: 'address', ranges: [{ start: '198.51.103.7', end: '198.51.103.9' }] },
  // A pool none of A's projects draws from, where only B holds a block (a peering's link network).
  { name: 'links', kind: 'prefix', prefixes: ['198.18.8.0/24'], defaultPrefixLength: 30 },
];
/** What A must never see: B's tenant and project names, B's CIDRs. */
const secretsOfB = [B, 'secret-project', 'other-secret', '10.181.1.0', '10.181.2.0', '100.69.0.11', '198.18.8.0'];

let platform: PrivatePlatform;
let ipam: IpamClient;
const tokens: Record<string, string> = {};

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

async function get(path: string, token: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${platform.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined, text };
}

const allocate = (pool: string, cidr: string | undefined, owner: Owner) => ipam.allocate({ requestId: randomUUID(), pool, owner, ...(cidr ? { cidr } : {}) });

beforeAll(async () => {
  platform = await startPrivatePlatform({ name: `pools-map-${suffix}`, host: stack.host!, pools });
  ipam = new IpamClient(platform.nc, { timeoutMs: 10_000 });
  for (const tenant of [A, B]) {
    expect((await platform.call('POST', '/admin/tenants', { name: tenant })).status).toBe(201);
    tokens[tenant] = CreatedToken.parse((await platform.call('POST', `/admin/tenants/${tenant}/tokens`, { name: 'map' })).body).token;
  }
  await allocate('projects', '10.181.0.0/24', { tenant: A, project: 'web', purpose: 'cidr' });
  await allocate('projects', '10.181.4.0/22', { tenant: A, project: 'big', purpose: 'cidr' });
  await allocate('projects', '10.181.1.0/24', { tenant: B, project: 'secret-project', purpose: 'cidr' });
  await allocate('projects', '10.181.2.0/25', { tenant: B, project: 'other-secret', purpose: 'cidr' });
  await allocate('egress-cloud', '100.69.0.10/32', { tenant: A, project: 'web', purpose: 'egress' });
  await allocate('egress-cloud', '100.69.0.11/32', { tenant: B, project: 'secret-project', purpose: 'egress' });
  await allocate('links', '198.18.8.0/30', { tenant: B, purpose: 'link:pr-0123456789ab' });
}, 240_000);

afterAll(async () => {
  await platform?.stop();
});

const expectNothingOfB = (answer: Answer) => {
  for (const secret of secretsOfB) expect(answer.text, `${secret} in ${answer.text.slice(0, 300)}`).not.toContain(secret);
};

/** index → value of the cells that are not 0. */
const nonZero = (values: number[]) => Object.fromEntries(values.flatMap((v, i) => (v !== 0 ? [[i, v]] : [])));

describe('GET /v1/pools', () => {
  it("lists the pools a tenant's projects draw from, with the tenant's own part, and nothing of another tenant", async () => {
    const res = await get('/v1/pools', tokens[A]!);
    expect(res.status).toBe(200);
    const { items } = TenantPoolList.parse(res.body);
    expect(items.map((p) => p.name)).toEqual(['egress-cloud', 'egress-public', 'projects']);
    expect(items.find((p) => p.name === 'projects')).toEqual({
      name: 'projects',
      kind: 'prefix',
      family: 4,
      prefixes: ['10.181.0.0/16'],
      ranges: [],
      utilisation: { total: '65536', used: String(256 + 1024 + 256 + 128), own: String(256 + 1024), reserved: '256', free: String(65536 - 256 - 256 - 1024 - 256 - 128) },
    });
    expect(items.find((p) => p.name === 'egress-cloud')!.utilisation).toMatchObject({ used: '2', own: '1' });
    expectNothingOfB(res);
  });

  it('also lists a pool the tenant holds a block in (its link network)', async () => {
    const { items } = TenantPoolList.parse((await get('/v1/pools', tokens[B]!)).body);
    expect(items.map((p) => p.name)).toEqual(['egress-cloud', 'egress-public', 'links', 'projects']);
    expect(items.find((p) => p.name === 'links')!.utilisation).toMatchObject({ own: '4', used: '4' });
  });
});

describe('the map of a pool', () => {
  it("shows a tenant its own blocks, and the others' only as allocated − own: no name or CIDR of theirs anywhere", async () => {
    const res = await get('/v1/pools/projects/map?cells=256', tokens[A]!);
    expect(res.status).toBe(200);
    const map = PoolMap.parse(res.body);
    expect(map).toMatchObject({ pool: 'projects', family: 4, window: '10.181.0.0/16', cellPrefixLength: 24, cells: 256, truncated: false });
    expect(nonZero(map.own!)).toEqual({ 0: 1000, 4: 1000, 5: 1000, 6: 1000, 7: 1000 });
    expect(nonZero(map.allocated)).toEqual({ 0: 1000, 1: 1000, 2: 500, 4: 1000, 5: 1000, 6: 1000, 7: 1000 });
    expect(nonZero(map.reserved)).toEqual({ 255: 1000 });
    expect(map.totals).toEqual({ size: '65536', allocated: String(256 + 1024 + 256 + 128), own: String(256 + 1024), reserved: '256', free: String(65536 - 256 - 1664) });
    expect(map.blocks).toEqual([
      { cidr: '10.181.4.0/22', project: 'big', purpose: 'cidr' },
      { cidr: '10.181.0.0/24', project: 'web', purpose: 'cidr' },
    ]);
    expectNothingOfB(res);
  });

  it('zooms into a window of the pool', async () => {
    const map = PoolMap.parse((await get('/v1/pools/projects/map?cidr=10.181.2.0/24&cells=4', tokens[A]!)).body);
    expect(map).toMatchObject({ window: '10.181.2.0/24', cellPrefixLength: 26, cells: 4, allocated: [1000, 1000, 0, 0], own: [0, 0, 0, 0], blocks: [] });
  });

  it('shows the admin every block with its tenant, project and purpose, largest first', async () => {
    const res = await get('/admin/pools/projects/map?limit=3', platform.adminToken);
    expect(res.status).toBe(200);
    const map = PoolMap.parse(res.body);
    expect(map.own).toBeUndefined();
    expect(map.blocks).toEqual([
      { cidr: '10.181.4.0/22', tenant: A, project: 'big', purpose: 'cidr' },
      { cidr: '10.181.0.0/24', tenant: A, project: 'web', purpose: 'cidr' },
      { cidr: '10.181.1.0/24', tenant: B, project: 'secret-project', purpose: 'cidr' },
    ]);
    expect(map.truncated).toBe(true);
    expect(map).toMatchObject({ window: '10.181.0.0/16', cellPrefixLength: 28, cells: 4096 });
  });

  it('answers a pool the tenant does not draw from and holds nothing in exactly like one that does not exist', async () => {
    const hidden = await get('/v1/pools/links/map', tokens[A]!);
    const missing = await get('/v1/pools/no-such-pool/map', tokens[A]!);
    expect({ status: hidden.status, code: Problem.parse(hidden.body).code }).toEqual({ status: 404, code: 'not-found' });
    const shape = (res: Answer, name: string) => ({ ...Problem.parse(res.body), detail: Problem.parse(res.body).detail.replaceAll(name, '<pool>') });
    expect(shape(hidden, 'links')).toEqual(shape(missing, 'no-such-pool'));
    expect((await get('/v1/pools/links/map', tokens[B]!)).status).toBe(200);
    expect(Problem.parse((await get('/admin/pools/no-such-pool/map', platform.adminToken)).body)).toMatchObject({ status: 404, code: 'not-found' });
  });

  it.each<[string, string, string]>([
    ['a window that does not overlap the pool', 'cidr=192.168.0.0/16', 'query.cidr'],
    ['a window of the other family', 'cidr=fd00::/8', 'query.cidr'],
    ['a window with host bits set', 'cidr=10.181.0.1/24', 'query.cidr'],
    ['a cell count that is not a power of 4', 'cells=8', 'query.cells'],
    ['a limit of 0', 'limit=0', 'query.limit'],
    ['a limit over 1000', 'limit=1001', 'query.limit'],
    ['an unknown parameter', 'zoom=2', 'query.zoom'],
  ])('refuses %s with 422 invalid-parameter naming it', async (_name, query, path) => {
    for (const [prefix, token] of [['/v1', tokens[A]!], ['/admin', platform.adminToken]] as const) {
      const res = await get(`${prefix}/pools/projects/map?${query}`, token);
      const problem = Problem.parse(res.body);
      expect({ status: res.status, code: problem.code }).toEqual({ status: 422, code: 'invalid-parameter' });
      expect(problem.errors?.map((e) => e.path)).toEqual([path]);
    }
  });
});

describe('conditional GETs', () => {
  it('tags an answer, answers 304 with no body while it is the same, and a new tag once it changed', async () => {
    const first = await get('/v1/pools/projects/map', tokens[A]!);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    expect(first.headers.get('vary')).toBe('Authorization');

    const same = await get('/v1/pools/projects/map', tokens[A]!, { 'if-none-match': etag! });
    expect({ status: same.status, text: same.text, etag: same.headers.get('etag') }).toEqual({ status: 304, text: '', etag });

    await allocate('projects', '10.181.8.0/24', { tenant: A, project: 'new', purpose: 'cidr' });
    const changed = await get('/v1/pools/projects/map', tokens[A]!, { 'if-none-match': etag! });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(PoolMap.parse(changed.body).blocks.map((b) => b.cidr)).toContain('10.181.8.0/24');
  });

  it('tags every GET under /v1 and /admin, not the errors and not the writes', async () => {
    for (const [path, token] of [['/v1/projects', tokens[A]!], ['/v1/pools', tokens[A]!], ['/admin/tenants', platform.adminToken], ['/admin/pools', platform.adminToken]] as const) {
      const res = await get(path, token);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('etag'), path).toMatch(/^"/);
      expect((await get(path, token, { 'if-none-match': `W/${res.headers.get('etag')!}, "other"` })).status, path).toBe(304);
    }
    const missing = await get('/v1/projects/nope', tokens[A]!, { 'if-none-match': '*' });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('etag')).toBeNull();
    const created = await fetch(`${platform.apiUrl}/admin/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${platform.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `mapc${suffix}` }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBeNull();
  });

  it('gives two tenants reading the same URL different tags when their answers differ', async () => {
    const [a, b] = await Promise.all([get('/v1/pools/projects/map', tokens[A]!), get('/v1/pools/projects/map', tokens[B]!)]);
    expect(a.headers.get('etag')).not.toBe(b.headers.get('etag'));
    expect((await get('/v1/pools/projects/map', tokens[B]!, { 'if-none-match': a.headers.get('etag')! })).status).toBe(200);
  });
});
