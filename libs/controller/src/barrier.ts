/**
 * A read barrier (etcd's ReadIndex, over KV): before a replica answers from its view, it learns
 * the buckets' last revisions and waits until its followers have applied them — so an answer
 * never misses a write the caller saw acknowledged (a pool just created on another replica is not
 * `unknown-pool` here). Requests arriving while a barrier is in flight share the next one: one
 * revision lookup per batch, not per request.
 */
export class ReadBarrier {
  private waiting: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private inFlight = false;
  private scheduled = false;

  /** `catchUp` reads the last revisions and waits until the view has applied them. */
  constructor(private readonly catchUp: () => Promise<void>) {}

  wait(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.next();
    });
  }

  /** Starts a catch-up for everything waiting, after the current turn (requests of one turn share it). */
  private next(): void {
    if (this.inFlight || this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.run();
    });
  }

  private run(): void {
    if (this.inFlight || this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    this.inFlight = true;
    this.catchUp()
      .then(
        () => batch.forEach((w) => w.resolve()),
        (e: unknown) => batch.forEach((w) => w.reject(e)),
      )
      .finally(() => {
        this.inFlight = false;
        this.next();
      });
  }
}
