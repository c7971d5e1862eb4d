import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hilbertIndex, hilbertPoint, sideOf } from './hilbert';

describe('the Hilbert curve', () => {
  it.each([
    [2, [[0, 0], [0, 1], [1, 1], [1, 0]]],
    [4, [[0, 0], [1, 0], [1, 1], [0, 1], [0, 2], [0, 3], [1, 3], [1, 2], [2, 2], [2, 3], [3, 3], [3, 2], [3, 1], [2, 1], [2, 0], [3, 0]]],
  ])('visits a %i×%i grid in the textbook order', (side, order) => {
    expect(Array.from({ length: side * side }, (_, d) => hilbertPoint(side, d))).toEqual(order);
  });

  it.each([1, 2, 4, 8, 16, 32, 64])('visits every cell of a %i-wide grid once, each step to a neighbour', (side) => {
    const seen = new Set<string>();
    let previous: [number, number] | undefined;
    for (let d = 0; d < side * side; d++) {
      const [x, y] = hilbertPoint(side, d);
      expect(x >= 0 && y >= 0 && x < side && y < side).toBe(true);
      seen.add(`${x},${y}`);
      if (previous) expect(Math.abs(previous[0] - x) + Math.abs(previous[1] - y)).toBe(1);
      previous = [x, y];
    }
    expect(seen.size).toBe(side * side);
  });

  it('hilbertIndex inverts hilbertPoint', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.nat(), (order, n) => {
        const side = 2 ** order;
        const d = n % (side * side);
        const [x, y] = hilbertPoint(side, d);
        expect(hilbertIndex(side, x, y)).toBe(d);
      }),
    );
  });

  it('lays each aligned run of 4^j cells out as a square (a zoom target is a square on the screen)', () => {
    const side = 64;
    for (const run of [4, 16, 256]) {
      for (let first = 0; first < side * side; first += run) {
        const points = Array.from({ length: run }, (_, i) => hilbertPoint(side, first + i));
        const xs = points.map((p) => p[0]);
        const ys = points.map((p) => p[1]);
        expect(Math.max(...xs) - Math.min(...xs) + 1).toBe(Math.sqrt(run));
        expect(Math.max(...ys) - Math.min(...ys) + 1).toBe(Math.sqrt(run));
      }
    }
  });

  it.each([
    [1, 1],
    [4, 2],
    [256, 16],
    [4096, 64],
  ])('a map of %i cells is %i cells wide', (cells, side) => {
    expect(sideOf(cells)).toBe(side);
  });
});
