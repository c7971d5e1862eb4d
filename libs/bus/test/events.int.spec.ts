import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureStream, type NatsConnection } from '../src/index';

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
