import { isTerminal } from '@netbroker/kube';
import { systemClock, type Cancel, type Clock } from './clock';
import { backoffMs, TokenBucket } from './rate-limit';

/** A reconcile either converged, or asks to look again later. */
export type ReconcileResult = void | { requeueAfterMs: number };

/** How one reconcile ended, for metrics. */
export type Outcome = 'ok' | 'requeue' | 'error';

export interface WorkQueueOptions {
  /** Keys reconciled at once (default 4). One key never runs twice at once. */
  concurrency?: number;
  reconcile: (key: string) => Promise<ReconcileResult>;
  /** Every failure, with whether it will be retried. */
  onError: (key: string, error: unknown, retrying: boolean) => void;
  /** Every reconcile that ended, with how long it ran. */
  onDone?: (key: string, outcome: Outcome, ms: number) => void;
  clock?: Clock;
  /** Per-key back-off after failures (default 100 ms doubling up to 30 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Retries of the whole queue (default 10/s, burst 100). */
  retryRate?: { perSecond: number; burst: number };
}

/**
 * A keyed work queue, like client-go's: adding a key that is queued does nothing, adding one
 * that is running runs it once more afterwards, failures back off exponentially per key and
 * through one bucket for the queue (a TerminalError is not retried), a success resets the
 * back-off. Time comes from the clock, so tests drive it.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, Cancel>();
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly clock: Clock;
  private readonly retries: TokenBucket;
  private active = 0;
  private stopped = false;

  constructor(private readonly opts: WorkQueueOptions) {
    this.clock = opts.clock ?? systemClock;
    const rate = opts.retryRate ?? { perSecond: 10, burst: 100 };
    this.retries = new TokenBucket(rate.perSecond, rate.burst, this.clock.now());
  }

  add(key: string): void {
    if (this.stopped) return;
    this.clearTimer(key);
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Adds `key` after `delayMs`, unless it is queued or already waiting (the earlier wait stands). */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped || this.queued.has(key) || this.timers.has(key)) return;
    if (delayMs <= 0) return this.add(key);
    this.timers.set(
      key,
      this.clock.schedule(delayMs, () => {
        this.timers.delete(key);
        this.add(key);
      }),
    );
  }

  /** Keys queued, running or waiting for a retry. */
  get length(): number {
    return this.queue.length + this.running.size + this.timers.size;
  }

  /** Keys queued and not yet running. */
  get depth(): number {
    return this.queue.length;
  }

  /** Resolves when nothing is queued or running (waiting retries do not count). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work, drops pending retries, and waits for running reconciles. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const key of [...this.timers.keys()]) this.clearTimer(key);
    this.queue.length = 0;
    this.queued.clear();
    await this.idle();
  }

  private clearTimer(key: string): void {
    this.timers.get(key)?.();
    this.timers.delete(key);
  }

  private pump(): void {
    while (!this.stopped && this.active < (this.opts.concurrency ?? 4) && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.running.add(key);
      this.active++;
      void this.run(key);
    }
    if (this.queue.length === 0 && this.active === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }

  private async run(key: string): Promise<void> {
    const started = this.clock.now();
    let outcome: Outcome = 'ok';
    try {
      const result = await this.opts.reconcile(key);
      this.failures.delete(key);
      if (result) {
        outcome = 'requeue';
        if (!this.dirty.has(key)) this.addAfter(key, result.requeueAfterMs);
      }
    } catch (e) {
      outcome = 'error';
      const retrying = !isTerminal(e) && !this.stopped;
      this.opts.onError(key, e, retrying);
      if (retrying && !this.dirty.has(key)) {
        const attempt = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, attempt);
        const perKey = backoffMs(attempt, this.opts.baseDelayMs ?? 100, this.opts.maxDelayMs ?? 30_000);
        this.addAfter(key, Math.max(perKey, this.retries.take(this.clock.now())));
      }
    } finally {
      this.running.delete(key);
      this.active--;
      this.opts.onDone?.(key, outcome, this.clock.now() - started);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }
}
