import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AddressRange } from '@netbroker/contracts';
import { cidrToInterval, formatCidr, hostMask, parseAddress, parseCidr, type Interval } from './address';
import { AddressPool, type PoolSpec } from './pool';

/** A pool with several prefixes, an unaligned range and reserved CIDRs and ranges, plus where to aim. */
interface Scenario {
  name: string;
  spec: PoolSpec;
  width: number;
  /** Random blocks are drawn from base .. base + 2^span - 1, which covers the pool and some outside. */
  base: bigint;
  span: bigint;
  shortest: number;
  /** IPv4 network/broadcast addresses of the prefixes: never handed out alone. */
  edges: string[];
  /** Block length counted to check that releasing everything restores the free space. */
  probeLength: number;
}

const scenarios: Scenario[] = [
  {
    name: 'IPv4',
    spec: {
      prefixes: ['10.0.0.0/16', '10.1.0.0/20', '10.3.0.0/30'],
      ranges: [{ start: '10.2.0.10', end: '10.2.3.200' }],
      reserved: ['10.0.16.0/20', { start: '10.0.200.7', end: '10.0.203.100' }, '10.1.15.0/24', '10.2.1.0/24', '10.9.0.0/16'],
    },
    width: 32,
    base: 0x0a000000n,
    span: 18n,
    shortest: 18,
    edges: ['10.0.0.0/32', '10.0.255.255/32', '10.1.0.0/32', '10.1.15.255/32', '10.3.0.0/32', '10.3.0.3/32'],
    probeLength: 24,
  },
  {
    name: 'IPv6',
    spec: {
      prefixes: ['2001:db8::/112', '2001:db8::1:0/116', '2001:db8::3:0/127'],
      ranges: [{ start: '2001:db8::2:a', end: '2001:db8::2:3c8' }],
      reserved: ['2001:db8::1000/116', { start: '2001:db8::c807', end: '2001:db8::cb64' }, '2001:db8::2:100/120'],
    },
    width: 128,
    base: 0x20010db8n << 96n,
    span: 18n,
    shortest: 114,
    edges: [],
    probeLength: 120,
  },
  {
    name: 'IPv4 addresses',
    spec: {
      prefixes: ['192.0.2.0/28', '192.0.2.32/30', '192.0.2.36/31', '192.0.2.38/32'],
      ranges: [{ start: '192.0.2.17', end: '192.0.2.22' }],
      reserved: ['192.0.2.4/31', { start: '192.0.2.20', end: '192.0.2.20' }],
    },
    width: 32,
    base: 0xc0000200n,
    span: 6n,
    shortest: 28,
    edges: ['192.0.2.0/32', '192.0.2.15/32', '192.0.2.32/32', '192.0.2.35/32'],
    probeLength: 32,
  },
];

type Command =
  | { kind: 'allocate'; length: number }
  | { kind: 'address' }
  | { kind: 'specific'; offset: bigint; length: number }
  | { kind: 'release'; pick: number }
  | { kind: 'release-any'; offset: bigint; length: number };

function commands(scenario: Scenario): fc.Arbitrary<Command[]> {
  const length = fc.integer({ min: scenario.shortest, max: scenario.width });
  const offset = fc.bigInt({ min: 0n, max: (1n << scenario.span) - 1n });
  const command: fc.Arbitrary<Command> = fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('allocate' as const), length }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('address' as const) }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('specific' as const), offset, length }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('release-any' as const), offset, length }), weight: 1 },
  );
  return fc.array(command, { maxLength: 80 });
}

const intervalOf = (cidr: string): Interval => {
  const parsed = parseCidr(cidr);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return cidrToInterval(parsed.value);
};
const rangeOf = (range: AddressRange): Interval => {
  const [start, end] = [parseAddress(range.start), parseAddress(range.end)];
  if (!start.ok || !end.ok) throw new Error(`bad range ${range.start}-${range.end}`);
  return { family: start.value.family, start: start.value.value, end: end.value.value };
};
const overlap = (a: Interval, b: Interval) => a.start <= b.end && b.start <= a.end;
const size = (a: Interval) => a.end - a.start + 1n;

/** Independent model of the pool: plain interval lists, no trie. */
class Model {
  readonly members: Interval[];
  readonly reserved: Interval[];
  readonly live = new Map<string, Interval>();

  constructor(private readonly scenario: Scenario) {
    const { spec } = scenario;
    const entryOf = (entry: string | AddressRange) => (typeof entry === 'string' ? intervalOf(entry) : rangeOf(entry));
    this.members = union([...(spec.prefixes ?? []), ...(spec.ranges ?? [])].map(entryOf));
    const reserved = (spec.reserved ?? []).map(entryOf).flatMap((r) => this.members.map((m) => clip(r, m)));
    this.reserved = union(reserved.filter((r): r is Interval => r !== null));
  }

  block(offset: bigint, length: number): string {
    const address = (this.scenario.base + offset) & ~hostMask(this.scenario.width, length);
    return formatCidr({ family: this.scenario.width === 32 ? 'ipv4' : 'ipv6', value: address, length });
  }

  /** What allocateSpecific must answer for a block, by the priority outside > reserved > allocated. */
  verdict(cidr: string): 'ok' | 'outside-pool' | 'overlaps-reserved' | 'overlaps-allocated' {
    const block = intervalOf(cidr);
    if (!this.members.some((m) => m.start <= block.start && block.end <= m.end)) return 'outside-pool';
    if (this.reserved.some((r) => overlap(r, block)) || this.scenario.edges.includes(cidr)) return 'overlaps-reserved';
    if ([...this.live.values()].some((a) => overlap(a, block))) return 'overlaps-allocated';
    return 'ok';
  }

