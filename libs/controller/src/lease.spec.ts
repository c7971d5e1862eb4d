import type { Lease } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { decideLease, isExpired, leaseValue, renewIntervalMs, takeDelayMs, type LeaseDecision } from './lease';

const now = Date.parse('2026-01-01T00:00:10.000Z');
const lease = (holder: string, expiresAt: string): Lease => ({ v: 1, holder, renewedAt: '2026-01-01T00:00:04.000Z', expiresAt });

describe('decideLease', () => {
  it.each<[string, { value: Lease; revision: number } | undefined, LeaseDecision]>([
    ['creates an absent lease', undefined, { action: 'create' }],
    ['renews its own live lease', { value: lease('me', '2026-01-01T00:00:12.000Z'), revision: 7 }, { action: 'update', revision: 7, takeover: false }],
    ['renews its own expired lease at the revision it read', { value: lease('me', '2026-01-01T00:00:01.000Z'), revision: 8 }, { action: 'update', revision: 8, takeover: false }],
    ["takes over another's expired lease", { value: lease('other', '2026-01-01T00:00:09.000Z'), revision: 3 }, { action: 'update', revision: 3, takeover: true }],
    ["takes over another's lease expiring exactly now", { value: lease('other', '2026-01-01T00:00:10.000Z'), revision: 4 }, { action: 'update', revision: 4, takeover: true }],
    ["waits until another's live lease expires", { value: lease('other', '2026-01-01T00:00:12.500Z'), revision: 5 }, { action: 'wait', retryAfterMs: 2_500 }],
  ])('%s', (_name, current, expected) => {
    expect(decideLease(current ? { key: 'acme.web', ...current } : undefined, 'me', now)).toEqual(expected);
  });
});

describe('lease timing', () => {
  it('writes a lease that expires leaseMs after now', () => {
    expect(leaseValue('me', now, 6_000)).toEqual({ v: 1, holder: 'me', renewedAt: '2026-01-01T00:00:10.000Z', expiresAt: '2026-01-01T00:00:16.000Z' });
  });

  it('counts a lease as expired from its expiry instant on', () => {
    expect(isExpired(lease('x', '2026-01-01T00:00:10.001Z'), now)).toBe(false);
    expect(isExpired(lease('x', '2026-01-01T00:00:10.000Z'), now)).toBe(true);
  });

  it('renews every third of the lease', () => {
    expect(renewIntervalMs(6_000)).toBe(2_000);
  });

  it.each([
    ['a replica holding nothing takes a free lease at once', 0, 0.9, 0],
    ['one holding one waits 50-100 ms', 1, 0, 50],
    ['one holding one waits at most 100 ms', 1, 0.999, 100],
    ['more held, longer wait', 10, 0, 500],
    ['never longer than half the lease', 1_000, 0.999, 2_999],
  ])('%s', (_name, held, random, expected) => {
    expect(takeDelayMs(held, 6_000, random)).toBe(expected);
  });
});
