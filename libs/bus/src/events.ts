import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { encodeJson } from './codec';
import { isStreamNotFound } from './errors';

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

/** A fact publisher: JetStream publish with a message id, so a repeated fact is stored once. */
export class EventPublisher {
  private readonly js: JetStreamClient;
  constructor(nc: NatsConnection) {
    this.js = jetstream(nc);
  }

  async publish(subject: string, payload: unknown, msgID: string): Promise<{ seq: number; duplicate: boolean }> {
    const ack = await this.js.publish(subject, encodeJson(payload), { msgID });
    return { seq: ack.seq, duplicate: ack.duplicate };
  }
}
