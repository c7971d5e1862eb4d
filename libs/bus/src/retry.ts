import { RequestError, TimeoutError } from '@nats-io/transport-node';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { ConflictError } from './errors';

/**
 * One retry policy for every JetStream write (KV create/update/put/delete, stream publish): a
 * pure decision (`decide`, `verifyStored`) and one runner (`runWrite`). A write is retried only
 * while JetStream cannot answer — no responders (a stream leader election, 4-9 s; nats.js reports
 * it as JetStreamNotEnabled), a time-out, a cluster or stream that is temporarily unavailable —
 * and only until a total deadline. A conflict or a refused write is never retried.
 */

export type WriteOp = 'kv.create' | 'kv.update' | 'kv.put' | 'kv.delete' | 'publish';

export interface RetryOptions {
  /** Total time for a write, attempts and waits included (default 20 s: an election plus a restart). */
  deadlineMs?: number;
  /** First wait between attempts (default 100 ms), doubled up to `maxBackoffMs` (default 1 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How to wait and what time it is: tests pass their own. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export const DEFAULT_RETRY = { deadlineMs: 20_000, backoffMs: 100, maxBackoffMs: 1_000 } as const;

/** A write JetStream could not take before the deadline. It may or may not have been stored. */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
  constructor(
    readonly op: WriteOp,
    /** The KV key (`bucket/key`) or the subject. */
    readonly target: string,
    readonly attempts: number,
    readonly elapsedMs: number,
    options?: ErrorOptions,
  ) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`${op} ${target}: JetStream unavailable for ${elapsedMs} ms (${attempts} attempt(s))${cause}`, options);
  }
}

export const isBusUnavailable = (e: unknown): e is BusUnavailableError => e instanceof BusUnavailableError;

/** JetStream API errors of a cluster in transition: not available, not leader, not assigned, stream offline. */
const TRANSIENT_API_CODES = new Set<number>([10007, 10008, 10009, 10118]);
const WRONG_LAST_SEQUENCE = new Set<number>([JetStreamApiCodes.StreamWrongLastSequence, JetStreamApiCodes.StreamWrongLastSequenceUnknown]);

/** JetStream could not answer now, and may later: no responders, a time-out, a cluster without leader. */
export function isTransient(e: unknown): boolean {
  // No responders: nats.js reports it as JetStreamNotEnabled, a class its public module does not export.
  if (e instanceof Error && e.name === 'JetStreamNotEnabled') return true;
  if (e instanceof TimeoutError) return true;
  // A RequestError also wraps a permission violation: only no responders and a time-out pass.
  if (e instanceof RequestError) return e.isNoResponders() || e.cause instanceof TimeoutError;
  if (e instanceof JetStreamApiError) return TRANSIENT_API_CODES.has(e.code) || e.status === 503;
  return false;
}

/** JetStream refused the write's expected last sequence: the key exists (create) or moved (update, delete). */
export const isWrongLastSequence = (e: unknown): boolean => e instanceof JetStreamApiError && WRONG_LAST_SEQUENCE.has(e.code);

export type Decision =
  | { kind: 'retry'; delayMs: number }
  /** A compare-and-set lost after an earlier attempt failed: that attempt may have stored the value. */
  | { kind: 'verify' }
  | { kind: 'unavailable' }
  | { kind: 'fail' };

export interface AttemptState {
  op: WriteOp;
  /** Attempts made so far, the failed one included (1 after the first). */
  attempts: number;
  elapsedMs: number;
}

/** What to do after an attempt failed with `e`. */
export function decide(e: unknown, { op, attempts, elapsedMs }: AttemptState, opts: RetryOptions = {}): Decision {
  const { deadlineMs, backoffMs, maxBackoffMs } = { ...DEFAULT_RETRY, ...opts };
  if (isWrongLastSequence(e) && attempts > 1 && op !== 'kv.put' && op !== 'publish') return { kind: 'verify' };
  if (!isTransient(e)) return { kind: 'fail' };
  const left = deadlineMs - elapsedMs;
  if (left <= 0) return { kind: 'unavailable' };
  return { kind: 'retry', delayMs: Math.min(backoffMs * 2 ** (attempts - 1), maxBackoffMs, left) };
}

