/** FNV-1a, 32 bits: a stable spread of keys over shards (the same in every replica and release). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The shard lease covering `key` among `shards`: `shard-00` … */
export const shardOf = (key: string, shards: number): string => `shard-${String(fnv1a(key) % shards).padStart(2, '0')}`;
