import { isTerminal } from './errors';

/** A reconcile either converged, or asks to look again later. */
export type ReconcileResult = void | { requeueAfterMs: number };

export interface WorkQueueOptions {
  /** Keys reconciled at once (default 4). One key never runs twice at once. */
  concurrency?: number;
  reconcile: (key: string) => Promise<ReconcileResult>;
  /** Every failure, with whether it will be retried. */
  onError: (key: string, error: unknown, retrying: boolean) => void;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * A keyed work queue, like client-go's: adding a key that is queued does nothing, adding one
 * that is running runs it once more afterwards, failures back off exponentially per key (a
 * TerminalError is not retried), and a success resets the backoff.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private readonly idleWaiters: Array<() => void> = [];
  private active = 0;
  private stopped = false;

  constructor(private readonly opts: WorkQueueOptions) {}

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

  addAfter(key: string, delayMs: number): void {
    if (this.stopped || this.queued.has(key) || this.timers.has(key)) return;
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.add(key);
      }, delayMs),
    );
  }

  get length(): number {
    return this.queue.length + this.running.size + this.timers.size;
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
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
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
    try {
      const result = await this.opts.reconcile(key);
      this.failures.delete(key);
      if (result && !this.dirty.has(key)) this.addAfter(key, result.requeueAfterMs);
    } catch (e) {
      const retrying = !isTerminal(e) && !this.stopped;
      this.opts.onError(key, e, retrying);
      if (retrying && !this.dirty.has(key)) {
        const attempt = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, attempt);
        const base = this.opts.baseDelayMs ?? 100;
        this.addAfter(key, Math.min(base * 2 ** (attempt - 1), this.opts.maxDelayMs ?? 30_000));
      }
    } finally {
      this.running.delete(key);
      this.active--;
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }
}
