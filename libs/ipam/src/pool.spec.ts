import { describe, expect, it } from 'vitest';
import { AddressPool, type PoolSpec } from './pool';
import type { Result } from '@netbroker/contracts';

function poolOf(spec: PoolSpec): AddressPool {
  const created = AddressPool.create(spec);
  if (!created.ok) throw new Error(created.error.message);
  return created.value;
}

/** Calls `take` until it refuses; returns what it handed out and the refusal. */
function drain(take: () => Result<string>): { values: string[]; refusal: Result<string> } {
  const values: string[] = [];
  for (let result = take(); ; result = take()) {
    if (!result.ok) return { values, refusal: result };
    values.push(result.value);
  }
}

function allocated(pool: AddressPool, ...cidrs: string[]): AddressPool {
  for (const cidr of cidrs) expect(pool.allocateSpecific(cidr)).toEqual({ ok: true, value: cidr });
  return pool;
}

describe('AddressPool.create', () => {
  it.each<[string, PoolSpec, string, RegExp]>([
    ['no prefix or range', {}, 'invalid-request', /at least one prefix or range/],
    ['an empty prefix list', { prefixes: [] }, 'invalid-request', /at least one prefix or range/],
    ['an unparsable prefix', { prefixes: ['banana'] }, 'invalid-cidr', /'banana'/],
    ['a prefix with host bits', { prefixes: ['10.0.0.1/8'] }, 'invalid-cidr', /'10\.0\.0\.1\/8'/],
    ['a prefix length beyond the width', { prefixes: ['10.0.0.0/33'] }, 'invalid-cidr', /'10\.0\.0\.0\/33'/],
    ['prefixes of both families', { prefixes: ['10.0.0.0/8', 'fd00::/8'] }, 'wrong-family', /fd00::\/8 is ipv6 but the pool is ipv4/],
    ['a range of the other family', { prefixes: ['10.0.0.0/8'], ranges: [{ start: '::1', end: '::2' }] }, 'wrong-family', /::1-::2/],
    ['a reserved CIDR of the other family', { prefixes: ['10.0.0.0/8'], reserved: ['fd00::/64'] }, 'wrong-family', /fd00::\/64/],
    ['a range mixing families', { ranges: [{ start: '10.0.0.1', end: '::2' }] }, 'wrong-family', /10\.0\.0\.1-::2/],
    ['a range ending before it starts', { ranges: [{ start: '10.0.0.9', end: '10.0.0.1' }] }, 'invalid-request', /10\.0\.0\.9-10\.0\.0\.1/],
    ['a range with a bad address', { ranges: [{ start: '10.0.0.x', end: '10.0.0.9' }] }, 'invalid-cidr', /'10\.0\.0\.x'/],
    ['an unparsable reserved entry', { prefixes: ['10.0.0.0/8'], reserved: ['10.0.0.0/99'] }, 'invalid-cidr', /'10\.0\.0\.0\/99'/],
    ['a minimum above the maximum', { prefixes: ['10.0.0.0/8'], minPrefixLength: 24, maxPrefixLength: 16 }, 'invalid-request', /minPrefixLength 24/],
    ['a bound beyond the width', { prefixes: ['10.0.0.0/8'], maxPrefixLength: 33 }, 'invalid-request', /maxPrefixLength 33/],
    ['a fractional bound', { prefixes: ['10.0.0.0/8'], minPrefixLength: 8.5 }, 'invalid-request', /minPrefixLength 8\.5/],
    ['a default outside the bounds', { prefixes: ['10.0.0.0/8'], maxPrefixLength: 20, defaultPrefixLength: 24 }, 'invalid-request', /defaultPrefixLength 24/],
  ])('refuses %s', (_name, spec, reason, message) => {
    const created = AddressPool.create(spec);
    expect(created).toMatchObject({ ok: false, error: { reason } });
    if (!created.ok) expect(created.error.message).toMatch(message);
  });

  it.each<[PoolSpec, string]>([
    [{ prefixes: ['10.0.0.0/8'] }, 'ipv4'],
    [{ ranges: [{ start: '203.0.113.10', end: '203.0.113.90' }] }, 'ipv4'],
    [{ prefixes: ['2001:db8::/32'] }, 'ipv6'],
  ])('takes the family of its addresses', (spec, family) => {
    expect(poolOf(spec).family).toBe(family);
  });

  it('defaults the prefix length into the bounds when none is given', () => {
    expect(poolOf({ prefixes: ['100.64.0.0/24'], minPrefixLength: 30, maxPrefixLength: 31 }).allocate()).toEqual({ ok: true, value: '100.64.0.0/30' });
    expect(poolOf({ prefixes: ['10.0.0.0/8'], maxPrefixLength: 20 }).allocate()).toEqual({ ok: true, value: '10.0.0.0/20' });
  });
});

