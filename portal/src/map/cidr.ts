// Address arithmetic for the map, on bigints so IPv6 is exact: parse and print prefixes, the
// cells of a window, and where a zoom goes. Pure.

export type Family = 4 | 6;

/** An aligned block: `base` is its first address, `length` its prefix length. */
export interface Prefix {
  family: Family;
  base: bigint;
  length: number;
}

export const bitsOf = (family: Family): number => (family === 4 ? 32 : 128);

/** The longest prefix a window may have: a /24 for IPv4 (a /120 for IPv6), 256 addresses. */
export const maxWindowLength = (family: Family): number => bitsOf(family) - 8;

/** Cells along one side: the window is drawn as a square of this² cells (up to 64 × 64). */
const MAX_CELL_BITS = 12;

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  // An IPv4 tail (::ffff:192.0.2.1) counts as two groups.
  const last = (halves.length === 2 ? tail : head).at(-1);
  let v4: bigint | undefined;
  if (last?.includes('.')) {
    v4 = parseIpv4(last);
    if (v4 === undefined) return undefined;
    (halves.length === 2 ? tail : head).pop();
  }
  const width = head.length + tail.length + (v4 !== undefined ? 2 : 0);
  if (halves.length === 1 ? width !== 8 : width > 7) return undefined;
  const all = [...head, ...Array<string>(8 - width).fill('0'), ...tail];
  let value = 0n;
  for (const g of all.slice(0, v4 !== undefined ? 6 : 8)) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(`0x${g}`);
  }
  return v4 !== undefined ? (value << 32n) | v4 : value;
}

/** An address of either family, or undefined. */
export function parseAddress(text: string): { family: Family; value: bigint } | undefined {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { family: 4, value };
}

/** `10.0.0.0/8` → its prefix (host bits cleared); undefined when it does not read. */
export function parsePrefix(cidr: string): Prefix | undefined {
  const [address, length, ...rest] = cidr.trim().split('/');
  if (rest.length || address === undefined || length === undefined || !/^\d{1,3}$/.test(length)) return undefined;
  const parsed = parseAddress(address);
  if (!parsed) return undefined;
  const bits = bitsOf(parsed.family);
  const n = Number(length);
  if (n > bits) return undefined;
  return { family: parsed.family, base: parsed.value & mask(bits, n), length: n };
}

/** The network mask of a prefix length, as a number of `bits` bits. */
const mask = (bits: number, length: number): bigint => ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - length)) - 1n);

/** An address in its usual text: dotted quad, or IPv6 with the longest run of zero groups as `::`. */
export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

export const formatPrefix = (p: Prefix): string => `${formatAddress(p.family, p.base)}/${p.length}`;

/** Addresses in a prefix. */
export const sizeOf = (p: Prefix): bigint => 1n << BigInt(bitsOf(p.family) - p.length);

/** Whether two prefixes of one family share an address (one then contains the other). */
export function overlaps(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  const shorter = Math.min(a.length, b.length);
  const m = mask(bitsOf(a.family), shorter);
  return (a.base & m) === (b.base & m);
}

/**
 * How many cells to ask for a window: 4^k with k as large as fits (at most 4096, a 64 × 64
 * square); a /24 of IPv4 has 256 cells of one address each.
 */
export function cellsFor(window: Prefix): number {
  const k = Math.min(MAX_CELL_BITS / 2, Math.floor((bitsOf(window.family) - window.length) / 2));
  return 4 ** k;
}

/** The `index`-th cell (a /cellLength) of a window, in address order. */
export function cellOf(window: Prefix, cellLength: number, index: number): Prefix {
  const step = 1n << BigInt(bitsOf(window.family) - cellLength);
  return { family: window.family, base: window.base + BigInt(index) * step, length: cellLength };
}

/**
 * Where a zoom into `cell` goes: the prefix 4 bits longer than the window that holds the cell
 * (16 times closer), never longer than maxWindowLength. Undefined at the deepest window.
 */
export function zoomTarget(window: Prefix, cell: Prefix): Prefix | undefined {
  const deepest = maxWindowLength(window.family);
  if (window.length >= deepest) return undefined;
  const length = Math.min(window.length + 4, deepest);
  return { family: window.family, base: cell.base & mask(bitsOf(window.family), length), length };
}
