import { Address6 } from 'ip-address';
import { fail, ok, type Result } from '@netbroker/contracts';

export type Family = 'ipv4' | 'ipv6';

/** Address width in bits. Every computation below is the same for both families, on bigint. */
export const widthOf = (family: Family): number => (family === 'ipv4' ? 32 : 128);

export interface Address {
  family: Family;
  value: bigint;
}

/** An aligned block: `length` leading bits of `address` are the prefix, the rest are zero. */
export interface Cidr extends Address {
  length: number;
}

/** An inclusive interval of addresses of one family. */
export interface Interval {
  family: Family;
  start: bigint;
  end: bigint;
}

const ipv4Pattern = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const lengthPattern = /^(0|[1-9]\d{0,2})$/;

function parseIpv4(text: string): bigint | null {
  const match = ipv4Pattern.exec(text);
  if (!match) return null;
  let value = 0n;
  for (const octet of match.slice(1)) {
    const n = Number(octet);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  if (!text.includes(':') || /[%/\s[\]]/.test(text) || !Address6.isValid(text)) return null;
  try {
    return new Address6(text).bigInt();
  } catch {
    return null;
  }
}

/** A single address without prefix length, e.g. "203.0.113.10" or "2001:db8::1". */
export function parseAddress(text: string): Result<Address> {
  const ipv4 = parseIpv4(text);
  if (ipv4 !== null) return ok({ family: 'ipv4', value: ipv4 });
  const ipv6 = parseIpv6(text);
  if (ipv6 !== null) return ok({ family: 'ipv6', value: ipv6 });
  return fail('invalid-cidr', `'${text}' is not an IPv4 or IPv6 address`);
}

/** A CIDR in network form; host bits set ("10.0.0.1/24") is refused rather than silently masked. */
export function parseCidr(text: string): Result<Cidr> {
  const slash = text.indexOf('/');
  if (slash < 0) return fail('invalid-cidr', `'${text}' is not a CIDR: the prefix length is missing`);
  const address = parseAddress(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (!address.ok) return fail('invalid-cidr', `'${text}' is not a CIDR: ${address.error.message}`);
  const width = widthOf(address.value.family);
  const length = lengthPattern.test(lengthText) ? Number(lengthText) : Number.NaN;
  if (Number.isNaN(length) || length > width) {
    return fail('invalid-cidr', `'${text}' is not a CIDR: the prefix length must be 0-${width}`);
  }
  if ((address.value.value & hostMask(width, length)) !== 0n) {
    const network = formatCidr({ ...address.value, value: address.value.value & ~hostMask(width, length), length });
    return fail('invalid-cidr', `'${text}' has host bits set (the network is ${network})`);
  }
  return ok({ ...address.value, length });
}

export function hostMask(width: number, length: number): bigint {
  return (1n << BigInt(width - length)) - 1n;
}

export function formatAddress(family: Family, value: bigint): string {
  if (family === 'ipv6') return Address6.fromBigInt(value).correctForm();
  const n = Number(value);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Canonical text: dotted quad, or RFC 5952 for IPv6 ("2001:db8::/64"). */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.family, cidr.value)}/${cidr.length}`;
}

export function cidrToInterval(cidr: Cidr): Interval {
  const { family, value, length } = cidr;
  return { family, start: value, end: value | hostMask(widthOf(family), length) };
}

/** The fewest aligned blocks covering start..end: at most 2 × width of them. */
export function intervalToCidrs(interval: Interval): Cidr[] {
  const width = widthOf(interval.family);
  const cidrs: Cidr[] = [];
  let start = interval.start;
  while (start <= interval.end) {
    let length = width;
    while (length > 0 && (start & hostMask(width, length - 1)) === 0n && (start | hostMask(width, length - 1)) <= interval.end) {
      length -= 1;
    }
    cidrs.push({ family: interval.family, value: start, length });
    start = (start | hostMask(width, length)) + 1n;
  }
  return cidrs;
}
