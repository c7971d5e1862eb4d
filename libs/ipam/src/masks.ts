/**
 * Bit sets over prefix lengths 0..width+1, stored as 32-bit words (bit n is bit n % 32 of word
 * n / 32). A trie node's mask says which free-block lengths exist in its subtree, so "is there a
 * free /24 under here?" is one word test.
 */
export type Mask = readonly number[];

export function wordsFor(bits: number): number {
  return Math.ceil(bits / 32);
}

export function singleBit(words: number, bit: number): Mask {
  const mask = new Array<number>(words).fill(0);
  mask[bit >>> 5] = 1 << (bit & 31);
  return mask;
}

export function hasBit(mask: Mask, bit: number): boolean {
  return (((mask[bit >>> 5] ?? 0) >>> (bit & 31)) & 1) === 1;
}

/** The highest set bit that is <= `bit`, or -1. Used for best fit: the longest free prefix that still fits. */
export function highestBitAtOrBelow(mask: Mask, bit: number): number {
  for (let word = bit >>> 5; word >= 0; word--) {
    let value = mask[word] ?? 0;
    if (word === bit >>> 5) value &= -1 >>> (31 - (bit & 31));
    if (value !== 0) return word * 32 + 31 - Math.clz32(value);
  }
  return -1;
}

/** The lowest set bit that is <= `bit`, or -1: the largest free block. */
export function lowestBitAtOrBelow(mask: Mask, bit: number): number {
  for (let word = 0; word <= bit >>> 5; word++) {
    const value = mask[word] ?? 0;
    if (value === 0) continue;
    const lowest = word * 32 + 31 - Math.clz32(value & -value);
    return lowest <= bit ? lowest : -1;
  }
  return -1;
}