/** A KV entry as read back: its operation, bytes and revision; undefined when the key never existed. */
export interface StoredEntry {
  operation: 'PUT' | 'DEL' | 'PURGE';
  value: Uint8Array;
  revision: number;
}

/**
 * After a lost compare-and-set on a retry: was it our earlier attempt that stored? `create` and
 * `update`: yes when the key holds exactly our bytes (for update, past the revision we expected);
 * `delete`: yes when the key is gone. Otherwise somebody else wrote: a conflict.
 */
export function verifyStored(op: 'kv.create' | 'kv.update' | 'kv.delete', ours: Uint8Array, stored: StoredEntry | undefined, expectedRevision = 0): { stored: true; revision: number } | { stored: false } {
  if (op === 'kv.delete') return !stored || stored.operation !== 'PUT' ? { stored: true, revision: stored?.revision ?? 0 } : { stored: false };
  if (!stored || stored.operation !== 'PUT' || stored.revision <= expectedRevision) return { stored: false };
  return Buffer.from(stored.value).equals(Buffer.from(ours)) ? { stored: true, revision: stored.revision } : { stored: false };
}

export interface WriteSpec<T> {
  op: WriteOp;
  /** `bucket/key` or the subject, for errors. */
  target: string;
  /** One attempt. For a stream publish, keep the message id: a retry after a lost ack is dropped as a duplicate. */
  attempt: () => Promise<T>;
  /** For compare-and-set writes: read back after a lost compare-and-set on a retry (`verifyStored`). */
  verify?: () => Promise<T>;
  /** The key of a lost compare-and-set (a ConflictError names it). */
  key?: string;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Settles with `p`, or rejects with `onLate()` after `ms`; `p` goes on unobserved (it may still store). */
function within<T>(p: Promise<T>, ms: number, onLate: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onLate()), ms)));
  p.catch(() => undefined);
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Runs a write under the policy: transient failures are retried with back-off until the deadline
 * (then BusUnavailableError), a lost compare-and-set on a retry is verified, a lost one on the
 * first attempt is a ConflictError, anything else is rethrown as it is. Resolves only with what
 * JetStream acknowledged, or with what the verification read back.
 */
export async function runWrite<T>(spec: WriteSpec<T>, opts: RetryOptions = {}): Promise<T> {
  const { sleep = delay, now = Date.now } = opts;
  const deadlineMs = opts.deadlineMs ?? DEFAULT_RETRY.deadlineMs;
  const started = now();
  let lastError: unknown;
  const unavailable = (attempts: number, cause: unknown) => new BusUnavailableError(spec.op, spec.target, attempts, now() - started, { cause });
  for (let attempts = 1; ; attempts++) {
    const left = deadlineMs - (now() - started);
    if (left <= 0) throw unavailable(attempts - 1, lastError);
    try {
      return await within(spec.attempt(), left, () => unavailable(attempts, lastError));
    } catch (e) {
      if (isBusUnavailable(e)) throw e;
      let failure = e;
      let decision = decide(e, { op: spec.op, attempts, elapsedMs: now() - started }, opts);
      if (decision.kind === 'verify' && spec.verify) {
        try {
          return await within(spec.verify(), Math.max(1, deadlineMs - (now() - started)), () => unavailable(attempts, e));
        } catch (ve) {
          if (isBusUnavailable(ve)) throw ve;
          // A ConflictError (somebody else wrote) fails; a read that failed as writes do is retried.
          failure = ve;
          decision = decide(ve, { op: spec.op, attempts, elapsedMs: now() - started }, opts);
        }
      }
      lastError = failure;
      if (decision.kind === 'retry') {
        await sleep(decision.delayMs);
        continue;
      }
      if (decision.kind === 'unavailable') throw unavailable(attempts, failure);
      if (isWrongLastSequence(failure)) throw new ConflictError(spec.key ?? spec.target, { cause: failure });
      throw failure;
    }
  }
}
