import { fail, ok, type AddressRange, type PoolSpec as ContractPoolSpec, type Result } from '@netbroker/contracts';
import { cidrToInterval, formatCidr, parseAddress, parseCidr, widthOf, type Cidr, type Family, type Interval } from './address';
import { presets } from './presets';
import { BlockTrie, Contains, type Conflict, type LeafKind } from './trie';

/**
 * What the allocator needs of a pool: the contract's pool spec without its name and kind, every
 * field optional (see `PoolSpec` in @netbroker/contracts for the meaning of each).
 */
export type PoolSpec = Partial<Omit<ContractPoolSpec, 'name' | 'kind'>>;

export interface Utilisation {
  total: bigint;
  used: bigint;
  reserved: bigint;
  free: bigint;
  largestFreePrefixLength: number | null;
  freeFragments: number;
}

interface Bounds {
  min: number;
  max: number;
  fallback: number;
  /** The largest block the pool could ever hold, as a prefix length. */
  largestBlock: number;
}

interface Layout {
  family: Family;
  members: Interval[];
  reserved: Interval[];
  /** IPv4 network and broadcast addresses of pool prefixes of length <= 30. */
  edges: bigint[];
}

const conflictReasons = {
  outside: 'outside-pool',
  reserved: 'overlaps-reserved',
  allocated: 'overlaps-allocated',
} as const satisfies Record<Conflict, string>;

const conflictWords = {
  outside: 'is not entirely inside the pool',
  reserved: 'overlaps a reserved range',
  allocated: 'overlaps a live allocation',
} as const satisfies Record<Conflict, string>;

/**
 * An address allocator over one family. Pure: no I/O, no clock, no randomness. Each allocate,
 * allocateSpecific and release costs O(address width), whatever the number of allocations.
 */
export class AddressPool {
  private constructor(
    readonly family: Family,
    private readonly trie: BlockTrie,
    private readonly bounds: Bounds,
    private readonly totals: { total: bigint; reserved: bigint },
  ) {}

  static create(spec: PoolSpec): Result<AddressPool> {
    const layout = readLayout(spec);
    if (!layout.ok) return layout;
    const { family, members, reserved, edges } = layout.value;
    const bounds = readBounds(spec, family);
    if (!bounds.ok) return bounds;
    const trie = new BlockTrie(widthOf(family));
    for (const member of members) trie.paint(member.start, member.end, 'outside', 'free');
    const largestBlock = trie.largestFree() ?? trie.width;
    for (const range of reserved) trie.paint(range.start, range.end, 'free', 'reserved');
    trie.protectEdges(edges);
    const free = trie.count('free').addresses;
    const reservedSize = trie.count('reserved').addresses;
    const totals = { total: free + reservedSize, reserved: reservedSize };
    return ok(new AddressPool(family, trie, { ...bounds.value, largestBlock }, totals));
  }

  /** Best fit: the smallest free block that holds a /prefixLength, lowest address on ties. */
  allocate(prefixLength: number = this.bounds.fallback): Result<string> {
    const allowed = this.checkLength(prefixLength);
    if (!allowed.ok) return allowed;
    if (prefixLength < this.bounds.largestBlock) {
      return fail('prefix-too-large', `/${prefixLength} is larger than any block of the pool (largest /${this.bounds.largestBlock})`);
    }
    const address = this.trie.allocate(prefixLength);
    if (address === null) {
      const largest = this.trie.largestFree();
      const left = largest === null ? 'the pool is full' : `the largest free block is /${largest}`;
      return fail('exhausted', `no free /${prefixLength} left: ${left}`);
    }
    return ok(formatCidr({ family: this.family, value: address, length: prefixLength }));
  }

  /** Exactly this block if it is free. Rebuilding from persisted allocations uses this, in any order. */
  allocateSpecific(cidr: string): Result<string> {
    const parsed = this.parse(cidr);
    if (!parsed.ok) return parsed;
    const allowed = this.checkLength(parsed.value.length);
    if (!allowed.ok) return allowed;
    const canonical = formatCidr(parsed.value);
    const conflict = this.trie.claim(parsed.value.value, parsed.value.length);
    if (conflict) return fail(conflictReasons[conflict], `${canonical} ${conflictWords[conflict]}`);
    return ok(canonical);
  }

