import { describe, expect, it } from 'vitest';
import { nextForwardStep, type ForwardStep } from './forward';

describe('nextForwardStep (after a forward to the pool holder failed)', () => {
  it.each<[string, Parameters<typeof nextForwardStep>, ForwardStep]>([
    ['waits 20 ms after the first no-responders', ['no-responders', 0, 0, 10_000], { action: 'retry', afterMs: 20 }],
    ['doubles the wait per attempt', ['no-responders', 3, 500, 10_000], { action: 'retry', afterMs: 160 }],
    ['waits at most 250 ms between attempts', ['no-responders', 9, 2_000, 10_000], { action: 'retry', afterMs: 250 }],
    ['never waits past the bound', ['no-responders', 9, 9_900, 10_000], { action: 'retry', afterMs: 100 }],
    ['asks again at once after a time-out (the holder died holding it; same request id)', ['timeout', 0, 2_000, 10_000], { action: 'retry', afterMs: 0 }],
    ['gives up at the bound after no-responders', ['no-responders', 40, 10_000, 10_000], { action: 'give-up' }],
    ['gives up at the bound after a time-out', ['timeout', 4, 10_001, 10_000], { action: 'give-up' }],
  ])('%s', (_name, args, step) => {
    expect(nextForwardStep(...args)).toEqual(step);
  });

  it('keeps a huge attempt count finite', () => {
    expect(nextForwardStep('no-responders', 5_000, 0, 10_000)).toEqual({ action: 'retry', afterMs: 250 });
  });
});
