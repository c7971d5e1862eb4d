import { z } from 'zod';

// The textual forms of IP addresses and CIDRs the API accepts, as regular expressions a JSON
// Schema `pattern` can carry: the OpenAPI document states exactly which strings are accepted,
// including that a CIDR has no host bits set ("10.10.0.1/24" is refused, "10.10.0.0/24" is not).
// libs/ipam's parser accepts every string these match (its tests hold it to that). Pure.
//
// IPv6 CIDRs up to /111 are spelled as the prefix's groups followed by `::` ("2001:db8::/32",
// "fd00:1:2::/48", "::/0") or with all eight groups; from /112 on any spelling RFC 4291 allows
// ("2001:db8::a/127"). A shorter prefix with `::` inside it ("2001:db8::1:0:0:0/80") is refused:
// every network keeps a spelling, and the pattern stays small enough for tools that generate
// values from it (schemathesis rebuilds it for every value). Digits are [0-9], never \d: Python
// reads \d as any Unicode digit.

/** 0-255 without leading zeros, as the address manager reads it. */
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const HEX = '[0-9A-Fa-f]';
/** Any group of an IPv6 address: 1-4 hex digits. */
const GROUP = `${HEX}{1,4}`;

const alt = (parts: string[]) => (parts.length === 1 ? parts[0]! : `(?:${parts.join('|')})`);
/** `n` times `x` joined by `sep` (`n` ≥ 1). */
const times = (x: string, n: number, sep: string) => (n === 1 ? x : `${x}(?:${sep}${x}){${n - 1}}`);
/** 0 to `n` times `x` joined by `sep`. */
const upTo = (x: string, n: number, sep: string) => (n === 0 ? '' : `(?:${x}(?:${sep}${x}){0,${n - 1}})?`);
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** A compact alternation of decimal numbers: a trie of their digits, equal subtrees merged into a class. */
function numbers(values: number[]): string {
  type Node = Map<string, Node>;
  const root: Node = new Map();
  for (const text of values.map(String)) {
    let node = root;
    for (const c of `${text}$`) node = node.get(c) ?? node.set(c, new Map()).get(c)!;
  }
  const emit = (node: Node): string => {
    const ends = node.has('$');
    const bySubtree = new Map<string, string[]>();
    for (const [c, child] of node) if (c !== '$') bySubtree.set(emit(child), [...(bySubtree.get(emit(child)) ?? []), c]);
    const parts = [...bySubtree].map(([rest, cs]) => (cs.length === 1 ? cs[0]! : cs.join('') === '0123456789' ? '[0-9]' : `[${cs.join('')}]`) + rest);
    if (parts.length === 0) return '';
    const body = parts.length === 1 && !ends ? parts[0]! : `(?:${parts.join('|')})`;
    return ends ? `${body}?` : body;
  };
  return emit(root);
}

/** An octet whose low `free` bits are zero (0 ≤ free ≤ 8). */
const octetWithFreeBits = (free: number) => (free === 0 ? OCTET : numbers(range(0, 255).filter((v) => v % 2 ** free === 0)));

/** An IPv6 group whose low `free` bits are zero (1 ≤ free ≤ 15), written with 1-4 digits. */
function groupWithFreeBits(free: number): string {
  const zeros = Math.floor(free / 4);
  const bits = free % 4;
  const digits = range(0, 15).filter((v) => v % 2 ** bits === 0).map((v) => v.toString(16));
  const digit = bits === 0 ? HEX : `[${digits.join('')}${digits.filter((d) => /[a-f]/.test(d)).join('').toUpperCase()}]`;
  return `(?:${HEX}{0,${3 - zeros}}${digit}0{${zeros}}${zeros > 0 ? `|0{1,${zeros}}` : ''})`;
}