  /**
   * One address as a /32 or /128. The network and broadcast addresses of IPv4 pool prefixes of
   * length <= 30 are never handed out alone (they may still lie inside a larger block).
   */
  allocateAddress(): Result<string> {
    return this.allocate(widthOf(this.family));
  }

  /** Frees exactly a live allocation; free buddies merge back into larger blocks. */
  release(cidr: string): Result<void> {
    const parsed = this.parse(cidr);
    if (!parsed.ok) return parsed;
    if (!this.trie.release(parsed.value.value, parsed.value.length)) {
      return fail('not-allocated', `${formatCidr(parsed.value)} is not a live allocation of this pool`);
    }
    return ok(undefined);
  }

  /** Whether the block lies entirely inside the pool (reserved parts included). */
  contains(cidr: string): boolean {
    return this.inspect(cidr, (contents) => (contents & Contains.outside) === 0);
  }

  /** Whether the block overlaps a live allocation or a reserved range. */
  overlaps(cidr: string): boolean {
    return this.inspect(cidr, (contents) => (contents & (Contains.allocated | Contains.reserved)) !== 0);
  }

  isAllocated(cidr: string): boolean {
    const parsed = this.parse(cidr);
    return parsed.ok && this.trie.isAllocated(parsed.value.value, parsed.value.length);
  }

  /** Live allocations in ascending address order. */
  allocations(): string[] {
    return [...this.trie.blocks('allocated')].map((block) => formatCidr({ family: this.family, value: block.address, length: block.length }));
  }

  /** The smallest prefix holding the whole pool: its prefixes, or the ranges of an address pool. */
  extent(): Cidr {
    // A pool has at least one prefix or range (create refuses it otherwise).
    const block = this.trie.extent() ?? { address: 0n, length: 0 };
    return { family: this.family, value: block.address, length: block.length };
  }

