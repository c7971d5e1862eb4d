import { describe, expect, it } from 'vitest';
import { cellOf, cellsFor, formatAddress, formatPrefix, overlaps, parseAddress, parsePrefix, sizeOf, zoomTarget, type Prefix } from './cidr';

const p = (cidr: string): Prefix => {
  const parsed = parsePrefix(cidr);
  if (!parsed) throw new Error(`not a prefix: ${cidr}`);
  return parsed;
};

describe('prefixes', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/16', '10.1.0.0/16'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.7/32', '192.0.2.7/32'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:DB8:0:0:1::/64', '2001:db8::/64'],
    ['fd00::1:0:0:0/80', 'fd00::1:0:0:0/80'],
    ['fd00:0:0:0:1:2::/80', 'fd00::1:0:0:0/80'],
    ['::/0', '::/0'],
    ['::ffff:192.0.2.0/120', '::ffff:c000:200/120'],
  ])('reads %s as %s (host bits cleared, the usual spelling)', (text, expected) => {
    expect(formatPrefix(p(text))).toBe(expected);
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '10.0.0/8', '256.0.0.0/8', '010.0.0.0/8', '10.0.0.0/8/1', '1::2::3/64', '2001:db8::/129', 'fe80::g/64', '1:2:3:4:5:6:7:8:9/64', '', 'javascript:alert(1)', '<img src=x>/8'])(
    'refuses %j',
    (text) => {
      expect(parsePrefix(text)).toBeUndefined();
    },
  );

  it.each([
    [4, 0x0a000001n, '10.0.0.1'],
    [6, 0n, '::'],
    [6, 1n, '::1'],
    [6, 0x20010db8000000000000000000000001n, '2001:db8::1'],
    [6, 0x20010db8000100000000000100000000n, '2001:db8:1::1:0:0'],
    [6, 0x20010000000000010000000000000000n, '2001:0:0:1::'],
    [6, 0x00010000000000000000000000000000n, '1::'],
  ] as const)('prints IPv%i %s as %s', (family, value, text) => {
    expect(formatAddress(family, value)).toBe(text);
    expect(parseAddress(text)).toEqual({ family, value });
  });

  it.each([
    ['10.0.0.0/8', '10.20.0.0/16', true],
    ['10.20.0.0/16', '10.0.0.0/8', true],
    ['10.0.0.0/16', '10.1.0.0/16', false],
    ['10.0.0.0/8', '2001:db8::/32', false],
  ])('%s and %s overlap: %s', (a, b, expected) => {
    expect(overlaps(p(a), p(b))).toBe(expected);
  });
});

describe('cells of a window', () => {
  it.each([
    ['10.0.0.0/8', 4096, 20],
    ['10.0.0.0/16', 4096, 28],
    ['10.0.0.0/20', 4096, 32],
    ['10.0.0.0/21', 1024, 31],
    ['10.0.0.0/22', 1024, 32],
    ['10.0.0.0/24', 256, 32],
    ['2001:db8::/32', 4096, 44],
    ['2001:db8::/120', 256, 128],
  ])('%s: %i cells of /%i', (window, cells, cellLength) => {
    const w = p(window);
    expect(cellsFor(w)).toBe(cells);
    // The cells tile the window exactly.
    expect(sizeOf(w)).toBe(BigInt(cells) * sizeOf({ ...w, length: cellLength }));
  });

  it.each([
    ['10.0.0.0/8', 20, 0, '10.0.0.0/20'],
    ['10.0.0.0/8', 20, 1, '10.0.16.0/20'],
    ['10.0.0.0/8', 20, 4095, '10.255.240.0/20'],
    ['10.20.0.0/24', 32, 255, '10.20.0.255/32'],
    ['2001:db8::/32', 44, 1, '2001:db8:10::/44'],
  ])('cell of %s (/%i) number %i is %s', (window, cellLength, index, cidr) => {
    expect(formatPrefix(cellOf(p(window), cellLength, index))).toBe(cidr);
  });
});

describe('zooming in', () => {
  it.each([
    ['10.0.0.0/8', '10.20.16.0/20', '10.16.0.0/12'],
    ['10.16.0.0/12', '10.20.16.0/24', '10.20.0.0/16'],
    ['10.20.0.0/16', '10.20.16.16/28', '10.20.16.0/20'],
    ['10.20.16.0/20', '10.20.17.5/32', '10.20.17.0/24'],
    ['10.20.0.0/22', '10.20.3.5/32', '10.20.3.0/24'],
    ['2001:db8::/32', '2001:db8:10::/44', '2001:db8::/36'],
    ['2001:db8::/116', '2001:db8::a/128', '2001:db8::/120'],
  ])('from %s into the cell %s opens %s', (window, cell, expected) => {
    const target = zoomTarget(p(window), p(cell));
    expect(target && formatPrefix(target)).toBe(expected);
  });

  it.each([['10.20.17.0/24'], ['10.20.17.0/25'], ['2001:db8::/120']])('stops at %s (a /24, or /120 for IPv6, is the closest view)', (window) => {
    expect(zoomTarget(p(window), { ...p(window), length: 32 })).toBeUndefined();
  });
});
