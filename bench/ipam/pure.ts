// The pure half of the ipam benchmark: W1 (carve every /24) and W2 (fragmentation under churn).
// No printing and no exit here: bench/ipam/main.ts prints `rows` and the figures.
import { AddressPool, parseCidr, presets } from '@netbroker/ipam';
import { mulberry32 } from '@netbroker/testing';
import { excludeCidr } from 'cidr-tools';
import { IPv4CidrRange, IPv4Prefix, Pool } from 'ip-num';
import { median, round } from '../stats';

type Row = Record<string, string | number>;
type FillFigures = { p10: number; p50: number; p90: number };

const W1_POOL = '10.0.0.0/8';
const W1_PRESET = 'ovh-mks-free' as const;
const FILL_POINTS = { p10: 0.1, p50: 0.5, p90: 0.9 } as const;
/** Operations timed around each fill point. */
const WINDOW = 1000;
/** Naive allocations timed at each fill point: each recomputes the whole free set. */
const NAIVE_SAMPLES = 20;

export interface W1Result {
  count: number;
  /** Median total over the measured rounds, after one warm-up round. */
  ms: number;
  /** Median µs per allocation around 10%, 50% and 90% fill. */
  perOpUs: FillFigures;
  p90OverP10: number;
  /** Their time per allocation / ours: > 1 means we are faster. */
  vsIpNum: number;
  vsNaive: number;
  rows: Row[];
}

function poolOrThrow(spec: Parameters<typeof AddressPool.create>[0]): AddressPool {
  const created = AddressPool.create(spec);
  if (!created.ok) throw new Error(created.error.message);
  return created.value;
}

/** /24s of the pool that no reserved entry touches, counted independently of the allocator. */
function expectedW1Count(): number {
  const pool = parseCidr(W1_POOL);
  if (!pool.ok) throw new Error(pool.error.message);
  const first = pool.value.value >> 8n;
  const touched = new Set<bigint>();
  for (const text of presets[W1_PRESET]) {
    const reserved = parseCidr(text);
    if (!reserved.ok || reserved.value.family !== 'ipv4') continue;
    const start = reserved.value.value >> 8n;
    const end = (reserved.value.value + (1n << BigInt(32 - reserved.value.length)) - 1n) >> 8n;
    for (let block = start; block <= end; block++) if (block - first >= 0n && block - first < 1n << 16n) touched.add(block);
  }
  return 2 ** 16 - touched.size;
}

/** Carves /24s until exhausted; with `timed`, also records each allocation's duration (µs). */
function carveOurs(timed: boolean): { blocks: string[]; ms: number; opUs: number[] } {
  const pool = poolOrThrow({ prefixes: [W1_POOL], presets: [W1_PRESET] });
  const blocks: string[] = [];
  const opUs: number[] = [];
  const start = performance.now();
  for (;;) {
    const before = timed ? performance.now() : 0;
    const result = pool.allocate(24);
    if (timed) opUs.push((performance.now() - before) * 1000);
    if (!result.ok) break;
    blocks.push(result.value);
  }
  opUs.pop();
  return { blocks, ms: performance.now() - start, opUs };
}

/** Median of the WINDOW operations centred on each fill point. */
function aroundFillPoints(opUs: number[]): FillFigures {
  const at = (fraction: number) => {
    const centre = Math.floor(opUs.length * fraction);
    return median(opUs.slice(Math.max(0, centre - WINDOW / 2), centre + WINDOW / 2));
  };
  return { p10: at(FILL_POINTS.p10), p50: at(FILL_POINTS.p50), p90: at(FILL_POINTS.p90) };
}

/**
 * ip-num `Pool.getCidrRange` over the same free space. Its `aggregate()` (called by every
 * getCidrRange) throws once a pool holds two ranges that are not CIDRs, so the free space is one
 * ip-num Pool per free CIDR, used in ascending order; each stays a single range while carving.
 */
function carveIpNum(): { count: number; ms: number; opUs: number[] } {
  const free = excludeCidr([W1_POOL], presets[W1_PRESET]);
  const pools = free.map((cidr) => Pool.fromCidrRanges([IPv4CidrRange.fromCidr(cidr)]));
  const prefix = IPv4Prefix.fromNumber(24n);
  const opUs: number[] = [];
  const start = performance.now();
  for (const pool of pools) {
    for (;;) {
      const before = performance.now();
      try {
        pool.getCidrRange(prefix);
      } catch {
        break;
      }
      opUs.push((performance.now() - before) * 1000);
    }
  }
  return { count: opUs.length, ms: performance.now() - start, opUs };
}