describe('reserved ranges and presets', () => {
  it.each<[string, PoolSpec, string[], string[], bigint]>([
    [
      'ovh-mks-free, ignoring its range outside the pool',
      { prefixes: ['10.0.0.0/8'], presets: ['ovh-mks-free'] },
      ['10.2.0.0/16', '10.3.255.0/24'],
      ['10.1.0.0/16', '10.4.0.0/16'],
      2n * 65536n,
    ],
    [
      'ovh-mks-standard',
      { prefixes: ['10.0.0.0/8'], presets: ['ovh-mks-standard'] },
      ['10.240.0.0/13', '10.247.255.255/32', '10.3.0.0/16'],
      ['10.2.0.0/16', '10.248.0.0/13'],
      8n * 65536n + 65536n,
    ],
    [
      'both presets, overlapping on 10.3.0.0/16',
      { prefixes: ['10.0.0.0/8'], presets: ['ovh-mks-free', 'ovh-mks-standard'] },
      ['10.2.0.0/16', '10.3.0.0/16', '10.240.0.0/13'],
      ['10.4.0.0/16'],
      10n * 65536n,
    ],
    [
      'non-routable in IPv4',
      { prefixes: ['0.0.0.0/0'], presets: ['non-routable'] },
      ['127.0.0.1/32', '169.254.1.0/24', '0.0.0.0/8', '239.0.0.0/8'],
      ['1.0.0.0/8', '10.0.0.0/8'],
      (1n << 24n) * 2n + (1n << 16n) + (1n << 28n),
    ],
    [
      'non-routable in IPv6, ignoring its IPv4 entries',
      { prefixes: ['::/0'], presets: ['non-routable'] },
      ['::1/128', 'fe80::/64', 'febf::/16'],
      ['::2/128', 'fec0::/10', '2001:db8::/32'],
      1n + (1n << 118n),
    ],
    [
      'an unaligned range and a CIDR, ignoring the part outside the pool',
      { prefixes: ['192.168.0.0/24'], reserved: [{ start: '192.168.0.10', end: '192.168.0.20' }, '192.168.0.240/28', '192.168.1.0/24'] },
      ['192.168.0.10/32', '192.168.0.20/32', '192.168.0.8/29', '192.168.0.16/29', '192.168.0.240/30'],
      ['192.168.0.0/29', '192.168.0.9/32', '192.168.0.21/32', '192.168.0.24/29', '192.168.0.128/26'],
      11n + 16n,
    ],
  ])('carves %s', (_name, spec, refused, granted, reserved) => {
    const pool = poolOf(spec);
    for (const cidr of refused) {
      expect(pool.allocateSpecific(cidr)).toMatchObject({ ok: false, error: { reason: 'overlaps-reserved', message: expect.stringContaining(cidr) } });
      expect(pool.overlaps(cidr)).toBe(true);
    }
    for (const cidr of granted) expect(pool.allocateSpecific(cidr)).toEqual({ ok: true, value: cidr });
    expect(pool.utilisation().reserved).toBe(reserved);
  });
});

