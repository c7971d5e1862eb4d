import { describe, expect, it } from 'vitest';
import { ReadBarrier } from './barrier';

const turn = () => new Promise((r) => setImmediate(r));

/** A catch-up whose completions the test controls: `calls` counts lookups, `finish()` ends the oldest. */
function controlled() {
  const pending: Array<() => void> = [];
  let calls = 0;
  return {
    calls: () => calls,
    finish: () => pending.shift()!(),
    catchUp: () => {
      calls++;
      return new Promise<void>((resolve) => pending.push(resolve));
    },
  };
}

describe('ReadBarrier', () => {
  it('batches requests arriving together into one catch-up', async () => {
    const c = controlled();
    const barrier = new ReadBarrier(c.catchUp);
    const done: number[] = [];
    [1, 2, 3].forEach((i) => void barrier.wait().then(() => done.push(i)));
    await turn();
    expect(c.calls()).toBe(1);
    c.finish();
    await turn();
    expect(done).toEqual([1, 2, 3]);
  });

  it('never lets a request arriving during a catch-up ride on it: it waits for the next one', async () => {
    const c = controlled();
    const barrier = new ReadBarrier(c.catchUp);
    const done: string[] = [];
    void barrier.wait().then(() => done.push('early'));
    await turn(); // the lookup for 'early' is under way
    void barrier.wait().then(() => done.push('late'));
    await turn();
    expect(c.calls()).toBe(1);
    c.finish();
    await turn();
    expect(done).toEqual(['early']);
    expect(c.calls()).toBe(2);
    c.finish();
    await turn();
    expect(done).toEqual(['early', 'late']);
  });

  it('fails the batch whose catch-up failed, and goes on with the next', async () => {
    let fail = true;
    const barrier = new ReadBarrier(async () => {
      if (fail) throw new Error('NATS unavailable');
    });
    await expect(barrier.wait()).rejects.toThrow('NATS unavailable');
    fail = false;
    await expect(barrier.wait()).resolves.toBeUndefined();
  });
});
