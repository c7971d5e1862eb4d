import { describe, expect, it } from 'vitest';
import { allocationKey, parseAllocationKey } from './ipam';

describe('parseAllocationKey', () => {
  it.each<[string, string, { pool: string; cidr: string } | undefined]>([
    ['an IPv4 block', 'projects.10-0-0-0/24', { pool: 'projects', cidr: '10.0.0.0/24' }],
    ['an IPv6 block', 'v6.2001_db8__/64', { pool: 'v6', cidr: '2001:db8::/64' }],
    ['one address', 'eips.203-0-113-7/32', { pool: 'eips', cidr: '203.0.113.7/32' }],
    ['a pool name only', 'projects', undefined],
    ['an empty pool', '.10-0-0-0/24', undefined],
    ['an empty CIDR', 'projects.', undefined],
    ['more than two tokens', 'projects.10-0-0-0/24.x', undefined],
  ])('%s: %j', (_what, key, expected) => {
    expect(parseAllocationKey(key)).toStrictEqual(expected);
  });

  it.each([
    ['projects', '10.0.0.0/24'],
    ['v6', '2001:db8:0:1::/64'],
  ])('reads back allocationKey(%s, %s)', (pool, cidr) => {
    expect(parseAllocationKey(allocationKey(pool, cidr))).toStrictEqual({ pool, cidr });
  });
});