describe('allocate', () => {
  it('hands out the default /24 in IPv4 and /64 in IPv6', () => {
    const ipv4 = poolOf({ prefixes: ['10.0.0.0/16'] });
    expect([ipv4.allocate(), ipv4.allocate()]).toEqual([{ ok: true, value: '10.0.0.0/24' }, { ok: true, value: '10.0.1.0/24' }]);
    const ipv6 = poolOf({ prefixes: ['2001:db8::/48'] });
    expect([ipv6.allocate(), ipv6.allocate()]).toEqual([{ ok: true, value: '2001:db8::/64' }, { ok: true, value: '2001:db8:0:1::/64' }]);
  });

  it('prefers a small hole over splitting a large block', () => {
    const pool = allocated(poolOf({ prefixes: ['10.0.0.0/16'] }), '10.0.128.0/25');
    expect(pool.allocate(25)).toEqual({ ok: true, value: '10.0.128.128/25' });
    expect(pool.allocate(25)).toEqual({ ok: true, value: '10.0.129.0/25' });
  });

  it('takes the lowest address among equally small holes', () => {
    const pool = allocated(poolOf({ prefixes: ['10.0.0.0/16'] }), '10.0.3.0/25', '10.0.1.0/25');
    expect(pool.allocate(25)).toEqual({ ok: true, value: '10.0.1.128/25' });
    expect(pool.allocate(25)).toEqual({ ok: true, value: '10.0.3.128/25' });
  });

  it('uses several prefixes as one pool', () => {
    const pool = poolOf({ prefixes: ['10.1.0.0/24', '10.0.0.0/24', '10.9.0.0/25'] });
    expect(drain(() => pool.allocate(24)).values).toEqual(['10.0.0.0/24', '10.1.0.0/24']);
    expect(pool.allocate(25)).toEqual({ ok: true, value: '10.9.0.0/25' });
    expect(pool.allocate(25)).toMatchObject({ ok: false, error: { reason: 'exhausted' } });
  });

  it('merges adjacent prefixes into larger blocks', () => {
    expect(poolOf({ prefixes: ['10.0.1.0/24', '10.0.0.0/24'] }).allocate(23)).toEqual({ ok: true, value: '10.0.0.0/23' });
  });

  it.each([
    ['IPv4 /30 links', ['100.64.0.0/28'], 30, ['100.64.0.0/30', '100.64.0.4/30', '100.64.0.8/30', '100.64.0.12/30']],
    ['IPv4 /31 links, network and broadcast included', ['100.64.0.0/29'], 31, ['100.64.0.0/31', '100.64.0.2/31', '100.64.0.4/31', '100.64.0.6/31']],
    ['IPv6 /127 links', ['fd00::/125'], 127, ['fd00::/127', 'fd00::2/127', 'fd00::4/127', 'fd00::6/127']],
  ])('carves %s until exhausted', (_name, prefixes, length, expected) => {
    const pool = poolOf({ prefixes, minPrefixLength: length, maxPrefixLength: length });
    const { values, refusal } = drain(() => pool.allocate(length));
    expect(values).toEqual(expected);
    expect(refusal).toMatchObject({ ok: false, error: { reason: 'exhausted', message: expect.stringContaining(`/${length}`) } });
  });

  it.each<[string, PoolSpec, number, string, RegExp]>([
    ['a block above the minimum length', { prefixes: ['10.0.0.0/8'], minPrefixLength: 16 }, 8, 'prefix-too-large', /\/8 .*\/16/],
    ['a block larger than the pool', { prefixes: ['10.0.0.0/8'] }, 7, 'prefix-too-large', /\/7 .*\/8/],
    ['a block below the maximum length', { prefixes: ['10.0.0.0/8'], maxPrefixLength: 29 }, 30, 'prefix-too-small', /\/30 .*\/29/],
    ['a length beyond the width', { prefixes: ['10.0.0.0/8'] }, 33, 'prefix-too-small', /\/33 .*\/32/],
    ['a negative length', { prefixes: ['10.0.0.0/8'] }, -1, 'invalid-request', /-1/],
    ['a fractional length', { prefixes: ['10.0.0.0/8'] }, 24.5, 'invalid-request', /24\.5/],
    ['a block no free space holds', { prefixes: ['10.0.0.0/24'], reserved: ['10.0.0.0/25'] }, 24, 'exhausted', /\/24.*\/25/],
  ])('refuses %s', (_name, spec, length, reason, message) => {
    const result = poolOf(spec).allocate(length);
    expect(result).toMatchObject({ ok: false, error: { reason } });
    if (!result.ok) expect(result.error.message).toMatch(message);
  });

  it('makes a large block allocatable again once released buddies merge', () => {
    const pool = poolOf({ prefixes: ['10.0.0.0/22'] });
    const quarters = drain(() => pool.allocate(24)).values;
    expect(quarters).toHaveLength(4);
    expect(pool.allocate(22)).toMatchObject({ ok: false, error: { reason: 'exhausted' } });
    for (const cidr of [quarters[1], quarters[3], quarters[0], quarters[2]]) expect(pool.release(cidr ?? '')).toEqual({ ok: true, value: undefined });
    expect(pool.utilisation()).toMatchObject({ freeFragments: 1, largestFreePrefixLength: 22 });
    expect(pool.allocate(22)).toEqual({ ok: true, value: '10.0.0.0/22' });
  });
});

