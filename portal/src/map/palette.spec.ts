import { describe, expect, it } from 'vitest';
import { colours, contrast, hatch, ring, shade } from './palette';

const white = [255, 255, 255] as const;

describe('the map’s colours', () => {
  it.each(['own', 'others', 'reserved'] as const)('%s stands out from white at least 4.5:1 (WCAG AA for text, above 3:1 for graphics)', (c) => {
    expect(contrast(colours[c], white)).toBeGreaterThanOrEqual(4.5);
  });

  it.each(['own', 'others', 'reserved'] as const)('%s stands out from free space at least 3:1', (c) => {
    expect(contrast(colours[c], colours.free)).toBeGreaterThanOrEqual(3);
  });

  it('free space is visibly coloured, the hatching of outside visible, the focus ring at least 3:1 on every colour', () => {
    expect(contrast(colours.free, white)).toBeGreaterThanOrEqual(1.5);
    expect(contrast(hatch, white)).toBeGreaterThanOrEqual(2.5);
    for (const c of Object.values(colours)) expect(Math.max(contrast(ring, c), contrast(white, c))).toBeGreaterThanOrEqual(3);
  });

  it.each([
    [1, 'rgb(29, 78, 216)'],
    [0, 'rgb(255, 255, 255)'],
    [0.5, 'rgb(142, 167, 236)'],
  ])('shades a colour at intensity %d over white', (intensity, css) => {
    expect(shade(colours.own, intensity)).toBe(css);
  });

  it('computes the WCAG contrast ratio (black on white is 21:1)', () => {
    expect(contrast([0, 0, 0], white)).toBeCloseTo(21, 5);
  });
});
