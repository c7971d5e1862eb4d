// What one cell of the map shows: its shares of the kinds of space (thousandths, as the API
// gives them), the colour it takes and how strongly, and the sentence read out for it. Pure.

import type { PoolMap } from '../types';
import { formatPrefix, overlaps, parsePrefix, type Prefix } from './cidr';

export type Category = 'own' | 'others' | 'reserved' | 'free' | 'outside';

/** Thousandths of a cell's addresses of each kind; they add up to 1000 (give or take rounding). */
export type Shares = Record<Category, number>;

/** The shares of cell `i`: `allocated` counts everyone's, so "used by others" is allocated − own. */
export function sharesOf(map: Pick<PoolMap, 'allocated' | 'own' | 'reserved' | 'free'>, i: number): Shares {
  const allocated = map.allocated[i] ?? 0;
  const own = Math.min(allocated, map.own?.[i] ?? 0);
  const reserved = map.reserved[i] ?? 0;
  const free = map.free[i] ?? 0;
  return { own, others: allocated - own, reserved, free, outside: Math.max(0, 1000 - allocated - reserved - free) };
}

/**
 * The colour a cell takes: the first kind present of yours, used (by others), reserved, free —
 * so one of your addresses in a cell is never hidden by the free space around it — with an
 * intensity by that kind's share (at least 0.35, so a sliver still shows). Outside: no pool here.
 */
export function cellLook(s: Shares): { category: Category; intensity: number } {
  for (const category of ['own', 'others', 'reserved', 'free'] as const) {
    if (s[category] > 0) return { category, intensity: 0.35 + (0.65 * Math.min(1000, s[category])) / 1000 };
  }
  return { category: 'outside', intensity: 1 };
}

/** Thousandths as a percentage with one decimal (`1` → `0.1%`). */
export const percent = (thousandths: number): string => `${(thousandths / 10).toFixed(1)}%`;

type Block = PoolMap['blocks'][number];

/** Who holds a block, in words: `acme/web (cidr)` for the admin, `web (cidr)` for the tenant's own. */
export const blockOwner = (b: Block): string => {
  const who = [b.tenant, b.project].filter((x) => x !== undefined).join('/');
  return `${who || 'unnamed'}${b.purpose !== undefined ? ` (${b.purpose})` : ''}`;
};

/** The listed blocks that overlap a cell. */
export function blocksIn(blocks: readonly Block[], cell: Prefix): Block[] {
  return blocks.filter((b) => {
    const p = parsePrefix(b.cidr);
    return p !== undefined && overlaps(p, cell);
  });
}

/** The sentence the live region reads for a cell: its block, what it holds, and named blocks in it. */
export function describeCell(cell: Prefix, s: Shares, named: readonly Block[], tenantView: boolean): string {
  const parts: string[] = [];
  const used = s.own + s.others;
  if (tenantView) {
    if (s.own) parts.push(`${percent(s.own)} yours`);
    if (s.others) parts.push(`${percent(s.others)} used by others`);
  } else if (used) parts.push(`${percent(used)} allocated`);
  if (s.reserved) parts.push(`${percent(s.reserved)} reserved`);
  if (s.free) parts.push(`${percent(s.free)} free`);
  if (s.outside) parts.push(`${percent(s.outside)} outside the pool`);
  const listed = named.slice(0, 3).map((b) => `${b.cidr} ${blockOwner(b)}`);
  if (named.length > 3) listed.push(`${named.length - 3} more`);
  return `${formatPrefix(cell)}: ${parts.join(', ') || 'empty'}${listed.length ? `. Blocks: ${listed.join('; ')}` : ''}.`;
}
