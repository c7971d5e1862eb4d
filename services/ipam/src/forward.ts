import { AllocateReply, fail, poolAllocateSubject, unavailable, type AllocateRequest } from '@netbroker/contracts';
import { isRequestFailed, request, type NatsConnection } from '@netbroker/bus';
import type { Clock } from '@netbroker/controller';

// --- Pure decision: the time is passed in ---------------------------------------------------

export type ForwardStep = { action: 'retry'; afterMs: number } | { action: 'give-up' };

/** First wait after nobody served the pool's subject; doubled per attempt up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 20;
const MAX_BACKOFF_MS = 250;

/**
 * After a forward to the pool's holder failed: `no-responders` (no holder right now: a failover
 * or a pool just created) waits with back-off, a `timeout` (the holder died holding the request,
 * or is slow) asks again at once — the same request id, so a holder that did allocate answers the
 * same block — and both give up once `boundMs` has passed since the request came.
 */
export function nextForwardStep(failure: 'no-responders' | 'timeout', attempt: number, elapsedMs: number, boundMs: number): ForwardStep {
  const left = boundMs - elapsedMs;
  if (left <= 0) return { action: 'give-up' };
  if (failure === 'timeout') return { action: 'retry', afterMs: 0 };
  return { action: 'retry', afterMs: Math.min(FIRST_BACKOFF_MS * 2 ** Math.min(attempt, 10), MAX_BACKOFF_MS, left) };
}

// --- The NATS side ---------------------------------------------------------------------------

export type ForwardOutcome = 'answered' | 'unavailable' | 'unknown-pool';

export interface ForwarderDeps {
  nc: NatsConnection;
  clock: Clock;
  /** How long a request waits for a holder of its pool before it is answered `unavailable`. */
  boundMs: number;
  /** Longest wait for one forwarded reply (cut to what is left of the bound). */
  attemptTimeoutMs: number;
  /** True when this replica serves the pool itself: answer here, no hop. */
  holds: (pool: string) => boolean;
  /** Answers a request of a pool this replica holds. */
  local: (req: AllocateRequest) => Promise<AllocateReply>;
  /** Whether the pool exists, once this replica has caught up with every write made before the call. */
  exists: (pool: string) => Promise<boolean>;
  counted: (outcome: ForwardOutcome) => void;
}

/** Hands an allocate request to the holder of its pool, waiting out a failover within the bound. */
export class Forwarder {
  constructor(private readonly deps: ForwarderDeps) {}

  async allocate(req: AllocateRequest): Promise<AllocateReply> {
    const { nc, clock, boundMs, attemptTimeoutMs, holds, local, exists, counted } = this.deps;
    const started = clock.now();
    for (let attempt = 0; ; attempt++) {
      if (holds(req.pool)) return local(req);
      const left = boundMs - (clock.now() - started);
      let failure: 'no-responders' | 'timeout';
      try {
        const reply = await request(nc, poolAllocateSubject(req.pool), req, AllocateReply, { timeoutMs: Math.max(1, Math.min(attemptTimeoutMs, left)) });
        counted('answered');
        return reply;
      } catch (e) {
        if (!isRequestFailed(e)) throw e;
        failure = e.kind;
      }
      if (failure === 'no-responders' && !(await exists(req.pool))) {
        counted('unknown-pool');
        return fail('unknown-pool', `pool ${req.pool} does not exist`);
      }
      const step = nextForwardStep(failure, attempt, clock.now() - started, boundMs);
      if (step.action === 'give-up') {
        counted('unavailable');
        return unavailable(`no ipam replica held pool ${req.pool} within ${boundMs} ms (a failover); retry with the same request id`);
      }
      if (step.afterMs > 0) await new Promise<void>((resolve) => clock.schedule(step.afterMs, resolve));
    }
  }
}
