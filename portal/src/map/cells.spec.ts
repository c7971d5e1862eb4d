import { describe, expect, it } from 'vitest';
import { blockOwner, blocksIn, cellLook, describeCell, percent, sharesOf } from './cells';
import { parsePrefix, type Prefix } from './cidr';

const cell = (cidr: string): Prefix => parsePrefix(cidr)!;

describe('a cell of the map', () => {
  it.each([
    ['a tenant: own is part of allocated', { allocated: [600], own: [250], reserved: [100], free: [300] }, { own: 250, others: 350, reserved: 100, free: 300, outside: 0 }],
    ['the admin: no own', { allocated: [600], reserved: [100], free: [300] }, { own: 0, others: 600, reserved: 100, free: 300, outside: 0 }],
    ['half outside the pool', { allocated: [0], own: [0], reserved: [0], free: [500] }, { own: 0, others: 0, reserved: 0, free: 500, outside: 500 }],
    ['entirely outside', { allocated: [0], reserved: [0], free: [0] }, { own: 0, others: 0, reserved: 0, free: 0, outside: 1000 }],
    ['rounding over 1000 never makes outside negative', { allocated: [334], reserved: [333], free: [334] }, { own: 0, others: 334, reserved: 333, free: 334, outside: 0 }],
  ])('shares, %s', (_what, map, shares) => {
    expect(sharesOf(map, 0)).toEqual(shares);
  });

  it.each([
    ['one address of yours shows, however much is free', { own: 1, others: 0, reserved: 0, free: 999, outside: 0 }, 'own', 0.35065],
    ['all yours: full colour', { own: 1000, others: 0, reserved: 0, free: 0, outside: 0 }, 'own', 1],
    ['used by others before reserved', { own: 0, others: 500, reserved: 500, free: 0, outside: 0 }, 'others', 0.675],
    ['reserved before free', { own: 0, others: 0, reserved: 100, free: 900, outside: 0 }, 'reserved', 0.415],
    ['all free', { own: 0, others: 0, reserved: 0, free: 1000, outside: 0 }, 'free', 1],
    ['nothing of the pool', { own: 0, others: 0, reserved: 0, free: 0, outside: 1000 }, 'outside', 1],
  ] as const)('looks: %s', (_what, shares, category, intensity) => {
    const look = cellLook(shares);
    expect(look.category).toBe(category);
    expect(look.intensity).toBeCloseTo(intensity, 4);
  });

  it.each([
    [0, '0.0%'],
    [1, '0.1%'],
    [505, '50.5%'],
    [1000, '100.0%'],
  ])('%i thousandths read %s', (t, text) => {
    expect(percent(t)).toBe(text);
  });

  const blocks = [
    { cidr: '10.20.0.0/24', project: 'web', purpose: 'cidr' },
    { cidr: '10.20.1.0/24', project: 'db', purpose: 'cidr' },
    { cidr: '10.30.0.0/16', tenant: 'acme', project: 'big', purpose: 'cidr' },
  ];

  it('finds the listed blocks that overlap a cell, either way round', () => {
    expect(blocksIn(blocks, cell('10.20.0.0/20')).map((b) => b.project)).toEqual(['web', 'db']);
    expect(blocksIn(blocks, cell('10.30.4.0/24')).map((b) => b.project)).toEqual(['big']);
    expect(blocksIn(blocks, cell('10.40.0.0/16'))).toEqual([]);
  });

  it.each([
    [{ cidr: '10.0.0.0/24', project: 'web', purpose: 'cidr' }, 'web (cidr)'],
    [{ cidr: '10.0.0.0/24', tenant: 'acme', project: 'web', purpose: 'egress' }, 'acme/web (egress)'],
    [{ cidr: '10.0.0.0/24', tenant: 'acme', purpose: 'link:pr-1' }, 'acme (link:pr-1)'],
    [{ cidr: '10.0.0.0/24' }, 'unnamed'],
  ])('names the holder of %j as %s', (block, text) => {
    expect(blockOwner(block)).toBe(text);
  });

  it.each([
    ['a tenant sees its share and others’ apart', { own: 250, others: 350, reserved: 100, free: 300, outside: 0 }, true, '10.20.0.0/20: 25.0% yours, 35.0% used by others, 10.0% reserved, 30.0% free. Blocks: 10.20.0.0/24 web (cidr); 10.20.1.0/24 db (cidr).'],
    ['the admin sees allocated', { own: 0, others: 600, reserved: 0, free: 400, outside: 0 }, false, '10.20.0.0/20: 60.0% allocated, 40.0% free. Blocks: 10.20.0.0/24 web (cidr); 10.20.1.0/24 db (cidr).'],
  ])('says what a cell holds: %s', (_what, shares, tenant, text) => {
    expect(describeCell(cell('10.20.0.0/20'), shares, blocksIn(blocks, cell('10.20.0.0/20')), tenant)).toBe(text);
  });

  it('lists three blocks and counts the rest', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ cidr: `10.0.${i}.0/24`, project: `p${i}` }));
    expect(describeCell(cell('10.0.0.0/16'), { own: 0, others: 0, reserved: 0, free: 0, outside: 1000 }, many, true)).toBe(
      '10.0.0.0/16: 100.0% outside the pool. Blocks: 10.0.0.0/24 p0; 10.0.1.0/24 p1; 10.0.2.0/24 p2; 2 more.',
    );
  });
});
