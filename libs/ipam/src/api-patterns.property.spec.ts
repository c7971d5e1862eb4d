import { Cidr, IpAddress } from '@netbroker/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCidr, hostMask, parseAddress, parseCidr, widthOf, type Cidr as ParsedCidr, type Family } from './address';

// The API's address patterns (libs/contracts) against this parser: every string the OpenAPI
// document calls a CIDR is one the address manager reads as a network (host bits zero), every
// network can be spelled so that the document accepts it, and a set host bit is always refused.

const accepts = (schema: typeof Cidr | typeof IpAddress, text: string) => schema.safeParse(text).success;

/** A random network: a random address with its host bits cleared. */
const network = fc.constantFrom<Family>('ipv4', 'ipv6').chain((family) =>
  fc
    .tuple(fc.bigInt({ min: 0n, max: (1n << BigInt(widthOf(family))) - 1n }), fc.integer({ min: 0, max: widthOf(family) }))
    .map(([value, length]): ParsedCidr => ({ family, length, value: value & ~hostMask(widthOf(family), length) })),
);

const groupsOf = (value: bigint) => Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));

/** IPv6 spellings: all eight groups (leading zeros and case at random), and the prefix's groups then `::`. */
const spellings = (cidr: ParsedCidr, pad: boolean, upper: boolean): string[] => {
  if (cidr.family === 'ipv4') return [formatCidr(cidr)];
  const hex = (g: number) => {
    const text = g.toString(16).padStart(pad ? 4 : 1, '0');
    return upper ? text.toUpperCase() : text;
  };
  const groups = groupsOf(cidr.value).map(hex);
  const prefixGroups = Math.ceil(cidr.length / 16);
  const full = `${groups.join(':')}/${cidr.length}`;
  return prefixGroups < 8 ? [full, `${groups.slice(0, prefixGroups).join(':')}::/${cidr.length}`] : [full];
};

describe('the API pattern of a CIDR', () => {
  it('accepts every network in every spelling it promises, and the parser reads each as that network', () => {
    fc.assert(
      fc.property(network, fc.boolean(), fc.boolean(), (cidr, pad, upper) => {
        for (const text of spellings(cidr, pad, upper)) {
          expect(accepts(Cidr, text), text).toBe(true);
          const parsed = parseCidr(text);
          expect(parsed.ok && formatCidr(parsed.value)).toBe(formatCidr(cidr));
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('accepts the canonical spelling the address manager writes, for IPv4, IPv6 up to /64 and from /112', () => {
    fc.assert(
      fc.property(network, (cidr) => {
        fc.pre(cidr.family === 'ipv4' || cidr.length <= 64 || cidr.length >= 112);
        expect(accepts(Cidr, formatCidr(cidr)), formatCidr(cidr)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses a network with any host bit set', () => {
    fc.assert(
      fc.property(network, fc.nat(), (cidr, bit) => {
        const width = widthOf(cidr.family);
        fc.pre(cidr.length < width);
        const withHostBit = { ...cidr, value: cidr.value | (1n << BigInt(bit % (width - cidr.length))) };
        // Spellings that keep every bit: all groups written, and the canonical one.
        const [full] = spellings(withHostBit, false, false);
        for (const text of [full!, formatCidr(withHostBit)]) expect(accepts(Cidr, text), text).toBe(false);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never accepts a string the parser refuses (strings of address characters)', () => {
    const chars = fc.constantFrom(...'0123456789abcdefABCDEF:./'.split(''), '::', '/64', '/24', '.0', ':0');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        if (accepts(Cidr, text)) expect(parseCidr(text).ok, text).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it.each([
    ['2001:db8::1:0:0:0/80', 'a prefix shorter than /112 with `::` inside it'],
    ['2001:db8:1:0:0::/48', 'zero groups after the prefix, some written and some in `::`'],
    ['::ffff:10.0.0.0/104', 'an IPv4 tail'],
    ['10.0.0.0/08', 'a prefix length with a leading zero'],
    ['10.0.0.0/8 ', 'a trailing space'],
    ['١٠.0.0.0/8', 'digits other than 0-9'],
  ])('refuses %s: %s', (text) => {
    expect(accepts(Cidr, text)).toBe(false);
  });
});

describe('the API pattern of an address', () => {
  it('accepts every address in canonical form, and the parser reads it back', () => {
    fc.assert(
      fc.property(network, (cidr) => {
        const text = formatCidr(cidr).replace(/\/\d+$/, '');
        expect(accepts(IpAddress, text), text).toBe(true);
        expect(parseAddress(text).ok).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never accepts a string the parser refuses', () => {
    const chars = fc.constantFrom(...'0123456789abcdefABCDEF:.'.split(''), '::', '.0', ':0', '255', 'ffff');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 20 }), (parts) => {
        const text = parts.join('');
        if (accepts(IpAddress, text)) expect(parseAddress(text).ok, text).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
});
