import { fail, ok, poolMapCells, poolMapLimits, type Owner, type PoolMap, type PoolMapBlock, type Result } from '@netbroker/contracts';
import { formatCidr, parseCidr, widthOf, type Cidr } from './address';
import type { AddressPool } from './pool';
import type { LeafKind } from './trie';

export interface MapRequest {
  /** The window: a CIDR of the pool's family that overlaps the pool. Default: the pool's extent. */
  window?: string;
  /** 4^j up to 4096 (default 4096); fewer when the window has fewer addresses than that. */
  cells?: number;
  /** Blocks listed at most (default 256, at most 1000; 0: none). */
  limit?: number;
}

/** An allocation with its owner, as the ipam's view holds it. */
export interface OwnedCidr {
  cidr: string;
  owner: Owner;
}

/**
 * Who looks: the admin sees every block with its owner (`ownerOf` names the blocks listed); a
 * tenant sees its part of each cell and only its own blocks, unnamed (`own`: its allocations in
 * the pool).
 */
export type MapViewer = { kind: 'admin'; ownerOf: (cidr: string) => Owner | undefined } | { kind: 'tenant'; own: Iterable<OwnedCidr> };

const MAX_CELLS = 4096;

interface Owned {
  cidr: Cidr;
  owner?: Owner;
}

/**
 * The map of a window of a pool, from the allocator's trie: per cell the thousandths allocated,
 * reserved and free, the totals in addresses, and the blocks the viewer may name. Pure. Costs one
 * walk of the trie under the window (plus, for the admin's blocks, the nodes above the longest
 * block listed; for a tenant, its own allocations).
 */
export function mapPool(name: string, pool: AddressPool, viewer: MapViewer, request: MapRequest = {}): Result<PoolMap> {
  const window = windowOf(pool, request.window);
  if (!window.ok) return window;
  const cells = request.cells ?? MAX_CELLS;
  if (!(poolMapCells as readonly number[]).includes(cells)) return fail('invalid-request', `cells ${cells} is not one of ${poolMapCells.join(', ')}`);
  const limit = request.limit ?? poolMapLimits.default;
  if (!Number.isInteger(limit) || limit < 0 || limit > poolMapLimits.max) return fail('invalid-request', `limit ${limit} is not an integer between 0 and ${poolMapLimits.max}`);

  const width = widthOf(pool.family);
  const { length } = window.value;
  const cellLength = length + 2 * Math.min(Math.log2(cells) / 2, Math.floor((width - length) / 2));
  const survey = pool.survey(window.value, cellLength, viewer.kind === 'admin' ? limit : 0);
  const { allocated, reserved, free } = survey.counts;
  const text = formatCidr(window.value);
  if (sum(allocated) + sum(reserved) + sum(free) === 0n) return fail('outside-pool', `the window ${text} does not overlap pool ${name}`);

  const own = viewer.kind === 'tenant' ? ownOf(viewer.own, window.value, cellLength) : undefined;
  const shares = sharesOf(survey.counts, own?.counts, 1n << BigInt(width - cellLength));

  // A tenant's blocks are its own; the admin's are the trie's largest allocated leaves, named once chosen.
  const listed: Owned[] = own ? firstBlocks(own.blocks, limit) : survey.allocated.blocks.map((cidr) => ({ cidr }));
  const blocks = listed.map(({ cidr, owner }) => {
    const at = formatCidr(cidr);
    return blockOf(at, viewer.kind === 'admin' ? viewer.ownerOf(at) : owner, viewer.kind === 'admin');
  });
  return ok({
    pool: name,
    family: pool.family === 'ipv4' ? 4 : 6,
    window: text,
    cellPrefixLength: cellLength,
    cells: allocated.length,
    allocated: shares.allocated,
    ...(shares.own ? { own: shares.own } : {}),
    reserved: shares.reserved,
    free: shares.free,
    totals: {
      size: (1n << BigInt(width - length)).toString(),
      allocated: sum(allocated).toString(),
      ...(own ? { own: sum(own.counts).toString() } : {}),
      reserved: sum(reserved).toString(),
      free: sum(free).toString(),
    },
    blocks,
    truncated: (own ? own.blocks.length : survey.allocated.total) > blocks.length,
  });
}

/**
 * The thousandths of each cell. With the viewer's own counts a cell is split five ways (own,
 * others, reserved, free, outside), so that the viewer's part and the others' each show when
 * non-zero; `allocated` is then own + others.
 */
