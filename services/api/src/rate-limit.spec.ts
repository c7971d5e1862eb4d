import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit';

describe('RateLimiter', () => {
  it('allows a burst, then refuses with the seconds until the next token', () => {
    const limiter = new RateLimiter(2, 3);
    expect([1, 2, 3].map(() => limiter.take('acme', 0).ok)).toEqual([true, true, true]);
    expect(limiter.take('acme', 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('acme', 500).ok).toBe(true);
    expect(limiter.take('acme', 500).ok).toBe(false);
  });

  it('keeps one bucket per tenant', () => {
    const limiter = new RateLimiter(1, 1);
    expect(limiter.take('a', 0).ok).toBe(true);
    expect(limiter.take('a', 0).ok).toBe(false);
    expect(limiter.take('b', 0).ok).toBe(true);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const limiter = new RateLimiter(10, 2);
    limiter.take('a', 0);
    const taken = [1, 2, 3].map(() => limiter.take('a', 3_600_000).ok);
    expect(taken).toEqual([true, true, false]);
  });

  it('answers a retry time that grows as the rate shrinks', () => {
    const limiter = new RateLimiter(0.25, 1);
    limiter.take('a', 0);
    expect(limiter.take('a', 0)).toEqual({ ok: false, retryAfterSeconds: 4 });
  });

  it('forgets full buckets on sweep', () => {
    const limiter = new RateLimiter(1, 1);
    limiter.take('a', 0);
    limiter.sweep(10_000);
    expect(limiter.take('a', 10_000).ok).toBe(true);
  });
});