  used(): bigint {
    return [...this.live.values()].reduce((sum, a) => sum + size(a), 0n);
  }
}

function union(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const merged: Interval[] = [];
  for (const next of sorted) {
    const last = merged.at(-1);
    if (last && next.start <= last.end + 1n) last.end = last.end > next.end ? last.end : next.end;
    else merged.push({ ...next });
  }
  return merged;
}

function clip(a: Interval, b: Interval): Interval | null {
  const start = a.start > b.start ? a.start : b.start;
  const end = a.end < b.end ? a.end : b.end;
  return start <= end ? { family: a.family, start, end } : null;
}

function create(spec: PoolSpec): AddressPool {
  const created = AddressPool.create(spec);
  if (!created.ok) throw new Error(created.error.message);
  return created.value;
}

function apply(pool: AddressPool, model: Model, command: Command): void {
  if (command.kind === 'release') {
    const live = [...model.live.keys()];
    const cidr = live[command.pick % Math.max(live.length, 1)];
    if (cidr === undefined) return;
    expect(pool.release(cidr)).toEqual({ ok: true, value: undefined });
    model.live.delete(cidr);
    return;
  }
  if (command.kind === 'release-any') {
    const cidr = model.block(command.offset, command.length);
    expect(pool.release(cidr).ok).toBe(model.live.has(cidr));
    model.live.delete(cidr);
    return;
  }
  if (command.kind === 'specific') {
    const cidr = model.block(command.offset, command.length);
    const verdict = model.verdict(cidr);
    const result = pool.allocateSpecific(cidr);
    expect(result.ok ? 'ok' : result.error.reason).toBe(verdict);
    if (result.ok) model.live.set(cidr, intervalOf(cidr));
    return;
  }
  const result = command.kind === 'address' ? pool.allocateAddress() : pool.allocate(command.length);
  if (!result.ok) {
    expect(result.error.reason).toBe('exhausted');
    return;
  }
  expect(model.verdict(result.value)).toBe('ok');
  model.live.set(result.value, intervalOf(result.value));
}

function count(pool: AddressPool, length: number): number {
  let handed = 0;
  while (pool.allocate(length).ok) handed += 1;
  return handed;
}

describe.each(scenarios)('AddressPool over $name, after any sequence of operations', (scenario) => {
  const freshUtilisation = create(scenario.spec).utilisation();
  const freshCount = count(create(scenario.spec), scenario.probeLength);

  it('answers allocateSpecific exactly as an interval model does', () => {
    fc.assert(
      fc.property(commands(scenario), (sequence) => {
        const pool = create(scenario.spec);
        const model = new Model(scenario);
        for (const command of sequence) apply(pool, model, command);
      }),
    );
  });

  it('keeps live allocations disjoint, inside the pool, clear of reserved ranges, and counted', () => {
    fc.assert(
      fc.property(commands(scenario), (sequence) => {
        const pool = create(scenario.spec);
        const model = new Model(scenario);
        for (const command of sequence) apply(pool, model, command);
        const live = pool.allocations();
        const intervals = live.map(intervalOf);
        expect(new Set(live)).toEqual(new Set(model.live.keys()));
        intervals.slice(1).forEach((next, i) => expect((intervals[i] as Interval).end).toBeLessThan(next.start));
        for (const cidr of live) {
          expect(pool.contains(cidr)).toBe(true);
          expect(pool.isAllocated(cidr)).toBe(true);
          expect(model.reserved.some((r) => overlap(r, intervalOf(cidr)))).toBe(false);
        }
        const utilisation = pool.utilisation();
        expect(utilisation.used).toBe(intervals.reduce((sum, a) => sum + size(a), 0n));
        expect(utilisation.used).toBe(model.used());
        expect(utilisation.total).toBe(model.members.reduce((sum, a) => sum + size(a), 0n));
        expect(utilisation.reserved).toBe(model.reserved.reduce((sum, a) => sum + size(a), 0n));
        expect(utilisation.free).toBe(utilisation.total - utilisation.reserved - utilisation.used);
      }),
    );
  });

  it('rebuilds the same pool from its allocations replayed in any order', () => {
    fc.assert(
      fc.property(commands(scenario), fc.nat(), (sequence, seed) => {
        const pool = create(scenario.spec);
        const model = new Model(scenario);
        for (const command of sequence) apply(pool, model, command);
        const live = pool.allocations();
        const order = live.map((cidr, i) => ({ cidr, key: (i * 2654435761 + seed) % 1000003 })).sort((a, b) => a.key - b.key);
        const rebuilt = create(scenario.spec);
        for (const { cidr } of order) expect(rebuilt.allocateSpecific(cidr)).toEqual({ ok: true, value: cidr });
        expect(rebuilt.allocations()).toEqual(live);
        expect(rebuilt.utilisation()).toEqual(pool.utilisation());
      }),
    );
  });

  it('gives the whole free space back once everything is released', () => {
    fc.assert(
      fc.property(commands(scenario), (sequence) => {
        const pool = create(scenario.spec);
        const model = new Model(scenario);
        for (const command of sequence) apply(pool, model, command);
        for (const cidr of pool.allocations()) expect(pool.release(cidr).ok).toBe(true);
        expect(pool.utilisation()).toEqual(freshUtilisation);
        expect(count(pool, scenario.probeLength)).toBe(freshCount);
      }),
    );
  });
});