/** First fit that recomputes the free set with cidr-tools on every call. */
function naiveAllocate(allocated: string[], length: number): string | null {
  const free = excludeCidr([W1_POOL], [...presets[W1_PRESET], ...allocated]);
  for (const cidr of free) {
    const [address, prefix] = cidr.split('/');
    if (address !== undefined && Number(prefix ?? 32) <= length) return `${address}/${length}`;
  }
  return null;
}

/**
 * The naive allocator at each fill point: its state is the first k blocks (the same ascending
 * sequence first fit produces, checked below), then NAIVE_SAMPLES timed allocations.
 */
function sampleNaive(sequence: string[]): FillFigures {
  const at = (fraction: number) => {
    const k = Math.floor(sequence.length * fraction);
    const allocated = sequence.slice(0, k);
    const opUs: number[] = [];
    for (let i = 0; i < NAIVE_SAMPLES; i++) {
      const before = performance.now();
      const block = naiveAllocate(allocated, 24);
      opUs.push((performance.now() - before) * 1000);
      if (block !== sequence[k + i]) throw new Error(`naive allocator diverged: ${block} instead of ${sequence[k + i]}`);
      allocated.push(block);
    }
    return median(opUs);
  };
  return { p10: at(FILL_POINTS.p10), p50: at(FILL_POINTS.p50), p90: at(FILL_POINTS.p90) };
}

const mean = (figures: FillFigures) => (figures.p10 + figures.p50 + figures.p90) / 3;

export function runW1(opts: { rounds: number; seed: number }): W1Result {
  const expected = expectedW1Count();
  carveOurs(false);
  const totals: number[] = [];
  const fills: FillFigures[] = [];
  let blocks: string[] = [];
  for (let round = 0; round < Math.max(1, opts.rounds); round++) {
    const untimed = carveOurs(false);
    if (untimed.blocks.length !== expected) throw new Error(`W1 carved ${untimed.blocks.length} /24s, expected ${expected}`);
    totals.push(untimed.ms);
    fills.push(aroundFillPoints(carveOurs(true).opUs));
    blocks = untimed.blocks;
  }
  const ms = median(totals);
  const perOpUs = { p10: median(fills.map((f) => f.p10)), p50: median(fills.map((f) => f.p50)), p90: median(fills.map((f) => f.p90)) };
  const ipNum = carveIpNum();
  if (ipNum.count !== expected) throw new Error(`ip-num carved ${ipNum.count} /24s, expected ${expected}`);
  const ipNumFills = aroundFillPoints(ipNum.opUs);
  const naive = sampleNaive(blocks);
  const figures = {
    count: expected,
    ms: round(ms),
    perOpUs: { p10: round(perOpUs.p10, 3), p50: round(perOpUs.p50, 3), p90: round(perOpUs.p90, 3) },
    p90OverP10: round(perOpUs.p90 / perOpUs.p10),
    vsIpNum: round(ipNum.ms / ms, 1),
    vsNaive: round(mean(naive) / mean(perOpUs), 0),
  };
  const rows = w1Rows({ ...figures, rounds: opts.rounds, ipNum: { ms: ipNum.ms, fills: ipNumFills }, naive });
  return { ...figures, rows };
}

function w1Rows(r: Omit<W1Result, 'rows'> & { rounds: number; ipNum: { ms: number; fills: FillFigures }; naive: FillFigures }): Row[] {
  const fillColumns = (f: FillFigures) => ({ 'µs/op @10%': round(f.p10, 3), 'µs/op @50%': round(f.p50, 3), 'µs/op @90%': round(f.p90, 3), 'p90/p10': round(f.p90 / f.p10) });
  return [
    { allocator: 'netbroker trie, best fit', measured: `all ${r.count} /24s, median of ${r.rounds} rounds after a warm-up`, 'total ms': r.ms, ...fillColumns(r.perOpUs), 'their time / ours': 1 },
    { allocator: 'ip-num Pool.getCidrRange', measured: `all ${r.count} /24s, 1 round; one Pool per free CIDR`, 'total ms': round(r.ipNum.ms), ...fillColumns(r.ipNum.fills), 'their time / ours': r.vsIpNum },
    {
      allocator: 'naive cidr-tools excludeCidr',
      measured: `${NAIVE_SAMPLES} ops at each fill point; total EXTRAPOLATED from their mean`,
      'total ms': `~${Math.round((mean(r.naive) * r.count) / 1000)} (extrapolated)`,
      ...fillColumns(r.naive),
      'their time / ours': r.vsNaive,
    },
  ];
}

