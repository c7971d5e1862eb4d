import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Registry } from 'prom-client';
import { BusUnavailableError, EventPublisher, Facts, PublishFailedError, ensureStream, type NatsConnection } from '../src/index';

// Streams and facts against the real nats-server of the shared stack; each test its own stream.

const stack = inject('stack');
let nc: NatsConnection;

beforeAll(async () => {
  nc = await connectNats(stack.natsUrl!);
});
afterAll(async () => {
  await nc?.close();
});

const uniqueStream = () => {
  const id = randomUUID().slice(0, 8);
  return { name: `TEST_${id}`, subjects: [`test.${id}.>`] };
};

describe('ensureStream', () => {
  it('creates a stream that does not exist, and updates it to the spec when it does', async () => {
    const spec = uniqueStream();
    const jsm = await jetstreamManager(nc);
    try {
      await ensureStream(nc, { ...spec, maxAgeMs: 3_600_000 });
      expect((await jsm.streams.info(spec.name)).config.max_age).toBe(3_600_000 * 1_000_000);
      await ensureStream(nc, { ...spec, maxAgeMs: 7_200_000 });
      expect((await jsm.streams.info(spec.name)).config.max_age).toBe(7_200_000 * 1_000_000);
    } finally {
      await jsm.streams.delete(spec.name).catch(() => undefined);
    }
  });

  it('rethrows every other failure as it is, without trying to create the stream', async () => {
    const [a, b] = [uniqueStream(), uniqueStream()];
    const jsm = await jetstreamManager(nc);
    try {
      await ensureStream(nc, a);
      await ensureStream(nc, b);
      // The update of b is refused (its subjects would overlap a's): that refusal, not an attempt
      // to add b again (10058, "stream name already in use").
      await expect(ensureStream(nc, { ...b, subjects: a.subjects })).rejects.toMatchObject({ name: 'JetStreamApiError', code: 10065 });
    } finally {
      await jsm.streams.delete(a.name).catch(() => undefined);
      await jsm.streams.delete(b.name).catch(() => undefined);
    }
  });
});

describe('EventPublisher and Facts', () => {
  it('stores a fact published twice with one message id once', async () => {
    const spec = uniqueStream();
    const jsm = await jetstreamManager(nc);
    try {
      await ensureStream(nc, spec);
      const publisher = new EventPublisher(nc);
      const subject = spec.subjects[0]!.replace('>', 'created');
      const first = await publisher.publish(subject, { v: 1 }, 'uid-1:1');
      const again = await publisher.publish(subject, { v: 1 }, 'uid-1:1');
      expect(first.duplicate).toBe(false);
      expect(again).toStrictEqual({ seq: first.seq, duplicate: true });
      expect((await jsm.streams.info(spec.name)).state.messages).toBe(1);
    } finally {
      await jsm.streams.delete(spec.name).catch(() => undefined);
    }
  });

  it('gives up at its deadline when no stream takes the subject (no responders, as in an election); Facts counts the fact as lost and goes on', async () => {
    const subject = `test.${randomUUID().slice(0, 8)}.nostream`;
    const publisher = new EventPublisher(nc, { deadlineMs: 400 });
    const started = Date.now();
    const failure = await publisher.publish(subject, { v: 1 }, 'uid-2:1').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(failure).toBeInstanceOf(PublishFailedError);
    expect(failure).toMatchObject({ subject, msgId: 'uid-2:1', cause: expect.any(BusUnavailableError) });
    expect((failure as PublishFailedError).cause).toMatchObject({ op: 'publish', target: subject });

    const registry = new Registry();
    const logged: string[] = [];
    const facts = new Facts(publisher, { registry, log: { error: (_obj, msg) => logged.push(msg) } });
    await expect(facts.publish(subject, { v: 1 }, 'uid-2:1')).resolves.toBeUndefined();
    expect(await registry.metrics()).toContain(`netbroker_facts_lost_total{subject="${subject}"} 1`);
    expect(logged).toStrictEqual(['fact lost: not stored on the event stream']);
  });
});
