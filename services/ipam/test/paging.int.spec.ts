import { randomBytes, randomUUID } from 'node:crypto';
import { ipamSubjects, ListPoolsReply, LookupReply, pageLimits, type Allocation } from '@netbroker/contracts';
import { IpamClient, request, type NatsConnection } from '@netbroker/bus';
import { connectNats, startService, type ServiceProcess } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

// Lists over NATS come a page at a time (LookupRequest, ListPoolsRequest): walking the pages with
// `continue` gives every record once, in order, from any replica. The semantics under change: a
// page resumes strictly after the position of the last record it gave (pool, then address), so an
// allocation that exists for the whole walk appears exactly once; one made meanwhile appears when it
// sorts after that position, and one released meanwhile does not appear if it sorts after it.

const stack = inject('stack');
const env = { NATS_URL: stack.natsUrl!, HOST_SERVICE_CIDRS: '10.96.0.0/16', LOG_LEVEL: 'warn' };
const owner = { tenant: 'paging', project: 'web', purpose: 'cidr' };
const suffix = randomBytes(3).toString('hex');

let nc: NatsConnection;
let ipam: IpamClient;
const replicas: ServiceProcess[] = [];

beforeAll(async () => {
  nc = await connectNats(stack.natsUrl!);
  ipam = new IpamClient(nc, { timeoutMs: 10_000 });
  replicas.push(...(await Promise.all([1, 2].map((i) => startService({ service: 'ipam', name: `ipam-paging-${i}`, env })))));
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await nc?.close();
});

const cidrsOf = (allocations: Allocation[]) => allocations.map((a) => a.cidr);
/** Address order of IPv4 CIDRs. */
const inAddressOrder = (cidrs: string[]) =>
  [...cidrs].sort((a, b) => {
    const n = (c: string) => c.split(/[./]/).slice(0, 4).reduce((v, o) => v * 256 + Number(o), 0);
    return n(a) - n(b);
  });

async function allocateMany(pool: string, count: number, inFlight = 16): Promise<string[]> {
  const cidrs: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      cidrs.push((await ipam.allocate({ requestId: randomUUID(), pool, owner })).cidr);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return cidrs;
}

/** Every page of a pool's lookup at `limit`, as the CIDRs of each page. */
async function pagesOf(pool: string, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | undefined;
  do {
    const page = await ipam.lookupPage({ pool, limit, ...(after !== undefined ? { continue: after } : {}) });
    pages.push(cidrsOf(page.items));
    after = page.continue;
  } while (after !== undefined);
  return pages;
}