function sharesOf(counts: Record<LeafKind, bigint[]>, own: bigint[] | undefined, cellSize: bigint): { allocated: number[]; own?: number[]; reserved: number[]; free: number[] } {
  const shares = { allocated: [] as number[], reserved: [] as number[], free: [] as number[] };
  const ownShares: number[] = [];
  counts.allocated.forEach((allocated, i) => {
    const rest = [counts.reserved[i] as bigint, counts.free[i] as bigint, counts.outside[i] as bigint];
    const mine = own?.[i] ?? 0n;
    const parts = own ? [mine, allocated > mine ? allocated - mine : 0n, ...rest] : [allocated, ...rest];
    const split = thousandths(parts, cellSize);
    if (own) ownShares.push(split.shift() as number);
    shares.allocated.push((own ? (ownShares[i] as number) : 0) + (split[0] as number));
    shares.reserved.push(split[1] as number);
    shares.free.push(split[2] as number);
  });
  return own ? { ...shares, own: ownShares } : shares;
}

function windowOf(pool: AddressPool, text: string | undefined): Result<Cidr> {
  if (text === undefined) return ok(pool.extent());
  const parsed = parseCidr(text);
  if (parsed.ok && parsed.value.family !== pool.family) return fail('wrong-family', `the window ${text} is ${parsed.value.family} but the pool is ${pool.family}`);
  return parsed;
}

/** Cells up to this size are split in doubles: `part × 1000` stays an exact integer. */
const EXACT_CELL = 2n ** 43n;

/**
 * Splits 1000 between parts that add up to `size` (largest remainder), every non-zero part at
 * least 1: the thousandths of one cell. The result adds up to exactly 1000 (0s for an empty size).
 */
export function thousandths(parts: bigint[], size: bigint): number[] {
  if (size <= 0n) return parts.map(() => 0);
  const shares: number[] = [];
  const fractions: number[] = [];
  if (size <= EXACT_CELL) {
    const whole = Number(size);
    for (const part of parts) {
      const scaled = Number(part) * 1000;
      let share = Math.floor(scaled / whole);
      let rest = scaled - share * whole;
      if (rest < 0) [share, rest] = [share - 1, rest + whole];
      else if (rest >= whole) [share, rest] = [share + 1, rest - whole];
      shares.push(share);
      fractions.push(rest / whole);
    }
  } else {
    for (const part of parts) {
      shares.push(Number((part * 1000n) / size));
      fractions.push(Number((part * 1000n) % size) / Number(size));
    }
  }
  parts.forEach((part, i) => {
    if (part > 0n && shares[i] === 0) {
      shares[i] = 1;
      fractions[i] = -1;
    }
  });
  let total = shares.reduce((a, b) => a + b, 0);
  for (; total < 1000; total++) {
    const i = indexOfMax(fractions);
    if ((fractions[i] as number) <= 0) break; // the parts do not add up to size
    shares[i] = (shares[i] as number) + 1;
    fractions[i] = -1;
  }
  for (; total > 1000; total--) {
    const i = indexOfMax(shares);
    shares[i] = (shares[i] as number) - 1;
  }
  return shares;
}

function indexOfMax(values: number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

const sum = (values: bigint[]): bigint => values.reduce((a, b) => a + b, 0n);

/** The viewer's allocations overlapping the window, and the addresses they hold in each cell. */
function ownOf(own: Iterable<OwnedCidr>, window: Cidr, cellLength: number): { counts: bigint[]; blocks: Owned[] } {
  const width = widthOf(window.family);
  const counts = new Array<bigint>(2 ** (cellLength - window.length)).fill(0n);
  const cellSize = 1n << BigInt(width - cellLength);
  const blocks: Owned[] = [];
  for (const { cidr, owner } of own) {
    const parsed = parseCidr(cidr);
    if (!parsed.ok || parsed.value.family !== window.family) continue;
    const block = parsed.value;
    const shorter = Math.min(block.length, window.length);
    if ((block.value ^ window.value) >> BigInt(width - shorter) !== 0n) continue;
    blocks.push({ cidr: block, owner });
    if (block.length <= window.length) {
      counts.fill(cellSize);
      continue;
    }
    const first = Number((block.value - window.value) >> BigInt(width - cellLength));
    if (block.length >= cellLength) counts[first] = (counts[first] as bigint) + (1n << BigInt(width - block.length));
    else counts.fill(cellSize, first, first + 2 ** (cellLength - block.length));
  }
  return { counts, blocks };
}

/** The first `limit` blocks, largest first, then by address. */
function firstBlocks(blocks: Owned[], limit: number): Owned[] {
  const byLength: Owned[][] = [];
  for (const block of blocks) (byLength[block.cidr.length] ??= []).push(block);
  const first: Owned[] = [];
  for (const list of byLength) {
    if (first.length >= limit) break;
    if (!list) continue;
    list.sort((a, b) => (a.cidr.value < b.cidr.value ? -1 : a.cidr.value > b.cidr.value ? 1 : 0));
    first.push(...list.slice(0, limit - first.length));
  }
  return first;
}

function blockOf(cidr: string, owner: Owner | undefined, named: boolean): PoolMapBlock {
  return {
    cidr,
    ...(named && owner ? { tenant: owner.tenant } : {}),
    ...(owner?.project !== undefined ? { project: owner.project } : {}),
    ...(owner ? { purpose: owner.purpose } : {}),
  };
}
