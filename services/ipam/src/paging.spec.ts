import { pageLimits, type Allocation, type PoolStatus } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { allocationOrder, decodeContinue, encodeContinue, pageOf, poolOrder, type Paged } from './paging';

const allocation = (pool: string, cidr: string): Allocation => ({
  v: 1,
  pool,
  cidr,
  owner: { tenant: 'acme', project: 'web', purpose: 'cidr' },
  requestId: `${pool}:${cidr}`,
  allocatedAt: '2026-01-01T00:00:00Z',
});
const pool = (name: string) => ({ pool: { name } }) as PoolStatus;
const cidrs = (page: Paged<Allocation>) => page.items.map((a) => `${a.pool}/${a.cidr}`);
const token = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Walks every page of `items` with `limit`; answers each page's records. */
function walk(items: Allocation[], limit: number): string[][] {
  const pages: string[][] = [];
  let after: string | undefined;
  do {
    const page = pageOf(allocationOrder, items, { limit, ...(after !== undefined ? { continue: after } : {}) });
    if (!page.ok) throw new Error(page.error.message);
    pages.push(cidrs(page.value));
    after = page.value.continue;
  } while (after !== undefined);
  return pages;
}

describe('continue tokens', () => {
  it.each([
    ['an IPv4 block', { pool: 'projects', cidr: '10.0.1.0/24' }, 'projects/10.0.1.0/24'],
    ['an IPv6 block', { pool: 'v6', cidr: '2001:db8::/64' }, 'v6/2001:db8::/64'],
    ['one address', { pool: 'eips', cidr: '203.0.113.7/32' }, 'eips/203.0.113.7/32'],
  ])('encode %s as base64url of <pool>/<cidr> and read it back', (_what, { pool, cidr }, text) => {
    const at = allocationOrder.position(allocation(pool, cidr));
    const encoded = encodeContinue(allocationOrder, at);
    expect(encoded).toBe(token(text));
    expect(decodeContinue(allocationOrder, encoded)).toStrictEqual({ ok: true, value: at });
  });

  it('encodes a pool position as base64url of its name', () => {
    expect(encodeContinue(poolOrder, 'eips')).toBe(token('eips'));
    expect(decodeContinue(poolOrder, token('eips'))).toStrictEqual({ ok: true, value: 'eips' });
  });

  it.each([
    ['characters outside base64url', 'abc+/=='],
    ['base64url of bytes that are not UTF-8', Buffer.from([0xff, 0xfe, 0xfd]).toString('base64url')],
    ['text with no CIDR', token('projects')],
    ['a pool name that is no DNS label', token('Projects!/10.0.0.0/24')],
    ['a CIDR that does not parse', token('projects/10.0.0.300/24')],
    ['an empty pool name', token('/10.0.0.0/24')],
  ])('refuses a token of %s as invalid-request, saying it was not issued here', (_what, bad) => {
    const decoded = decodeContinue(allocationOrder, bad);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.error.reason).toBe('invalid-request');
      expect(decoded.error.message).toMatch(/continue token .* is not one the ipam issued/);
    }
  });

  it('refuses a pool token that is no pool name', () => {
    const decoded = decodeContinue(poolOrder, token('not a name'));
    expect(decoded).toMatchObject({ ok: false, error: { reason: 'invalid-request' } });
  });
});

