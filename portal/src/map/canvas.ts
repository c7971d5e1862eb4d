// Draws a pool map on one <canvas>: each cell a square on the Hilbert curve, its colour by kind
// and share (cells.ts, palette.ts), the highlighted cell ringed and the block a zoom would open
// outlined. One fillRect per cell: 4096 cells draw in a few milliseconds however many allocations
// the window holds.

import type { PoolMap } from '../types';
import { cellLook, sharesOf } from './cells';
import { cellOf, parsePrefix, type Prefix } from './cidr';
import { hilbertIndex, hilbertPoint, sideOf } from './hilbert';
import { colours, css, hatch, ring, shade } from './palette';

const points = new Map<number, Array<[number, number]>>();
/** The (x, y) of every cell of a side×side curve (computed once per size). */
function pointsOf(side: number): Array<[number, number]> {
  let p = points.get(side);
  if (!p) {
    p = Array.from({ length: side * side }, (_, d) => hilbertPoint(side, d));
    points.set(side, p);
  }
  return p;
}

/** The cell under a point of the canvas (CSS pixels), or undefined outside it. */
export function cellAt(canvas: HTMLCanvasElement, cells: number, clientX: number, clientY: number): number | undefined {
  const side = sideOf(cells);
  const box = canvas.getBoundingClientRect();
  const x = Math.floor(((clientX - box.left) / box.width) * side);
  const y = Math.floor(((clientY - box.top) / box.height) * side);
  if (x < 0 || y < 0 || x >= side || y >= side) return undefined;
  return hilbertIndex(side, x, y);
}

/** The cell next to `index` in a direction (the grid's neighbour, not the curve's), or `index` at an edge. */
export function neighbour(cells: number, index: number, dx: number, dy: number): number {
  const side = sideOf(cells);
  const [x, y] = pointsOf(side)[index]!;
  const nx = Math.min(side - 1, Math.max(0, x + dx));
  const ny = Math.min(side - 1, Math.max(0, y + dy));
  return hilbertIndex(side, nx, ny);
}

/** The cells a zoom target covers: its first index and count (the target lies inside the window). */
export function cellsCovered(window: Prefix, cellLength: number, target: Prefix): { first: number; count: number } {
  const bits = BigInt((window.family === 4 ? 32 : 128) - cellLength);
  return { first: Number((target.base - window.base) >> bits), count: 2 ** (cellLength - target.length) };
}

export function drawMap(canvas: HTMLCanvasElement, map: PoolMap, focus: number | undefined, target: Prefix | undefined): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const cssSize = canvas.clientWidth || 512;
  const scale = window.devicePixelRatio || 1;
  const size = Math.round(cssSize * scale);
  if (canvas.width !== size || canvas.height !== size) {
    canvas.width = size;
    canvas.height = size;
  }
  const side = sideOf(map.cells);
  const cell = size / side;
  const xy = pointsOf(side);
  ctx.clearRect(0, 0, size, size);
  const outside: number[] = [];
  for (let i = 0; i < map.cells; i++) {
    const look = cellLook(sharesOf(map, i));
    const [x, y] = xy[i]!;
    if (look.category === 'outside') outside.push(i);
    ctx.fillStyle = shade(colours[look.category], look.intensity);
    // Whole device pixels (no seams between cells).
    const x0 = Math.round(x * cell);
    const y0 = Math.round(y * cell);
    ctx.fillRect(x0, y0, Math.round((x + 1) * cell) - x0, Math.round((y + 1) * cell) - y0);
  }
  // Outside the pool: hatched, so it never reads as free space.
  ctx.strokeStyle = css(hatch);
  ctx.lineWidth = Math.max(1, scale);
  ctx.beginPath();
  for (const i of outside) {
    const [x, y] = xy[i]!;
    ctx.moveTo(x * cell, (y + 1) * cell);
    ctx.lineTo((x + 1) * cell, y * cell);
  }
  ctx.stroke();
  const window_ = parsePrefix(map.window);
  if (target && window_) {
    // Where Enter goes: the outline of the block a zoom opens.
    const { first, count } = cellsCovered(window_, map.cellPrefixLength, target);
    let [minX, minY, maxX, maxY] = [side, side, -1, -1];
    for (let i = first; i < first + count && i < map.cells; i++) {
      const [x, y] = xy[i]!;
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
    }
    ctx.setLineDash([4 * scale, 3 * scale]);
    ctx.strokeStyle = css(ring);
    ctx.lineWidth = scale;
    ctx.strokeRect(minX * cell + 0.5, minY * cell + 0.5, (maxX - minX + 1) * cell - 1, (maxY - minY + 1) * cell - 1);
    ctx.setLineDash([]);
  }
  if (focus !== undefined && focus < map.cells) {
    const [x, y] = xy[focus]!;
    const w = Math.max(2, 2 * scale);
    ctx.lineWidth = w;
    ctx.strokeStyle = css(ring);
    ctx.strokeRect(x * cell - w / 2, y * cell - w / 2, cell + w, cell + w);
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = Math.max(1, scale);
    ctx.strokeRect(x * cell + w / 2, y * cell + w / 2, Math.max(0, cell - w), Math.max(0, cell - w));
  }
}

/** The prefix of cell `index` of a map. */
export const cellPrefixOf = (map: PoolMap, index: number): Prefix | undefined => {
  const w = parsePrefix(map.window);
  return w ? cellOf(w, map.cellPrefixLength, index) : undefined;
};
