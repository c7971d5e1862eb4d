/** Per-key exponential back-off: `base·2^(failures-1)`, capped at `max`. */
export const backoffMs = (failures: number, baseMs: number, maxMs: number): number =>
  failures <= 0 ? 0 : Math.min(baseMs * 2 ** Math.min(failures - 1, 40), maxMs);

/**
 * A token bucket over every retry of a queue (client-go's default is 10/s with a burst of 100):
 * one key failing fast cannot starve the others, a storm of failures is spread out. `take()`
 * reserves a token and answers how long to wait for it (0 when one was there).
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  take(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }
}