describe('pageOf', () => {
  const seven = ['10.0.6.0/24', '10.0.0.0/24', '10.0.2.0/24', '10.0.10.0/24', '10.0.1.0/25', '10.0.1.128/25', '10.0.3.0/24'].map((c) => allocation('b-pool', c));
  const sorted = ['10.0.0.0/24', '10.0.1.0/25', '10.0.1.128/25', '10.0.2.0/24', '10.0.3.0/24', '10.0.6.0/24', '10.0.10.0/24'].map((c) => `b-pool/${c}`);
  /** The first six of `seven`, sorted: 10.0.3.0/24 is the one left out. */
  const six = sorted.filter((c) => c !== 'b-pool/10.0.3.0/24');

  it.each<[string, Allocation[], number, string[][]]>([
    ['an empty list as one empty page', [], 3, [[]]],
    ['fewer records than the limit as one page', seven.slice(0, 2), 3, [['b-pool/10.0.0.0/24', 'b-pool/10.0.6.0/24']]],
    ['an exact multiple of the limit with no empty last page', seven.slice(0, 6), 3, [six.slice(0, 3), six.slice(3)]],
    ['limit 1 as one record a page', seven, 1, sorted.map((c) => [c])],
    ['a remainder on the last page', seven, 3, [sorted.slice(0, 3), sorted.slice(3, 6), sorted.slice(6)]],
  ])('slices %s', (_what, items, limit, pages) => {
    expect(walk(items, limit)).toStrictEqual(pages);
  });

  it('sorts by address, not by text (10.0.10.0 after 10.0.6.0), and by pool first', () => {
    const mixed = [allocation('z-pool', '10.0.0.0/24'), ...seven, allocation('a-pool', '192.168.0.0/24')];
    expect(walk(mixed, 100)).toStrictEqual([['a-pool/192.168.0.0/24', ...sorted, 'z-pool/10.0.0.0/24']]);
  });

  it('orders IPv6 by address value', () => {
    const v6 = ['2001:db8:0:a::/64', '2001:db8::/64', '2001:db8:0:9::/64'].map((c) => allocation('v6', c));
    expect(walk(v6, 2)).toStrictEqual([['v6/2001:db8::/64', 'v6/2001:db8:0:9::/64'], ['v6/2001:db8:0:a::/64']]);
  });

  it('resumes after the position even when its record is gone, and shows records added after it', () => {
    const first = pageOf(allocationOrder, seven, { limit: 3 });
    if (!first.ok) throw new Error(first.error.message);
    expect(first.value.continue).toBeDefined();
    // 10.0.1.128/25 (the last of the page) is released; 10.0.0.128/25 (before) and 10.0.4.0/24 (after) are made.
    const now = [...seven.filter((a) => a.cidr !== '10.0.1.128/25'), allocation('b-pool', '10.0.4.0/24')];
    const next = pageOf(allocationOrder, now, { limit: 10, continue: first.value.continue! });
    expect(next.ok && cidrs(next.value)).toStrictEqual(['b-pool/10.0.2.0/24', 'b-pool/10.0.3.0/24', 'b-pool/10.0.4.0/24', 'b-pool/10.0.6.0/24', 'b-pool/10.0.10.0/24']);
  });

  it('takes pageLimits.default records when no limit is asked', () => {
    const many = Array.from({ length: pageLimits.default + 1 }, (_, i) => allocation('big', `10.${i >> 8}.${i & 255}.0/24`));
    const page = pageOf(allocationOrder, many, {});
    expect(page.ok && page.value.items.length).toBe(pageLimits.default);
    expect(page.ok && page.value.continue).toBe(token('big/10.1.243.0/24'));
  });

  it('answers a bad token as the refusal, not as a page', () => {
    expect(pageOf(allocationOrder, seven, { continue: 'not*a*token' })).toMatchObject({ ok: false, error: { reason: 'invalid-request' } });
  });

  it('pages pools by name', () => {
    const pools = ['eips', 'projects', 'cloud-eips', 'links'].map(pool);
    const first = pageOf(poolOrder, pools, { limit: 2 });
    expect(first.ok && first.value.items.map((p) => p.pool.name)).toStrictEqual(['cloud-eips', 'eips']);
    const second = pageOf(poolOrder, pools, { limit: 2, continue: first.ok ? first.value.continue! : '' });
    expect(second.ok && second.value).toStrictEqual({ items: [pool('links'), pool('projects')] });
  });
});
