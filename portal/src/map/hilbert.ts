// The Hilbert curve: a walk through a side×side grid (side a power of two) that visits every cell
// once, each step to a neighbour. The map lays a window's cells out along it in address order, so
// adjacent address blocks stay adjacent on the screen and every aligned sub-block (a quarter, a
// sixteenth…) is a square.

/** Turns the quadrant so the curve's pieces join end to end. */
function rotate(n: number, x: number, y: number, rx: number, ry: number): [number, number] {
  if (ry !== 0) return [x, y];
  if (rx === 1) return [n - 1 - y, n - 1 - x];
  return [y, x];
}

/** The column and row of the `d`-th cell of the curve. */
export function hilbertPoint(side: number, d: number): [number, number] {
  let x = 0;
  let y = 0;
  let t = d;
  for (let s = 1; s < side; s *= 2) {
    const rx = 1 & (t >> 1);
    const ry = 1 & (t ^ rx);
    [x, y] = rotate(s, x, y, rx, ry);
    x += s * rx;
    y += s * ry;
    t >>= 2;
  }
  return [x, y];
}

/** Which cell of the curve is at column `x`, row `y`: the inverse of hilbertPoint. */
export function hilbertIndex(side: number, x: number, y: number): number {
  let d = 0;
  for (let s = side >> 1; s > 0; s >>= 1) {
    const rx = (x & s) > 0 ? 1 : 0;
    const ry = (y & s) > 0 ? 1 : 0;
    d += s * s * ((3 * rx) ^ ry);
    [x, y] = rotate(side, x, y, rx, ry);
  }
  return d;
}

/** The side of the square grid holding `cells` cells (a power of four). */
export const sideOf = (cells: number): number => Math.round(Math.sqrt(cells));
