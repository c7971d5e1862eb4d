import type { ApiRequest } from './calls';
import { calls } from './calls';
import type { Answer } from './http';

// Safe retries of the POSTs (creates, accepts, route changes): each invocation sends one
// Idempotency-Key with its POST and, when the answer may pass — no answer, 503, 429, or the API
// still busy with the same key — sends the same request with the same key again, a bounded number
// of times with backoff. The API replays the first answer for the key (Idempotent-Replayed), so a
// create whose answer was lost is not made twice. Other requests are sent once.

/** Attempts in all, the first included. */
export const MAX_ATTEMPTS = 4;
/** The wait before the second attempt; doubled before each further one (0.5 s, 1 s, 2 s). */
export const FIRST_BACKOFF_MS = 500;
/** A Retry-After longer than this is not waited for: the command fails with the API's answer. */
export const MAX_RETRY_AFTER_MS = 30_000;

/** Whether a request is sent with an Idempotency-Key and retried (the API takes the key on every POST). */
export const isRetried = (req: ApiRequest): boolean => calls[req.call].method === 'POST';

/** Retry-After in ms: delta-seconds or an HTTP date (against `now`); undefined when unreadable. Pure. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  const at = /^[A-Za-z]{3}, /.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * After the answer to attempt `attempt` (1 for the first), how long to wait before sending the
 * same request again — or undefined: the answer stands. Pure.
 */
export function retryDelay(answer: Answer, attempt: number, now: number): number | undefined {
  if (attempt >= MAX_ATTEMPTS) return undefined;
  const backoff = FIRST_BACKOFF_MS * 2 ** (attempt - 1);
  switch (answer.kind) {
    case 'network':
      return backoff;
    case 'http':
      return answer.status === 503 || answer.status === 429 ? backoff : undefined;
    case 'problem': {
      const inProgress = answer.status === 409 && answer.problem.code === 'idempotency-key-in-progress';
      if (answer.status !== 503 && answer.status !== 429 && !inProgress) return undefined;
      const asked = retryAfterMs(answer.retryAfter, now);
      if (asked === undefined) return backoff;
      return asked > MAX_RETRY_AFTER_MS ? undefined : Math.max(asked, backoff);
    }
    default:
      return undefined;
  }
}

/** `no answer (ECONNRESET …)`, `503 unavailable`: why an attempt is retried, for the stderr line. */
export function retryReason(answer: Answer): string {
  switch (answer.kind) {
    case 'network':
      return `no answer (${answer.message})`;
    case 'problem':
      return `${answer.status} ${answer.problem.code}`;
    case 'http':
      return `${answer.status}`;
    default:
      return answer.kind;
  }
}
