export interface EventuallyOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between attempts (default 50 ms, doubling up to 500 ms). */
  intervalMs?: number;
  /** Aborting it (a harness server died) fails at once with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Retries `check` until it returns without throwing, and returns its value. On time-out it throws
 * the last error, so a failing test reads "expected 3 to be 4", not "timed out".
 */
export async function eventually<T>(check: () => T | Promise<T>, opts: EventuallyOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, signal } = opts;
  let interval = opts.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      return await check();
    } catch (e) {
      lastError = e;
    }
    signal?.throwIfAborted();
    if (Date.now() >= deadline) break;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(interval, Math.max(0, deadline - Date.now())));
      function done() {
        signal?.removeEventListener('abort', done);
        clearTimeout(timer);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
    interval = Math.min(interval * 2, 500);
  }
  if (lastError instanceof Error) {
    lastError.message = `eventually() gave up after ${timeoutMs} ms: ${lastError.message}`;
    throw lastError;
  }
  throw new Error(`eventually() gave up after ${timeoutMs} ms: ${String(lastError)}`);
}
