import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { eventually, startStack, type NatsCluster, type Stack } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BusUnavailableError, EventPublisher, PublishFailedError, connectBus, ensureStream, openKv, type JsonKv, type NatsConnection } from '../src/index';

// The bus's retry policy against a real 3-node JetStream cluster of its own: a leader SIGKILLed
// under load loses no acknowledged write and duplicates none; with two nodes of three down, writes
// are refused with BusUnavailableError within the deadline, and succeed again once a node is back.

const Item = z.object({ n: z.number(), id: z.string() });
let stack: Stack;
let cluster: NatsCluster;
let nc: NatsConnection;

beforeAll(async () => {
  stack = await startStack({ host: false, nats: { nodes: 3 } });
  cluster = stack.natsCluster!;
  nc = await connectBus({ servers: stack.natsUrl!, name: 'bus-cluster-test' });
});
afterAll(async () => {
  await nc?.close();
  await stack?.stop();
});

/** Moves a stream's leadership to node `i` (JetStream's leader step-down with a preferred peer). */
async function leadFrom(stream: string, i: number): Promise<void> {
  await eventually(async () => {
    if ((await cluster.leaderOf(stream)) === i) return;
    await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, JSON.stringify({ placement: { preferred: cluster.names[i] } }), { timeout: 2_000 }).catch(() => undefined);
    expect(await cluster.waitLeader(stream, { timeoutMs: 5_000 })).toBe(i);
  }, { timeoutMs: 30_000, signal: stack.signal });
}

