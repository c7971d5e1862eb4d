// The map's colours, one place for the canvas and the legend. Chosen apart by lightness as well as
// hue (blue and orange for the two kinds of use tell apart with any colour vision; free is light),
// each used colour at least 4.5:1 against white (palette.spec.ts checks it). Pure.

import type { Category } from './cells';

type Rgb = readonly [number, number, number];

export const colours: Record<Category, Rgb> = {
  own: [0x1d, 0x4e, 0xd8],
  others: [0xc2, 0x41, 0x0c],
  reserved: [0x4b, 0x55, 0x63],
  free: [0x86, 0xd8, 0x9c],
  outside: [0xff, 0xff, 0xff],
};

/** The hatching drawn over "outside" cells (and the legend's swatch), and the focus ring. */
export const hatch: Rgb = [0x9c, 0xa3, 0xaf];
export const ring: Rgb = [0x11, 0x18, 0x27];

export const css = ([r, g, b]: Rgb): string => `rgb(${r}, ${g}, ${b})`;

/** A colour at `intensity` (0..1) over white. */
export function shade(c: Rgb, intensity: number): string {
  const mix = (v: number) => Math.round(255 + (v - 255) * intensity);
  return css([mix(c[0]), mix(c[1]), mix(c[2])]);
}

/** WCAG 2 relative luminance and contrast ratio. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
