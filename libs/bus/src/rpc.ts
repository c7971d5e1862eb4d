import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { z } from 'zod';
import { decodeJson, encodeJson } from './codec';
import type { InvalidPayloadError} from './errors';
import { asRequestFailure, isInvalidPayload } from './errors';

export interface RequestOptions {
  /** Default 5 s. */
  timeoutMs?: number;
}

/** Sends a request and parses the reply with its contract. RequestFailedError on time-out or no responders. */
export async function request<S extends z.ZodType>(
  nc: NatsConnection,
  subject: string,
  payload: unknown,
  replySchema: S,
  { timeoutMs = 5_000 }: RequestOptions = {},
): Promise<z.infer<S>> {
  let reply: Msg;
  try {
    reply = await nc.request(subject, encodeJson(payload), { timeout: timeoutMs });
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
}

/**
 * Answers requests on a subject. Every request gets exactly one reply, also when it is invalid or
 * the handler fails; the subscription keeps running either way.
 */
export function serve<Req extends z.ZodType, Rep>(nc: NatsConnection, opts: ServeOptions<Req, Rep>): Subscription {
  return nc.subscribe(opts.subject, {
    queue: opts.queue,
    callback: (err, msg) => {
      if (err) return;
      void answer(msg, opts).then((reply) => msg.respond(encodeJson(reply)));
    },
  });
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
