import { describe, expect, it } from 'vitest';
import { formatCidr, intervalToCidrs, parseAddress, parseCidr } from './address';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['203.0.113.7/32', '203.0.113.7/32'],
    ['2001:DB8:0::/32', '2001:db8::/32'],
    ['::/0', '::/0'],
    ['fd00::1/128', 'fd00::1/128'],
  ])('reads %s and writes it back as %s', (text, canonical) => {
    const parsed = parseCidr(text);
    expect(parsed.ok && formatCidr(parsed.value)).toBe(canonical);
  });

  it.each([
    ['10.0.0.0/33', /prefix length must be 0-32/],
    ['::/129', /prefix length must be 0-128/],
    ['banana', /prefix length is missing/],
    ['banana/8', /not an IPv4 or IPv6 address/],
    ['10.0.0.1/24', /host bits set \(the network is 10\.0\.0\.0\/24\)/],
    ['2001:db8::1/64', /host bits set \(the network is 2001:db8::\/64\)/],
    ['10.0.0.0', /prefix length is missing/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.0/08', /prefix length/],
    ['010.0.0.0/8', /not an IPv4 or IPv6 address/],
    ['256.0.0.0/8', /not an IPv4 or IPv6 address/],
    ['10.0.0/8', /not an IPv4 or IPv6 address/],
    [' 10.0.0.0/8', /not an IPv4 or IPv6 address/],
    ['fe80::1%eth0/128', /not an IPv4 or IPv6 address/],
    ['1::2::3/128', /not an IPv4 or IPv6 address/],
  ])('refuses %s as an invalid CIDR and names it', (text, explanation) => {
    const parsed = parseCidr(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.reason).toBe('invalid-cidr');
    expect(parsed.error.message).toContain(`'${text}'`);
    expect(parsed.error.message).toMatch(explanation);
  });
});

describe('parseAddress', () => {
  it.each([
    ['203.0.113.10', 'ipv4', 0xcb00710an],
    ['::1', 'ipv6', 1n],
    ['::ffff:1.2.3.4', 'ipv6', 0xffff01020304n],
  ])('reads %s as %s', (text, family, value) => {
    expect(parseAddress(text)).toEqual({ ok: true, value: { family, value } });
  });

  it('refuses a CIDR where an address is expected', () => {
    expect(parseAddress('10.0.0.0/8')).toMatchObject({ ok: false, error: { reason: 'invalid-cidr' } });
  });
});

describe('intervalToCidrs', () => {
  const range = (start: bigint, end: bigint) => intervalToCidrs({ family: 'ipv4', start, end }).map(formatCidr);

  it('covers an unaligned range with the fewest blocks', () => {
    expect(range(0xcb00710an, 0xcb00715an)).toEqual([
      '203.0.113.10/31',
      '203.0.113.12/30',
      '203.0.113.16/28',
      '203.0.113.32/27',
      '203.0.113.64/28',
      '203.0.113.80/29',
      '203.0.113.88/31',
      '203.0.113.90/32',
    ]);
  });

  it('needs at most twice the address width of blocks', () => {
    expect(range(1n, 0xfffffffen)).toHaveLength(62);
  });

  it('returns one block for an aligned range', () => {
    expect(range(0x0a000000n, 0x0affffffn)).toEqual(['10.0.0.0/8']);
  });
});
