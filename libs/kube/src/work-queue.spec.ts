import { describe, expect, it } from 'vitest';
import { TerminalError, TransientError } from './errors';
import { WorkQueue } from './work-queue';

const tick = () => new Promise((r) => setTimeout(r, 1));

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

describe('WorkQueue', () => {
  it('de-duplicates a key that is already queued', async () => {
    const runs: string[] = [];
    const q = new WorkQueue({ concurrency: 1, reconcile: async (k) => void runs.push(k), onError: () => undefined });
    q.add('busy'); // takes the only slot: the keys below wait in the queue
    q.add('a');
    q.add('b');
    q.add('b');
    q.add('a');
    await q.idle();
    expect(runs).toEqual(['busy', 'a', 'b']);
  });

  it('never runs one key twice at once, and runs it once more when added while running', async () => {
    const r = recorder();
    const q = new WorkQueue({ concurrency: 4, reconcile: r.reconcile, onError: () => undefined });
    q.add('a');
    await tick();
    q.add('a');
    q.add('a');
    await tick();
    expect(r.runs).toEqual(['a']);
    r.release('a');
    await tick();
    expect(r.runs).toEqual(['a', 'a']);
    r.release('a');
    await q.idle();
    expect(r.concurrentSameKey).toBe(0);
  });

  it('retries transient failures with growing delays, and stops after a success', async () => {
    const times: number[] = [];
    let failuresLeft = 3;
    const errors: boolean[] = [];
    const q = new WorkQueue({
      baseDelayMs: 10,
      reconcile: async () => {
        times.push(performance.now());
        if (failuresLeft-- > 0) throw new TransientError('apiserver down');
      },
      onError: (_k, _e, retrying) => errors.push(retrying),
    });
    q.add('a');
    await new Promise((r) => setTimeout(r, 200));
    expect(times).toHaveLength(4);
    expect(errors).toEqual([true, true, true]);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]!);
  });

  it('does not retry a terminal failure', async () => {
    let runs = 0;
    const errors: boolean[] = [];
    const q = new WorkQueue({
      baseDelayMs: 1,
      reconcile: async () => {
        runs++;
        throw new TerminalError('Invalid', 'bad spec');
      },
      onError: (_k, _e, retrying) => errors.push(retrying),
    });
    q.add('a');
    await new Promise((r) => setTimeout(r, 30));
    expect(runs).toBe(1);
    expect(errors).toEqual([false]);
  });

  it('requeues after the delay a reconcile asks for', async () => {
    let runs = 0;
    const q = new WorkQueue({
      reconcile: async () => (++runs < 3 ? { requeueAfterMs: 5 } : undefined),
      onError: () => undefined,
    });
    q.add('a');
    await new Promise((r) => setTimeout(r, 60));
    expect(runs).toBe(3);
    await q.stop();
  });
});