describe('allocateSpecific', () => {
  it('canonicalises what it hands back', () => {
    expect(poolOf({ prefixes: ['2001:db8::/32'] }).allocateSpecific('2001:DB8:0:0:1::/80')).toEqual({ ok: true, value: '2001:db8:0:0:1::/80' });
  });

  it('takes any free block in any order, also inside a larger free block', () => {
    const pool = allocated(poolOf({ prefixes: ['10.0.0.0/16'] }), '10.0.200.0/24', '10.0.0.64/26', '10.0.128.0/18', '10.0.0.1/32');
    expect(pool.allocations()).toEqual(['10.0.0.1/32', '10.0.0.64/26', '10.0.128.0/18', '10.0.200.0/24']);
  });

  it.each<[string, string, string, RegExp]>([
    ['an unparsable block', 'banana', 'invalid-cidr', /'banana'/],
    ['a block with host bits', '10.0.0.1/24', 'invalid-cidr', /'10\.0\.0\.1\/24'/],
    ['a block of the other family', 'fd00::/64', 'wrong-family', /fd00::\/64 is ipv6/],
    ['a block entirely outside', '192.168.0.0/24', 'outside-pool', /192\.168\.0\.0\/24 is not entirely inside/],
    ['a block partly outside', '10.1.0.0/24', 'outside-pool', /10\.1\.0\.0\/24/],
    ['a block that covers a reserved range', '10.0.0.0/24', 'overlaps-reserved', /10\.0\.0\.0\/24 overlaps a reserved/],
    ['a block inside a reserved range', '10.0.0.16/28', 'overlaps-reserved', /10\.0\.0\.16\/28/],
    ['a live allocation', '10.0.8.0/24', 'overlaps-allocated', /10\.0\.8\.0\/24 overlaps a live allocation/],
    ['a block inside a live allocation', '10.0.8.128/25', 'overlaps-allocated', /10\.0\.8\.128\/25/],
    ['a block around a live allocation', '10.0.8.0/23', 'overlaps-allocated', /10\.0\.8\.0\/23/],
    ['a block above the minimum length', '10.0.0.0/15', 'prefix-too-large', /\/15/],
    ['a block below the maximum length', '10.0.9.0/29', 'prefix-too-small', /\/29/],
  ])('refuses %s', (_name, cidr, reason, message) => {
    const spec = { prefixes: ['10.0.0.0/16'], ranges: [{ start: '10.1.0.0', end: '10.1.0.127' }], reserved: ['10.0.0.0/26'], minPrefixLength: 16, maxPrefixLength: 28 };
    const pool = allocated(poolOf(spec), '10.0.8.0/24', '10.0.9.0/28');
    const result = pool.allocateSpecific(cidr);
    expect(result).toMatchObject({ ok: false, error: { reason } });
    if (!result.ok) expect(result.error.message).toMatch(message);
  });
});