  /**
   * What lies in each /cellLength of the window (cell i is the i-th in address order): addresses
   * allocated, reserved, free and outside the pool; and the first `list` allocations overlapping
   * the window, largest first then by address, with how many there are in all. Costs the trie
   * nodes under the window, and for the list those above the longest block listed.
   */
  survey(window: Cidr, cellLength: number, list = 0): { counts: Record<LeafKind, bigint[]>; allocated: { blocks: Cidr[]; total: number } } {
    const { counts, allocatedLengths } = this.trie.tally(window.value, window.length, cellLength);
    const total = allocatedLengths.reduce((a, b) => a + b, 0);
    // The longest length that still has a listed block, and how many of that length are listed.
    let cutoff = 0;
    let before = 0;
    while (cutoff < allocatedLengths.length - 1 && before + (allocatedLengths[cutoff] as number) < list) before += allocatedLengths[cutoff++] as number;
    const found = list === 0 ? [] : this.trie.blocksUpTo('allocated', window.value, window.length, cutoff, list - before);
    const blocks = found
      .sort((a, b) => a.length - b.length || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
      .map((block) => ({ family: this.family, value: block.address, length: block.length }));
    return { counts, allocated: { blocks, total } };
  }

  /** Sizes in addresses. IPv4 network/broadcast addresses count as free: they may be part of a block. */
  utilisation(): Utilisation {
    const { total, reserved } = this.totals;
    const used = this.trie.used;
    const free = total - reserved - used;
    return { total, used, reserved, free, largestFreePrefixLength: this.trie.largestFree(), freeFragments: this.trie.fragments };
  }

  private parse(cidr: string): Result<Cidr> {
    const parsed = parseCidr(cidr);
    if (parsed.ok && parsed.value.family !== this.family) {
      return fail('wrong-family', `${cidr} is ${parsed.value.family} but the pool is ${this.family}`);
    }
    return parsed;
  }

  private inspect(cidr: string, test: (contents: number) => boolean): boolean {
    const parsed = this.parse(cidr);
    return parsed.ok && test(this.trie.contents(parsed.value.value, parsed.value.length));
  }

  private checkLength(length: number): Result<void> {
    const width = widthOf(this.family);
    if (!Number.isInteger(length) || length < 0) return fail('invalid-request', `prefix length ${length} is not an integer between 0 and ${width}`);
    // A valid length of the other family (/64 from an IPv4 pool): a block smaller than the pool holds.
    if (length > width) return fail('prefix-too-small', `/${length} is smaller than any block of this ${this.family} pool (/${width} at least)`);
    if (length < this.bounds.min) return fail('prefix-too-large', `/${length} is larger than the pool allows (/${this.bounds.min} at most)`);
    if (length > this.bounds.max) return fail('prefix-too-small', `/${length} is smaller than the pool allows (/${this.bounds.max} at least)`);
    return ok(undefined);
  }
}

/** An interval with the text it was read from, for messages. */
interface Entry {
  text: string;
  interval: Interval;
}

/** Parses and checks the spec's addresses: pool members, reserved ranges and edge addresses. */
function readLayout(spec: PoolSpec): Result<Layout> {
  const prefixes = readEntries(spec.prefixes ?? []);
  if (!prefixes.ok) return prefixes;
  const ranges = readEntries(spec.ranges ?? []);
  if (!ranges.ok) return ranges;
  const members = [...prefixes.value, ...ranges.value];
  const family = members[0]?.interval.family;
  if (!family) return fail('invalid-request', 'a pool needs at least one prefix or range');
  const presetEntries = (spec.presets ?? []).flatMap((name) => presets[name]).filter((text) => text.includes(':') === (family === 'ipv6'));
  const reserved = readEntries([...(spec.reserved ?? []), ...presetEntries]);
  if (!reserved.ok) return reserved;
  const stranger = [...members, ...reserved.value].find((entry) => entry.interval.family !== family);
  if (stranger) {
    return fail('wrong-family', `${stranger.text} is ${stranger.interval.family} but the pool is ${family}: a pool holds one family`);
  }
  const intervals = (entries: Entry[]) => entries.map((entry) => entry.interval);
  return ok({ family, members: intervals(members), reserved: intervals(reserved.value), edges: edgesOf(intervals(prefixes.value)) });
}

function readEntries(entries: Array<string | AddressRange>): Result<Entry[]> {
  const read: Entry[] = [];
  for (const entry of entries) {
    const interval = typeof entry === 'string' ? readCidrInterval(entry) : readRange(entry);
    if (!interval.ok) return interval;
    read.push({ text: typeof entry === 'string' ? entry : `${entry.start}-${entry.end}`, interval: interval.value });
  }
  return ok(read);
}

function readCidrInterval(text: string): Result<Interval> {
  const cidr = parseCidr(text);
  return cidr.ok ? ok(cidrToInterval(cidr.value)) : cidr;
}

function readRange(range: AddressRange): Result<Interval> {
  const start = parseAddress(range.start);
  if (!start.ok) return start;
  const end = parseAddress(range.end);
  if (!end.ok) return end;
  const text = `${range.start}-${range.end}`;
  if (start.value.family !== end.value.family) return fail('wrong-family', `range ${text} mixes IPv4 and IPv6`);
  if (start.value.value > end.value.value) return fail('invalid-request', `range ${text} ends before it starts`);
  return ok({ family: start.value.family, start: start.value.value, end: end.value.value });
}

/** Network and broadcast addresses of IPv4 prefixes of 4 addresses or more (length <= 30). */
function edgesOf(prefixes: Interval[]): bigint[] {
  return prefixes.filter(({ family, start, end }) => family === 'ipv4' && end - start >= 3n).flatMap(({ start, end }) => [start, end]);
}

function readBounds(spec: PoolSpec, family: Family): Result<Omit<Bounds, 'largestBlock'>> {
  const width = widthOf(family);
  const given = { minPrefixLength: spec.minPrefixLength, maxPrefixLength: spec.maxPrefixLength, defaultPrefixLength: spec.defaultPrefixLength };
  for (const [name, value] of Object.entries(given)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > width)) {
      return fail('invalid-request', `${name} ${value} is not an integer between 0 and ${width}`);
    }
  }
  const min = spec.minPrefixLength ?? 0;
  const max = spec.maxPrefixLength ?? width;
  if (min > max) return fail('invalid-request', `minPrefixLength ${min} is greater than maxPrefixLength ${max}`);
  const fallback = spec.defaultPrefixLength ?? Math.min(max, Math.max(min, family === 'ipv4' ? 24 : 64));
  if (fallback < min || fallback > max) {
    return fail('invalid-request', `defaultPrefixLength ${fallback} is outside ${min}-${max}`);
  }
  return ok({ min, max, fallback });
}