/** Every message of a stream, by its message id. */
async function storedIds(stream: string): Promise<Map<string, number>> {
  const consumer = await jetstream(nc).consumers.get(stream);
  const ids = new Map<string, number>();
  const total = (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
  if (total === 0) return ids;
  const messages = await consumer.consume();
  let seen = 0;
  for await (const m of messages) {
    const id = m.headers?.get('Nats-Msg-Id') ?? '';
    ids.set(id, (ids.get(id) ?? 0) + 1);
    if (++seen >= total) break;
  }
  await messages.close();
  return ids;
}

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

describe('one retry policy for every JetStream write, on a 3-node cluster', () => {
  it('loses no acknowledged create or publish, and duplicates none, when the leader is SIGKILLed mid-way and restarted later', async () => {
    const bucket = unique('retry');
    const stream = { name: unique('FACTS').toUpperCase().replace(/-/g, '_'), subjects: [`${unique('facts')}.>`] };
    const kv: JsonKv<typeof Item> = await openKv(nc, bucket, Item, { replicas: 3 });
    await ensureStream(nc, { ...stream, replicas: 3 });
    const publisher = new EventPublisher(nc);
    const subject = stream.subjects[0]!.replace('>', 'created');
    const leader = await cluster.waitLeader(`KV_${bucket}`);
    await leadFrom(stream.name, leader); // one node leads both: its death stops both
    await cluster.waitCurrent(`KV_${bucket}`);
    await cluster.waitCurrent(stream.name);

    const N = 320;
    const created = new Map<string, number>();
    const published = new Set<string>();
    const failures: unknown[] = [];
    let done = 0;
    let slowestMs = 0;
    let hundredDone!: () => void;
    const hundred = new Promise<void>((resolve) => (hundredDone = resolve));
    let next = 0;
    const worker = async () => {
      for (let n = next++; n < N; n = next++) {
        const id = `item-${n}`;
        const started = Date.now();
        await Promise.all([
          kv.create(id, { n, id }).then((revision) => void created.set(id, revision)),
          publisher.publish(subject, { n, id }, id).then(() => void published.add(id)),
        ]).catch((e: unknown) => void failures.push(e));
        slowestMs = Math.max(slowestMs, Date.now() - started);
        if (++done === 100) hundredDone();
      }
    };
    const workers = Array.from({ length: 32 }, worker);
    await hundred;
    const killedAt = Date.now();
    await cluster.kill(leader);
    const doneAtKill = done;
    const [kvLeader, streamLeader] = await Promise.all([cluster.waitLeader(`KV_${bucket}`, { not: leader }), cluster.waitLeader(stream.name, { not: leader })]);
    const electedMs = Date.now() - killedAt;
    await Promise.all(workers);
    console.log(
      `[bus cluster] ${N} creates + ${N} publishes; ${cluster.names[leader]} SIGKILLed after ${doneAtKill} done: ` +
        `new leaders ${cluster.names[kvLeader]} (KV), ${cluster.names[streamLeader]} (stream) after ${electedMs} ms; slowest write ${slowestMs} ms; ${failures.length} failed`,
    );
    expect(doneAtKill).toBeLessThan(N - 50); // the kill came mid-way
    expect(failures).toStrictEqual([]);
    expect(created.size).toBe(N);
    expect(published.size).toBe(N);

    await cluster.restart(leader);
    await cluster.waitCurrent(`KV_${bucket}`);
    await cluster.waitCurrent(stream.name);
    // Acknowledged ⇒ stored, once: each key holds its value at the revision its create returned
    // (no second write of it), and the stream holds each message id exactly once.
    for (const [id, revision] of created) {
      const record = await kv.get(id);
      expect(record).toMatchObject({ revision, value: { id } });
    }
    const kvInfo = await (await jetstreamManager(nc)).streams.info(`KV_${bucket}`);
    expect(kvInfo.state.messages).toBe(N);
    const ids = await storedIds(stream.name);
    expect([...published].filter((id) => ids.get(id) !== 1)).toStrictEqual([]);
    expect([...ids.values()].reduce((a, b) => a + b, 0)).toBe(ids.size);
  });

  it('refuses writes with BusUnavailableError within the deadline while two of three nodes are down, and takes them again once one is back', async () => {
    const bucket = unique('quorum');
    const stream = { name: unique('QUORUM').toUpperCase().replace(/-/g, '_'), subjects: [`${unique('quorum')}.>`] };
    const deadlineMs = 4_000;
    const kv = await openKv(nc, bucket, Item, { replicas: 3, retry: { deadlineMs } });
    await ensureStream(nc, { ...stream, replicas: 3 });
    const publisher = new EventPublisher(nc, { deadlineMs });
    const subject = stream.subjects[0]!.replace('>', 'created');
    await cluster.waitCurrent(`KV_${bucket}`);
    await cluster.waitCurrent(stream.name);

    const downAt = Date.now();
    await Promise.all([cluster.kill(1), cluster.kill(2)]);
    const acknowledged: string[] = [];
    const attempt = async (id: string) => {
      const started = Date.now();
      const outcomes = await Promise.allSettled([
        kv.create(id, { n: 0, id }).then(() => void acknowledged.push(`kv:${id}`)),
        kv.put(`${id}-put`, { n: 1, id }).then(() => void acknowledged.push(`kv:${id}-put`)),
        publisher.publish(subject, { id }, id).then(() => void acknowledged.push(`stream:${id}`)),
      ]);
      return { outcomes, ms: Date.now() - started };
    };
    const refused = await Promise.all(['down-a', 'down-b', 'down-c'].map(attempt));
    for (const { outcomes, ms } of refused) {
      expect(ms).toBeLessThan(deadlineMs + 1_500);
      const [create, put, publish] = outcomes;
      expect(create).toMatchObject({ status: 'rejected', reason: expect.any(BusUnavailableError) });
      expect(put).toMatchObject({ status: 'rejected', reason: expect.any(BusUnavailableError) });
      expect(publish).toMatchObject({ status: 'rejected', reason: expect.any(PublishFailedError) });
      expect((publish as PromiseRejectedResult).reason.cause).toBeInstanceOf(BusUnavailableError);
    }
    expect(acknowledged).toStrictEqual([]);

    await cluster.restart(1);
    const backAt = Date.now();
    await eventually(() => kv.create('after-one-back', { n: 2, id: 'after-one-back' }), { timeoutMs: 30_000, signal: stack.signal });
    await eventually(() => publisher.publish(subject, { id: 'after-one-back' }, 'after-one-back'), { timeoutMs: 30_000, signal: stack.signal });
    console.log(`[bus cluster] two of three down: writes refused (each within ${deadlineMs} ms + ${Math.max(...refused.map((r) => r.ms)) - deadlineMs} ms) for ${backAt - downAt} ms until a node was restarted, then taken ${Date.now() - backAt} ms after`);
    expect((await kv.get('after-one-back'))?.value).toStrictEqual({ n: 2, id: 'after-one-back' });

    await cluster.restart(2);
    await cluster.waitCurrent(`KV_${bucket}`);
    await cluster.waitCurrent(stream.name);
    expect((await storedIds(stream.name)).get('after-one-back')).toBe(1);
  });

  it('opens an existing bucket at R3, and brings a bucket created at R1 up to three replicas', async () => {
    const bucket = unique('replicas');
    await openKv(nc, bucket, Item, { replicas: 1 });
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info(`KV_${bucket}`)).config.num_replicas).toBe(1);
    const kv = await openKv(nc, bucket, Item, { replicas: 3 });
    expect((await jsm.streams.info(`KV_${bucket}`)).config.num_replicas).toBe(3);
    await kv.put('k', { n: 1, id: 'k' });
    await cluster.waitCurrent(`KV_${bucket}`);
    const again = await openKv(nc, bucket, Item, { replicas: 3 });
    expect((await again.get('k'))?.value).toStrictEqual({ n: 1, id: 'k' });
  });

  it('reads every acknowledged write through a follower that missed it: get and lastRevision ask the stream leader, not any replica', async () => {
    const bucket = unique('reads');
    await openKv(nc, bucket, Item, { replicas: 3 });
    const leader = await cluster.waitLeader(`KV_${bucket}`);
    await cluster.waitCurrent(`KV_${bucket}`);
    const follower = [0, 1, 2].find((i) => i !== leader)!;
    const writer = await connectBus({ servers: cluster.urls[leader]!, name: 'bus-cluster-test-writer' });
    const reader = await connectBus({ servers: cluster.urls[follower]!, name: 'bus-cluster-test-reader' });
    try {
      const writes = await openKv(writer, bucket, Item);
      const reads = await openKv(reader, bucket, Item);
      for (let n = 1; n <= 10; n++) {
        // Frozen, the follower misses the write; resumed, it is asked at once, before it may have caught up.
        await cluster.pause(follower);
        let revision: number;
        try {
          revision = await writes.put('k', { n, id: `write-${n}` });
        } finally {
          await cluster.resume(follower);
        }
        const [got, last] = await Promise.all([reads.get('k'), reads.lastRevision()]);
        expect(got).toStrictEqual({ key: 'k', revision, value: { n, id: `write-${n}` } });
        expect(last).toBe(revision);
      }
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });
});
