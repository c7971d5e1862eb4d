import { Address4, Address6 } from 'ip-address';

/** The inclusive address range of a CIDR, as numbers of one family. */
export interface CidrRange {
  family: 4 | 6;
  start: bigint;
  end: bigint;
}

/**
 * The range a CIDR covers ("10.0.0.0/24", "2001:db8::/64"); host bits are masked as the
 * NetworkPolicy API does ("10.0.0.1/24" covers 10.0.0.0-10.0.0.255). Undefined when not a CIDR.
 */
export function cidrRange(text: string): CidrRange | undefined {
  if (!/^[0-9a-fA-F.:]+\/\d{1,3}$/.test(text)) return undefined;
  try {
    const address = text.includes(':') ? new Address6(text) : new Address4(text);
    return {
      family: address instanceof Address6 ? 6 : 4,
      start: address.startAddress().bigInt(),
      end: address.endAddress().bigInt(),
    };
  } catch {
    return undefined; // ip-address throws AddressError on malformed input: "not a CIDR" is the answer.
  }
}

/** `inner` lies entirely inside `outer` (same family). */
export const cidrContains = (outer: CidrRange, inner: CidrRange): boolean =>
  outer.family === inner.family && outer.start <= inner.start && inner.end <= outer.end;
