import { TerminalError, TransientError } from '@netbroker/kube';
import { describe, expect, it } from 'vitest';
import { ManualClock, settle } from './clock';
import { backoffMs, TokenBucket } from './rate-limit';
import { WorkQueue } from './work-queue';

function recorder() {
  const runs: string[] = [];
  let concurrentSameKey = 0;
  const active = new Set<string>();
  const gates = new Map<string, () => void>();
  return {
    runs,
    get concurrentSameKey() {
      return concurrentSameKey;
    },
    release: (key: string) => gates.get(key)?.(),
    reconcile: async (key: string) => {
      if (active.has(key)) concurrentSameKey++;
      active.add(key);
      runs.push(key);
      await new Promise<void>((resolve) => gates.set(key, resolve));
      active.delete(key);
    },
  };
}

describe('backoffMs', () => {
  it.each([
    [0, 0],
    [1, 100],
    [2, 200],
    [5, 1_600],
    [20, 30_000],
    [10_000, 30_000],
  ])('after %i failures waits %i ms', (failures, ms) => expect(backoffMs(failures, 100, 30_000)).toBe(ms));
});

describe('TokenBucket', () => {
  it('gives the burst at once, then one token per 1/rate', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(0)).toBe(200); // reserved behind the previous one
    expect(bucket.take(1_000)).toBe(0); // refilled (capped at the burst)
  });
});

describe('WorkQueue', () => {
  it('de-duplicates a key that is already queued', async () => {
    const runs: string[] = [];
    const q = new WorkQueue({ concurrency: 1, reconcile: async (k) => void runs.push(k), onError: () => undefined });
    q.add('busy'); // takes the only slot: the keys below wait in the queue
    q.add('a');
    q.add('b');
    q.add('b');
    q.add('a');
    expect(q.depth).toBe(2);
    await q.idle();
    expect(runs).toEqual(['busy', 'a', 'b']);
  });

  it('never runs one key twice at once, and runs it once more when added while running', async () => {
    const r = recorder();
    const q = new WorkQueue({ concurrency: 4, reconcile: r.reconcile, onError: () => undefined });
    q.add('a');
    await settle();
    q.add('a');
    q.add('a');
    await settle();
    expect(r.runs).toEqual(['a']);
    r.release('a');
    await settle();
    expect(r.runs).toEqual(['a', 'a']);
    r.release('a');
    await q.idle();
    expect(r.concurrentSameKey).toBe(0);
  });

  it('retries transient failures after 100, 200, 400 ms, and stops after a success', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    const at: number[] = [];
    let failuresLeft = 3;
    const errors: boolean[] = [];
    const q = new WorkQueue({
      clock,
      reconcile: async () => {
        at.push(clock.now() - start);
        if (failuresLeft-- > 0) throw new TransientError('apiserver down');
      },
      onError: (_k, _e, retrying) => errors.push(retrying),
    });
    q.add('a');
    await clock.advance(10_000);
    expect(at).toEqual([0, 100, 300, 700]);
    expect(errors).toEqual([true, true, true]);
    expect(clock.waiting).toBe(0);
  });

  it('spreads a storm of failures through the retry bucket', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    const retriedAt = new Map<string, number[]>();
    const q = new WorkQueue({
      clock,
      concurrency: 10,
      retryRate: { perSecond: 2, burst: 2 },
      reconcile: async (key) => {
        const times = retriedAt.get(key) ?? [];
        times.push(clock.now() - start);
        retriedAt.set(key, times);
        if (times.length === 1) throw new TransientError('down');
      },
      onError: () => undefined,
    });
    for (const key of ['a', 'b', 'c', 'd']) q.add(key);
    await clock.advance(5_000);
    // Two retries within the burst after the per-key 100 ms; then one every 500 ms.
    expect([...retriedAt.values()].map((t) => t[1]).sort((x, y) => x! - y!)).toEqual([100, 100, 500, 1000]);
  });

  it('does not retry a terminal failure', async () => {
    const clock = new ManualClock();
    let runs = 0;
    const errors: boolean[] = [];
    const q = new WorkQueue({
      clock,
      reconcile: async () => {
        runs++;
        throw new TerminalError('Invalid', 'bad spec');
      },
      onError: (_k, _e, retrying) => errors.push(retrying),
    });
    q.add('a');
    await clock.advance(60_000);
    expect(runs).toBe(1);
    expect(errors).toEqual([false]);
  });

  it('requeues after the delay a reconcile asks for, and reports each outcome', async () => {
    const clock = new ManualClock();
    const outcomes: string[] = [];
    let runs = 0;
    const q = new WorkQueue({
      clock,
      reconcile: async () => (++runs < 3 ? { requeueAfterMs: 5_000 } : undefined),
      onError: () => undefined,
      onDone: (_key, outcome) => outcomes.push(outcome),
    });
    q.add('a');
    await clock.advance(4_999);
    expect(runs).toBe(1);
    await clock.advance(1);
    expect(runs).toBe(2);
    await clock.advance(5_000);
    expect(runs).toBe(3);
    expect(outcomes).toEqual(['requeue', 'requeue', 'ok']);
  });

  it('an add while a retry waits runs at once and cancels the wait', async () => {
    const clock = new ManualClock();
    let runs = 0;
    const q = new WorkQueue({
      clock,
      reconcile: async () => {
        if (++runs === 1) throw new TransientError('down');
      },
      onError: () => undefined,
    });
    q.add('a');
    await settle();
    expect(q.length).toBe(1); // waiting for its retry
    q.add('a');
    await q.idle();
    expect(runs).toBe(2);
    expect(clock.waiting).toBe(0);
  });

  it('stop drops waiting retries and waits for running reconciles', async () => {
    const clock = new ManualClock();
    const r = recorder();
    const q = new WorkQueue({ clock, reconcile: r.reconcile, onError: () => undefined });
    q.add('a');
    q.addAfter('b', 1_000);
    await settle();
    let stopped = false;
    const stopping = q.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false);
    r.release('a');
    await stopping;
    await clock.advance(2_000);
    expect(r.runs).toEqual(['a']);
  });
});
