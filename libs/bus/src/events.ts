import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { Counter, type Registry } from 'prom-client';
import { encodeJson } from './codec';
import { isStreamNotFound } from './errors';
import { runWrite, type RetryOptions } from './retry';

export interface StreamSpec {
  name: string;
  subjects: string[];
  /** Publishes with the same message id inside this window are stored once (default 2 min). */
  duplicateWindowMs?: number;
  maxAgeMs?: number;
  replicas?: number;
}

const nanos = (ms: number) => ms * 1_000_000;

/** Creates the stream, or updates it to the spec when it exists. */
export async function ensureStream(nc: NatsConnection, spec: StreamSpec): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config = {
    name: spec.name,
    subjects: spec.subjects,
    duplicate_window: nanos(spec.duplicateWindowMs ?? 120_000),
    max_age: nanos(spec.maxAgeMs ?? 7 * 24 * 3_600_000),
    num_replicas: spec.replicas ?? 1,
  };
  try {
    await jsm.streams.info(spec.name);
    await jsm.streams.update(spec.name, config);
  } catch (e) {
    if (!isStreamNotFound(e)) throw e;
    await jsm.streams.add(config);
  }
}

/** The retry policy of a publish (retry.ts): the default rides out a stream leader election. */
export type PublishOptions = RetryOptions;

/** A fact JetStream did not store: `cause` is a BusUnavailableError (the deadline passed) or JetStream's refusal. */
export class PublishFailedError extends Error {
  override readonly name = 'PublishFailedError';
  constructor(
    readonly subject: string,
    readonly msgId: string,
    options?: ErrorOptions,
  ) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`fact ${msgId} on ${subject} not stored${cause}`, options);
  }
}

export const isPublishFailed = (e: unknown): e is PublishFailedError => e instanceof PublishFailedError;

/**
 * JetStream publish with a message id, under the bus's retry policy (retry.ts): retried while
 * JetStream cannot answer, until the deadline. Every attempt carries the same message id, so a
 * fact stored by an attempt whose ack was lost is stored once (the stream drops a repeated id
 * within its duplicate window; the retry's ack says `duplicate`). PublishFailedError otherwise.
 */
export class EventPublisher {
  private readonly js: JetStreamClient;
  constructor(
    nc: NatsConnection,
    private readonly opts: PublishOptions = {},
  ) {
    this.js = jetstream(nc);
  }

  async publish(subject: string, payload: unknown, msgID: string): Promise<{ seq: number; duplicate: boolean }> {
    const data = encodeJson(payload);
    try {
      const ack = await runWrite({ op: 'publish', target: subject, attempt: () => this.js.publish(subject, data, { msgID }) }, this.opts);
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (e) {
      throw new PublishFailedError(subject, msgID, { cause: e });
    }
  }
}

const LOST_METRIC = 'netbroker_facts_lost_total';

/** Where Facts reports a lost fact: pino's Logger is one. */
export interface ErrorLog {
  error(obj: object, msg: string): void;
}

/**
 * Facts are best-effort: the KV record written before is the truth, and controllers follow it,
 * not the facts. Each is published with its message id and retried (EventPublisher); one that
 * still is not stored is surfaced — counted in `netbroker_facts_lost_total{subject}` and logged
 * once with its message id — and the work that caused it is not failed (its state is written;
 * failing it would neither store the fact nor undo the state).
 */
export class Facts {
  private readonly lost: Counter<'subject'>;

  constructor(
    private readonly publisher: Pick<EventPublisher, 'publish'>,
    private readonly opts: { registry: Registry; log: ErrorLog },
  ) {
    const existing = opts.registry.getSingleMetric(LOST_METRIC);
    this.lost =
      existing instanceof Counter
        ? (existing as Counter<'subject'>)
        : new Counter({ name: LOST_METRIC, help: 'Facts not stored on the event stream after every attempt (the KV state was written)', labelNames: ['subject'], registers: [opts.registry] });
  }

  /** Resolves when the fact is stored or counted as lost; rejects only on a failure that is no publish failure. */
  async publish(subject: string, payload: unknown, msgId: string): Promise<void> {
    try {
      await this.publisher.publish(subject, payload, msgId);
    } catch (e) {
      if (!isPublishFailed(e)) throw e;
      this.lost.inc({ subject });
      this.opts.log.error({ err: e, subject, msgId }, 'fact lost: not stored on the event stream');
    }
  }
}