describe('allocateAddress', () => {
  it('hands out exactly the 81 addresses of an unaligned EIP range, then reports exhaustion', () => {
    const pool = poolOf({ ranges: [{ start: '203.0.113.10', end: '203.0.113.90' }] });
    const { values, refusal } = drain(() => pool.allocateAddress());
    expect(new Set(values).size).toBe(81);
    expect(refusal).toMatchObject({ ok: false, error: { reason: 'exhausted' } });
    expect(pool.allocations()).toEqual(Array.from({ length: 81 }, (_, i) => `203.0.113.${10 + i}/32`));
  });

  it('hands out the 254 host addresses of an IPv4 /24, never its network or broadcast address', () => {
    const pool = poolOf({ prefixes: ['198.51.100.0/24'] });
    const { values, refusal } = drain(() => pool.allocateAddress());
    expect(values).toHaveLength(254);
    expect(values[0]).toBe('198.51.100.1/32');
    expect(values).not.toContain('198.51.100.0/32');
    expect(values).not.toContain('198.51.100.255/32');
    expect(refusal).toMatchObject({ ok: false, error: { reason: 'exhausted' } });
  });

  it.each([
    ['198.51.100.0/32', '198.51.100.0/30'],
    ['198.51.100.255/32', '198.51.100.254/31'],
  ])('refuses %s alone as reserved but hands out %s, which holds it', (address, block) => {
    const pool = poolOf({ prefixes: ['198.51.100.0/24'] });
    expect(pool.allocateSpecific(address)).toMatchObject({ ok: false, error: { reason: 'overlaps-reserved', message: expect.stringContaining(address) } });
    expect(pool.overlaps(address)).toBe(true);
    expect(pool.allocateSpecific(block)).toEqual({ ok: true, value: block });
    expect(pool.release(block)).toEqual({ ok: true, value: undefined });
    expect(pool.allocateSpecific(address)).toMatchObject({ ok: false, error: { reason: 'overlaps-reserved' } });
  });

  it.each([
    ['a /31', '198.51.100.0/31', ['198.51.100.0/32', '198.51.100.1/32']],
    ['a /32', '198.51.100.7/32', ['198.51.100.7/32']],
    ['a /30', '198.51.100.4/30', ['198.51.100.5/32', '198.51.100.6/32']],
  ])('skips nothing in %s but the network and broadcast of prefixes up to /30', (_name, prefix, expected) => {
    const pool = poolOf({ prefixes: [prefix] });
    expect(drain(() => pool.allocateAddress()).values).toEqual(expected);
  });

  it('hands out every address of an IPv6 /112 EIP pool as a /128', () => {
    const pool = poolOf({ prefixes: ['2001:db8:1::/112'] });
    const { values, refusal } = drain(() => pool.allocateAddress());
    expect(values).toHaveLength(65536);
    expect(values.slice(0, 2)).toEqual(['2001:db8:1::/128', '2001:db8:1::1/128']);
    expect(values.at(-1)).toBe('2001:db8:1::ffff/128');
    expect(refusal).toMatchObject({ ok: false, error: { reason: 'exhausted' } });
  });

  it('respects the maximum prefix length of the pool', () => {
    expect(poolOf({ prefixes: ['10.0.0.0/8'], maxPrefixLength: 29 }).allocateAddress()).toMatchObject({ ok: false, error: { reason: 'prefix-too-small' } });
  });
});

