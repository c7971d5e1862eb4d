import { describe, expect, it } from 'vitest';
import { failed, nextConditions, ok, phaseOf, sameStatus } from './conditions';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';

describe('nextConditions', () => {
  it('marks Ready only when every step is True', () => {
    const all = nextConditions([], { CidrAllocated: ok('Allocated', '10.0.0.0/24'), EgressReady: ok('Allocated', '203.0.113.10'), NamespaceReady: ok('Applied', 'ns') }, T0);
    expect(all.map((c) => [c.type, c.status])).toEqual([
      ['CidrAllocated', 'True'],
      ['EgressReady', 'True'],
      ['NamespaceReady', 'True'],
      ['Ready', 'True'],
    ]);
    expect(phaseOf(all)).toBe('Ready');
  });

  it('carries the reason of the first failed step into Ready', () => {
    const all = nextConditions([], { CidrAllocated: failed('OverlapsAllocated', '10.0.0.0/24 is taken') }, T0);
    expect(all.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'OverlapsAllocated' });
    expect(all.find((c) => c.type === 'EgressReady')).toMatchObject({ status: 'Unknown', reason: 'Pending' });
    expect(phaseOf(all)).toBe('Failed');
  });

  it('keeps the transition time of a condition whose status did not change', () => {
    const first = nextConditions([], { CidrAllocated: ok('Allocated', 'a') }, T0);
    const second = nextConditions(first, { CidrAllocated: ok('Allocated', 'a'), EgressReady: ok('Allocated', 'b') }, T1);
    expect(second.find((c) => c.type === 'CidrAllocated')!.lastTransitionTime).toBe(T0);
    expect(second.find((c) => c.type === 'EgressReady')!.lastTransitionTime).toBe(T1);
    expect(phaseOf(second)).toBe('Pending');
  });
});

describe('sameStatus', () => {
  it('ignores transition times only', () => {
    const base = { v: 1 as const, uid: 'u', observedGeneration: 1, phase: 'Pending' as const, conditions: nextConditions([], {}, T0) };
    expect(sameStatus(base, { ...base, conditions: nextConditions([], {}, T1) })).toBe(true);
    expect(sameStatus(base, { ...base, cidr: '10.0.0.0/24' })).toBe(false);
    expect(sameStatus(undefined, base)).toBe(false);
  });
});
