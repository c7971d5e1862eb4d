import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import { decodeJson, encodeJson } from './codec';
import type { InvalidPayloadError } from './errors';
import { PayloadTooLargeError, asRequestFailure, isInvalidPayload } from './errors';
import type { ErrorLog } from './events';

export interface RequestOptions {
  /** Default 5 s. */
  timeoutMs?: number;
}

/**
 * Sends a request and parses the reply with its contract. RequestFailedError on time-out or no
 * responders; PayloadTooLargeError at once, nothing sent, when the request is larger than the
 * server's max payload.
 */
export async function request<S extends z.ZodType>(
  nc: NatsConnection,
  subject: string,
  payload: unknown,
  replySchema: S,
  { timeoutMs = 5_000 }: RequestOptions = {},
): Promise<z.infer<S>> {
  const data = encodeJson(payload);
  const max = nc.info?.max_payload;
  if (max !== undefined && data.length > max) throw new PayloadTooLargeError(subject, data.length, max);
  let reply: Msg;
  try {
    reply = await nc.request(subject, data, { timeout: timeoutMs });
  } catch (e) {
    throw asRequestFailure(e, subject);
  }
  return decodeJson(replySchema, reply.data, `reply to ${subject}`);
}

export interface ServeOptions<Req extends z.ZodType, Rep> {
  subject: string;
  /** Replicas in one queue group share the requests. */
  queue: string;
  schema: Req;
  handle: (request: z.infer<Req>, msg: Msg) => Promise<Rep>;
  /** The reply for a request that does not match its contract (nothing is done for it). */
  invalid: (e: InvalidPayloadError) => Rep;
  /** The reply for a handler failure; also where it is logged. */
  failed: (e: unknown) => Rep;
  /** The reply sent instead of one of `bytes`, more than the server's max payload `max` (logged by serve). */
  tooLarge: (bytes: number, max: number) => Rep;
  /** Where serve logs a reply it could not send as it was. */
  log: ErrorLog;
}

/**
 * Answers requests on a subject. Every request gets exactly one reply, also when it is invalid or
 * the handler fails; the subscription keeps running either way. A reply larger than the server's
 * max payload is replaced by `tooLarge`, so the caller learns it at once instead of timing out.
 */
export function serve<Req extends z.ZodType, Rep>(nc: NatsConnection, opts: ServeOptions<Req, Rep>): Subscription {
  return nc.subscribe(opts.subject, {
    queue: opts.queue,
    callback: (err, msg) => {
      if (err) return;
      void answer(msg, opts).then((reply) => respond(nc, msg, reply, opts));
    },
  });
}

function respond<Req extends z.ZodType, Rep>(nc: NatsConnection, msg: Msg, reply: Rep, opts: ServeOptions<Req, Rep>): void {
  let data = encodeJson(reply);
  const max = nc.info?.max_payload;
  if (max !== undefined && data.length > max) {
    opts.log.error({ subject: msg.subject, bytes: data.length, maxPayload: max }, 'reply larger than the max payload: answered tooLarge instead');
    data = encodeJson(opts.tooLarge(data.length, max));
  }
  try {
    msg.respond(data);
  } catch (e) {
    // Nothing to hand it to: the request's only way back is this reply. The caller times out.
    opts.log.error({ err: e, subject: msg.subject, bytes: data.length }, 'reply not sent');
  }
}

async function answer<Req extends z.ZodType, Rep>(msg: Msg, opts: ServeOptions<Req, Rep>): Promise<Rep> {
  let request: z.infer<Req>;
  try {
    request = decodeJson(opts.schema, msg.data, msg.subject);
  } catch (e) {
    if (isInvalidPayload(e)) return opts.invalid(e);
    return opts.failed(e);
  }
  try {
    return await opts.handle(request, msg);
  } catch (e) {
    return opts.failed(e);
  }
}