describe('release', () => {
  const pool = () => allocated(poolOf({ prefixes: ['10.0.0.0/16'] }), '10.0.4.0/24');

  it('frees a live allocation so it can be taken again', () => {
    const subject = pool();
    expect(subject.release('10.0.4.0/24')).toEqual({ ok: true, value: undefined });
    expect(subject.isAllocated('10.0.4.0/24')).toBe(false);
    expect(subject.utilisation()).toMatchObject({ used: 0n, freeFragments: 1 });
    expect(subject.allocateSpecific('10.0.4.0/24')).toEqual({ ok: true, value: '10.0.4.0/24' });
  });

  it.each([
    ['a block never allocated', '10.0.5.0/24', 'not-allocated', /10\.0\.5\.0\/24 is not a live allocation/],
    ['a block inside an allocation', '10.0.4.0/25', 'not-allocated', /10\.0\.4\.0\/25/],
    ['a block around an allocation', '10.0.4.0/23', 'not-allocated', /10\.0\.4\.0\/23/],
    ['a block outside the pool', '10.1.0.0/24', 'not-allocated', /10\.1\.0\.0\/24/],
    ['an unparsable block', '10.0.4.0/24x', 'invalid-cidr', /'10\.0\.4\.0\/24x'/],
    ['a block of the other family', '::/0', 'wrong-family', /::\/0/],
  ])('refuses %s', (_name, cidr, reason, message) => {
    const subject = pool();
    const result = subject.release(cidr);
    expect(result).toMatchObject({ ok: false, error: { reason } });
    if (!result.ok) expect(result.error.message).toMatch(message);
    expect(subject.allocations()).toEqual(['10.0.4.0/24']);
  });

  it('refuses a second release of the same block', () => {
    const subject = pool();
    subject.release('10.0.4.0/24');
    expect(subject.release('10.0.4.0/24')).toMatchObject({ ok: false, error: { reason: 'not-allocated' } });
  });
});

describe('queries', () => {
  const pool = () => allocated(poolOf({ prefixes: ['10.0.0.0/16'], reserved: ['10.0.255.0/24'] }), '10.0.1.0/24', '10.0.2.0/25');

  it.each([
    ['10.0.0.0/16', true, true, false],
    ['10.0.1.0/24', true, true, true],
    ['10.0.1.128/25', true, true, false],
    ['10.0.2.0/24', true, true, false],
    ['10.0.3.0/24', true, false, false],
    ['10.0.255.7/32', true, true, false],
    ['10.0.0.0/15', false, true, false],
    ['10.1.0.0/24', false, false, false],
    ['banana', false, false, false],
    ['fd00::/8', false, false, false],
  ])('answers contains/overlaps/isAllocated for %s', (cidr, contains, overlaps, isAllocated) => {
    const subject = pool();
    expect([subject.contains(cidr), subject.overlaps(cidr), subject.isAllocated(cidr)]).toEqual([contains, overlaps, isAllocated]);
  });

  it('lists live allocations in ascending address order', () => {
    const subject = allocated(poolOf({ prefixes: ['10.0.0.0/8', '9.0.0.0/8'] }), '10.0.0.0/24', '9.255.0.0/16', '10.0.1.128/25');
    expect(subject.allocations()).toEqual(['9.255.0.0/16', '10.0.0.0/24', '10.0.1.128/25']);
  });

  it('reports utilisation in addresses', () => {
    const subject = pool();
    expect(subject.utilisation()).toEqual({
      total: 65536n,
      used: 256n + 128n,
      reserved: 256n,
      free: 65536n - 256n - 384n,
      largestFreePrefixLength: 18,
      freeFragments: 15,
    });
  });

  it('reports a full pool', () => {
    const subject = poolOf({ prefixes: ['10.0.0.0/30'], reserved: ['10.0.0.3/32'] });
    drain(() => subject.allocate(32));
    expect(subject.utilisation()).toEqual({ total: 4n, used: 2n, reserved: 1n, free: 1n, largestFreePrefixLength: null, freeFragments: 1 });
  });
});
