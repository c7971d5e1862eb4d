import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { z } from 'zod';
import { decodeJson } from './codec';

/** What became of one message: done, try again after a delay, or never again (invalid). */
export type Outcome = { ack: true } | { nak: number } | { term: string };
export const ack: Outcome = { ack: true };
export const nak = (delayMs: number): Outcome => ({ nak: delayMs });
export const term = (reason: string): Outcome => ({ term: reason });

export interface DurableConsumerOptions<S extends z.ZodType> {
  stream: string;
  durable: string;
  filterSubjects: string[];
  schema: S;
  handle: (payload: z.infer<S>, msg: JsMsg) => Promise<Outcome>;
  /** Called for a message that does not match the schema (it is terminated) or a handler that threw (it is nak'ed). */
  onError: (e: unknown, msg: JsMsg) => void;
  ackWaitMs?: number;
  maxDeliver?: number;
  /** Delay before a message whose handler threw is redelivered (default 1 s). */
  errorDelayMs?: number;
}

export interface RunningConsumer {
  stop(): Promise<void>;
  readonly closed: Promise<void>;
}

/**
 * A durable pull consumer shared by every replica of a service: each message goes to one of
 * them; its outcome is ack, nak(delay) or term.
 */
export async function consumeDurable<S extends z.ZodType>(nc: NatsConnection, opts: DurableConsumerOptions<S>): Promise<RunningConsumer> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(opts.stream, {
    durable_name: opts.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subjects: opts.filterSubjects,
    ack_wait: (opts.ackWaitMs ?? 30_000) * 1_000_000,
    max_deliver: opts.maxDeliver ?? -1,
  });
  const consumer = await jetstream(nc).consumers.get(opts.stream, opts.durable);
  const messages = await consumer.consume({ max_messages: 64 });
  const closed = (async () => {
    for await (const msg of messages) await settle(msg, opts);
  })();
  return {
    closed,
    stop: async () => {
      messages.stop();
      await closed;
    },
  };
}

async function settle<S extends z.ZodType>(msg: JsMsg, opts: DurableConsumerOptions<S>): Promise<void> {
  let payload: z.infer<S>;
  try {
    payload = decodeJson(opts.schema, msg.data, msg.subject);
  } catch (e) {
    opts.onError(e, msg);
    msg.term(e instanceof Error ? e.message : 'invalid payload');
    return;
  }
  let outcome: Outcome;
  try {
    outcome = await opts.handle(payload, msg);
  } catch (e) {
    opts.onError(e, msg);
    msg.nak(opts.errorDelayMs ?? 1_000);
    return;
  }
  if ('ack' in outcome) msg.ack();
  else if ('nak' in outcome) msg.nak(outcome.nak);
  else msg.term(outcome.term);
}