describe('a pool with more allocations than one page', () => {
  const pool = `paging-${suffix}`;
  let granted: string[];

  beforeAll(async () => {
    await ipam.putPool({ name: pool, kind: 'prefix', prefixes: ['10.200.0.0/16'], reserved: [], ranges: [], presets: [], defaultPrefixLength: 28 });
    granted = await allocateMany(pool, 25);
  });

  it('gives each allocation exactly once, in address order, a page at a time', async () => {
    const pages = await pagesOf(pool, 10);
    expect(pages.map((p) => p.length)).toStrictEqual([10, 10, 5]);
    expect(pages.flat()).toStrictEqual(inAddressOrder(granted));
  });

  it('ends on the last full page when the count is a multiple of the limit', async () => {
    expect((await pagesOf(pool, 5)).map((p) => p.length)).toStrictEqual([5, 5, 5, 5, 5]);
  });

  it('walks one record a page with limit 1', async () => {
    const pages = await pagesOf(pool, 1);
    expect(pages.length).toBe(25);
    expect(pages.flat()).toStrictEqual(inAddressOrder(granted));
  });

  it('gives allocations made after the page being read, and not those made before it, while walking', async () => {
    const first = await ipam.lookupPage({ pool, limit: 10 });
    expect(first.continue).toBeDefined();
    const last = first.items[first.items.length - 1]!.cidr;
    // Meanwhile: the first record of the walk is released and taken again as two halves (both sort
    // before the position: not seen), and five more blocks are made after the 25 (seen).
    const [gone] = first.items;
    await ipam.release({ pool, cidr: gone!.cidr });
    const [base] = gone!.cidr.split('/');
    await ipam.allocate({ requestId: randomUUID(), pool, owner, cidr: `${base}/29` });
    const later = await allocateMany(pool, 5, 5);
    const rest: string[] = [];
    let after = first.continue;
    while (after !== undefined) {
      const page = await ipam.lookupPage({ pool, limit: 10, continue: after });
      rest.push(...cidrsOf(page.items));
      after = page.continue;
    }
    const walked = [...cidrsOf(first.items), ...rest];
    expect(new Set(walked).size).toBe(walked.length);
    expect(rest).toStrictEqual(inAddressOrder([...granted, ...later]).filter((c) => inAddressOrder([c, last])[0] === last && c !== last));
    expect(walked).not.toContain(`${base}/29`);
    expect(walked).toEqual(expect.arrayContaining([...granted, ...later]));
  });

  it('refuses a continue token it did not issue as invalid-request, naming the token', async () => {
    const reply = await request(nc, ipamSubjects.lookup, { v: 1, pool, continue: Buffer.from('nope').toString('base64url') }, LookupReply);
    expect(reply).toMatchObject({ ok: false, error: { reason: 'invalid-request' } });
    if (!reply.ok) expect(reply.error.message).toMatch(/continue token 'bm9wZQ' is not one the ipam issued/);
  });

  it.each([[0], [pageLimits.max + 1], [1.5]])('refuses limit %s as invalid-request', async (limit) => {
    const reply = await request(nc, ipamSubjects.lookup, { v: 1, pool, limit }, LookupReply);
    expect(reply).toMatchObject({ ok: false, error: { reason: 'invalid-request', message: expect.stringMatching(/limit/) } });
  });

  it('answers a request without limit or continue (v1 callers) with the first page', async () => {
    const reply = await request(nc, ipamSubjects.lookup, { v: 1, pool }, LookupReply);
    expect(reply.ok && reply.value.allocations.length).toBe(30);
    expect(reply.ok && reply.value.continue).toBeUndefined();
  });
});

describe('the client’s walk', () => {
  const pool = `paging-all-${suffix}`;

  it('reads every allocation of a pool larger than one page, each once, in order', async () => {
    await ipam.putPool({ name: pool, kind: 'address', prefixes: ['10.201.0.0/24'], reserved: [], ranges: [], presets: [] });
    const granted = await allocateMany(pool, 23);
    const small = new IpamClient(nc, { timeoutMs: 10_000, pageSize: 5 });
    expect((await small.lookupPage({ pool, limit: 5 })).continue).toBeDefined();
    expect(cidrsOf(await small.lookup({ pool }))).toStrictEqual(inAddressOrder(granted));
    expect(cidrsOf(await small.lookup({ owner: { tenant: owner.tenant, project: owner.project } })).filter((c) => c.startsWith('10.201.'))).toStrictEqual(
      inAddressOrder(granted),
    );
  });
});

describe('pools, a page at a time', () => {
  const names = ['a', 'b', 'c'].map((l) => `paging-pools-${suffix}-${l}`);

  it('gives every pool once, by name, with limit 1', async () => {
    for (const [i, name] of names.entries()) {
      await ipam.putPool({ name, kind: 'prefix', prefixes: [`10.${210 + i}.0.0/16`], reserved: [], ranges: [], presets: [] });
    }
    const walked: string[] = [];
    let after: string | undefined;
    do {
      const page = await ipam.listPoolsPage({ limit: 1, ...(after !== undefined ? { continue: after } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(1);
      walked.push(...page.items.map((p) => p.pool.name));
      after = page.continue;
    } while (after !== undefined);
    expect(walked).toStrictEqual([...new Set(walked)].sort());
    expect(walked).toEqual(expect.arrayContaining(names));
    expect((await ipam.listPools()).map((p) => p.pool.name)).toEqual(expect.arrayContaining(names));
  });

  it('refuses a pool token that is no pool name', async () => {
    const reply = await request(nc, ipamSubjects.listPools, { v: 1, continue: Buffer.from('Not A Name').toString('base64url') }, ListPoolsReply);
    expect(reply).toMatchObject({ ok: false, error: { reason: 'invalid-request' } });
  });
});