/** IPv4 CIDRs in network form: for /8f+k, `f` free octets, one with its low 8-k bits zero, then zeros. */
function ipv4Cidr(): string {
  const alternatives = range(0, 3).map((free) => {
    const zeros = 3 - free;
    const tails = range(0, 7).map((k) => `${octetWithFreeBits(8 - k)}${zeros > 0 ? `(?:\\.0){${zeros}}` : ''}/${8 * free + k}`);
    return `${free > 0 ? `(?:${OCTET}\\.){${free}}` : ''}${alt(tails)}`;
  });
  return alt([...alternatives, `(?:${OCTET}\\.){3}${OCTET}/32`]);
}

/** Every IPv6 address text: 8 groups, or fewer with one `::` standing for one or more zero groups. */
function ipv6Address(): string {
  return alt([times(GROUP, 8, ':'), ...range(0, 7).map((before) => `${before > 0 ? times(GROUP, before, ':') : ''}::${upTo(GROUP, 7 - before, ':')}`)]);
}

/**
 * IPv6 CIDRs in network form. For /16h../16h+15 the groups before `h` are free, group `h` (the
 * boundary) has its low 16-k bits zero, the groups after it are zero.
 */
function ipv6Cidr(): string {
  const lengths = (h: number) => alt(range(0, 15).map((k) => String(16 * h + k)));
  const alternatives: string[] = [];
  for (const h of range(0, 6)) {
    const freeGroups = h > 0 ? `(?:${GROUP}:){${h}}` : '';
    const zerosAfter = `(?:(?::0{1,4}){${7 - h}}|::)`;
    // The boundary group inside the final `::` …
    alternatives.push(`${upTo(GROUP, h, ':')}::/${lengths(h)}`);
    // … or written: zero (right for every length), or with its host bits zero; then the zero
    // groups after it, written out or as `::`.
    alternatives.push(`${freeGroups}(?:0{1,4}${zerosAfter}/${lengths(h)}|${alt(range(1, 15).map((k) => `${groupWithFreeBits(16 - k)}${zerosAfter}/${16 * h + k}`))})`);
  }
  // /112-/127: the boundary is the last group; `::` anywhere before it, or for it.
  const before = alt([`(?:${GROUP}:){7}`, ...range(0, 6).map((t) => `${upTo(GROUP, 6 - t, ':')}::${t > 0 ? `(?:${GROUP}:){${t}}` : ''}`)]);
  alternatives.push(`${before}${alt(range(0, 15).map((k) => `${k === 0 ? '0{1,4}' : groupWithFreeBits(16 - k)}/${112 + k}`))}`);
  alternatives.push(`${upTo(GROUP, 7, ':')}::/${lengths(7)}`);
  alternatives.push(`${ipv6Address()}/128`);
  return alt(alternatives);
}

const anchored = (source: string) => `^${source}$`;

const ipv4Address = `${OCTET}(?:\\.${OCTET}){3}`;

/** Anchored patterns of each family (the schemas below accept either). */
export const addressPatterns = {
  ipv4Address: anchored(ipv4Address),
  ipv6Address: anchored(ipv6Address()),
  ipv4Cidr: anchored(ipv4Cidr()),
  ipv6Cidr: anchored(ipv6Cidr()),
} as const;

/** One IPv4 or IPv6 address, e.g. `203.0.113.10` or `2001:db8::1`. */
export const IpAddress = z
  .string()
  .regex(new RegExp(anchored(alt([ipv4Address, ipv6Address()]))), 'must be an IPv4 address (dotted quad, no leading zeros) or an IPv6 address');
export type IpAddress = z.infer<typeof IpAddress>;

/** A CIDR in network form (no host bits set), IPv4 or IPv6, e.g. `10.20.0.0/24` or `fd00:1::/64`. */
export const Cidr = z
  .string()
  .regex(new RegExp(anchored(alt([ipv4Cidr(), ipv6Cidr()]))), 'must be a CIDR in network form, e.g. 10.20.0.0/24 (host bits zero) or fd00:1::/64');
export type Cidr = z.infer<typeof Cidr>;