// ---------------------------------------------------------------------------------------------

export interface W2Result {
  /** Allocations and releases in the churn phase. */
  ops: number;
  opsPerSec: number;
  occupancy: number;
  requests: number;
  refused: number;
  /** Refused with 'exhausted' although the total free space was at least the request size. */
  refusedWithSpace: number;
  fragments: number;
  largestFreePrefixLength: number | null;
  rows: Row[];
}

const W2_TARGET = 0.7;
const W2_CHURN_OPS = 200_000;

class Churn {
  readonly live: Array<{ cidr: string; size: number }> = [];
  used = 0;
  requests = 0;
  refused = 0;
  refusedWithSpace = 0;

  constructor(
    readonly pool: AddressPool,
    readonly total: number,
    private readonly random: () => number,
  ) {}

  allocate(): void {
    const length = 16 + Math.floor(this.random() * 13);
    const size = 2 ** (32 - length);
    this.requests += 1;
    const result = this.pool.allocate(length);
    if (result.ok) {
      this.live.push({ cidr: result.value, size });
      this.used += size;
      return;
    }
    if (result.error.reason !== 'exhausted') throw new Error(result.error.message);
    this.refused += 1;
    if (this.total - this.used >= size) this.refusedWithSpace += 1;
  }

  release(): void {
    const index = Math.floor(this.random() * this.live.length);
    const victim = this.live[index];
    const last = this.live.pop();
    if (!victim || !last) return;
    if (victim !== last) this.live[index] = last;
    const released = this.pool.release(victim.cidr);
    if (!released.ok) throw new Error(released.error.message);
    this.used -= victim.size;
  }

  /** Counts only the churn phase, not the initial fill. */
  resetCounters(): void {
    this.requests = 0;
    this.refused = 0;
    this.refusedWithSpace = 0;
  }

  step(): void {
    if (this.used / this.total > W2_TARGET) this.release();
    else this.allocate();
  }
}

export function runW2(opts: { seed: number }): W2Result {
  const pool = poolOrThrow({ prefixes: [W1_POOL] });
  const churn = new Churn(pool, 2 ** 24, mulberry32(opts.seed));
  while (churn.used / churn.total <= W2_TARGET) churn.allocate();
  churn.resetCounters();
  const start = performance.now();
  for (let op = 0; op < W2_CHURN_OPS; op++) churn.step();
  const seconds = (performance.now() - start) / 1000;
  const utilisation = pool.utilisation();
  if (Number(utilisation.used) !== churn.used) throw new Error(`pool reports ${utilisation.used} used, the bench counted ${churn.used}`);
  const figures = {
    ops: W2_CHURN_OPS,
    opsPerSec: Math.round(W2_CHURN_OPS / seconds),
    occupancy: round(churn.used / churn.total, 3),
    requests: churn.requests,
    refused: churn.refused,
    refusedWithSpace: churn.refusedWithSpace,
    fragments: utilisation.freeFragments,
    largestFreePrefixLength: utilisation.largestFreePrefixLength,
  };
  const rows: Row[] = [
    { metric: 'churn ops (allocate /16–/28 uniformly, or release a random live block)', value: figures.ops },
    { metric: 'ops/s', value: figures.opsPerSec },
    { metric: 'occupancy at the end', value: figures.occupancy },
    { metric: 'allocation requests / refused', value: `${figures.requests} / ${figures.refused}` },
    { metric: "refused 'exhausted' with total free space >= request", value: figures.refusedWithSpace },
    { metric: 'free fragments (maximal free aligned blocks) at the end', value: figures.fragments },
    { metric: 'largest free block at the end', value: figures.largestFreePrefixLength === null ? 'none' : `/${figures.largestFreePrefixLength}` },
  ];
  return { ...figures, rows };
}
