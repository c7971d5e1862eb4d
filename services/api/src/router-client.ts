import { randomUUID } from 'node:crypto';
import { RouterErrorReason, RouterReply, routerCommandSubject, type RouterCommand } from '@netbroker/contracts';
import { isRequestFailed, request, type NatsConnection } from '@netbroker/bus';
import { problem, ProblemError } from './problems';

/** The router's answer to a command it carried out: the records it wrote. */
export type RouterDone = Extract<RouterReply, { ok: true }>;

/** One request to the router, waiting at most `timeoutMs` for its reply. */
export type RouterSend = (command: RouterCommand, timeoutMs: number) => Promise<RouterReply>;

/** Seconds a client is asked to wait (Retry-After) when the router does not answer. */
export const ROUTER_RETRY_AFTER_SECONDS = 2;

export interface RouterClientOptions {
  /** How long a command may wait in all, retries included (ROUTER_TIMEOUT_MS). */
  boundMs: number;
  /** How long one attempt waits for its reply (default 5 s, at most what is left of the bound). */
  attemptMs?: number;
  /** The first pause between attempts; doubled each time up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** An attempt shorter than this is not worth sending. */
const MIN_ATTEMPT_MS = 50;

const isRefusal = (reason: string): reason is RouterErrorReason => RouterErrorReason.safeParse(reason).success;

/**
 * The router's refusal as the API's problem: `code` is the reason, the status `routerHttpStatus`
 * (problemStatus), and a route at fault is a field error at `routes.<index>`. Its own failures
 * (`internal`, or `invalid-request`: a command of this api it cannot read, a version skew) are
 * no problem of the request: errors, 500 with a correlation id.
 */
export function routerProblem(error: Extract<RouterReply, { ok: false }>['error']): Error {
  const { reason, message, index } = error;
  if (!isRefusal(reason)) return new Error(`the router failed (${reason}): ${message}`);
  return problem(reason, message, index === undefined ? {} : { errors: [{ path: `routes.${index}`, message, reason }] });
}

/**
 * Commands to the router over NATS request/reply (`cmd.router.write`, served by the replica that
 * holds its writer lease). Nobody answering — no responders, no reply in time, or the router's
 * own `unavailable` (no writer within its bound) — is a failover: the command is sent again after
 * a short, growing pause until the bound, then 503 `unavailable` with Retry-After. A refusal is
 * thrown as its problem at once; a reply is never retried.
 */
export class RouterClient {
  constructor(
    private readonly send: RouterSend,
    private readonly opts: RouterClientOptions,
  ) {}

  static over(nc: NatsConnection, boundMs: number): RouterClient {
    return new RouterClient((command, timeoutMs) => request(nc, routerCommandSubject, command, RouterReply, { timeoutMs }), { boundMs });
  }

  async run(request: RouterCommand): Promise<RouterDone> {
    // One id for every attempt: the writer answers a repeat (its reply was lost) with its first answer.
    const command: RouterCommand = { ...request, requestId: request.requestId ?? randomUUID() };
    const { boundMs, attemptMs = 5_000, backoffMs = 50, maxBackoffMs = 1_000 } = this.opts;
    const now = this.opts.now ?? (() => performance.now());
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const deadline = now() + boundMs;
    let pause = backoffMs;
    let why = 'no attempt';
    let maybeDone = false;
    for (;;) {
      const left = deadline - now();
      if (left < MIN_ATTEMPT_MS) break;
      try {
        const reply = await this.send(command, Math.min(attemptMs, left));
        if (reply.ok) return reply;
        if (reply.error.reason !== 'unavailable') throw routerProblem(reply.error);
        why = `the router answered unavailable: ${reply.error.message}`;
      } catch (e) {
        if (!isRequestFailed(e)) throw e;
        why = e.kind === 'timeout' ? 'no reply in time' : 'nobody serves it';
        // The router may have carried out a command whose reply was lost.
        if (e.kind === 'timeout') maybeDone = true;
      }
      const rest = deadline - now();
      if (rest < MIN_ATTEMPT_MS + pause) break;
      await sleep(pause);
      pause = Math.min(pause * 2, maxBackoffMs);
    }
    throw new ProblemError(
      'unavailable',
      `the router did not answer within ${boundMs} ms (${why}); ${maybeDone ? 'an attempt may have been carried out: read the resource before retrying' : 'nothing was changed: retry later'}`,
      { headers: { 'retry-after': String(ROUTER_RETRY_AFTER_SECONDS) } },
    );
  }
}
