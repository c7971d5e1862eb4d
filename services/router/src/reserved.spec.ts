import type { PoolRecord } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { reservedRanges } from './reserved';

const pool = (p: Partial<PoolRecord> & { name: string; kind: PoolRecord['kind'] }): PoolRecord => ({ v: 1, prefixes: [], ranges: [], reserved: [], presets: [], ...p });
const config = { hostPodCidrs: ['10.244.0.0/16'], hostServiceCidrs: ['10.96.0.0/12'], reservedCidrs: ['192.0.2.0/24'], linkPool: 'links' };

describe('reservedRanges', () => {
  it.each([
    ['host pod CIDR', [], '10.244.0.0/16'],
    ['host Service CIDR', [], '10.96.0.0/12'],
    ['an operator range', [], '192.0.2.0/24'],
    ['an EIP prefix', [pool({ name: 'eips', kind: 'address', prefixes: ['203.0.113.0/28'] })], '203.0.113.0/28'],
    ['an EIP range, as CIDRs', [pool({ name: 'eips', kind: 'address', ranges: [{ start: '203.0.113.1', end: '203.0.113.2' }] })], '203.0.113.2/32'],
    ['the link pool', [pool({ name: 'links', kind: 'prefix', prefixes: ['100.64.0.0/24'] })], '100.64.0.0/24'],
    ['a preset a pool names', [pool({ name: 'projects', kind: 'prefix', prefixes: ['10.0.0.0/8'], presets: ['ovh-mks-standard'] })], '10.240.0.0/13'],
  ])('%s is reserved', (_what, pools, cidr) => {
    expect(reservedRanges(config, pools).map((r) => r.cidr)).toContain(cidr);
  });

  it.each([
    ['a project prefix pool', pool({ name: 'projects', kind: 'prefix', prefixes: ['10.0.0.0/8'] }), '10.0.0.0/8'],
    ['an IPv6 address pool', pool({ name: 'eips6', kind: 'address', prefixes: ['2001:db8::/64'] }), '2001:db8::/64'],
  ])('%s is not', (_what, p, cidr) => {
    expect(reservedRanges(config, [p]).map((r) => r.cidr)).not.toContain(cidr);
  });
});
