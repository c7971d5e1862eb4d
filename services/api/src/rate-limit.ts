/** The outcome of taking one token: allowed, or when to retry. */
export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

/**
 * One token bucket per key (tenant), in process: `burst` tokens at most, refilled at
 * `perSecond`. Time is passed in, so the arithmetic is tested without a clock.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  take(key: string, nowMs: number): Take {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: nowMs };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * this.perSecond);
    bucket.at = nowMs;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond)) };
  }

  /** Forgets full buckets, so that the map holds only tenants seen recently. */
  sweep(nowMs: number): void {
    for (const [key, b] of this.buckets) if (b.tokens + ((nowMs - b.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
  }
}
