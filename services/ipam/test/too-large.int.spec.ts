import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipamSubjects, LookupReply, PoolMapReply } from '@netbroker/contracts';
import { IpamClient, isIpamReplyTooLarge, isPayloadTooLarge, request, type NatsConnection } from '@netbroker/bus';
import { connectNats, eventually, startNats, startService, type NatsServer, type ServiceProcess } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A message larger than the server's max payload is never sent. A reply that would be is answered
// `reply-too-large` at once (the caller does not wait for its time-out) and logged; a request that
// would be fails at once in the caller. A nats-server of its own, with an 8 KiB max payload.

const MAX_PAYLOAD = 8 * 1024;
const TIMEOUT_MS = 20_000;
const owner = { tenant: 'acme', project: 'big', purpose: 'eip' };
let dir: string;
let nats: NatsServer;
let nc: NatsConnection;
let ipam: ServiceProcess;
let client: IpamClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-ipam-too-large-'));
  nats = await startNats(dir, () => undefined, `nats-too-large-${randomBytes(3).toString('hex')}`, undefined, { maxPayload: MAX_PAYLOAD });
  ipam = await startService({ service: 'ipam', name: 'ipam-too-large', env: { NATS_URL: nats.url, LOG_LEVEL: 'warn' } });
  nc = await connectNats(nats.url);
  client = new IpamClient(nc, { timeoutMs: TIMEOUT_MS });
  await client.putPool({ name: 'big', kind: 'address', prefixes: ['10.9.0.0/24'], reserved: [], ranges: [], presets: [] });
  // About 200 bytes each: 60 of them are more than 8 KiB in one reply.
  for (let i = 0; i < 60; i++) await client.allocate({ requestId: randomUUID(), pool: 'big', owner });
  // In a map, a block named with a long purpose: 100 of them are more than 8 KiB.
  await client.putPool({ name: 'wide', kind: 'address', prefixes: ['10.10.0.0/24'], reserved: [], ranges: [], presets: [] });
  for (let i = 0; i < 100; i++) await client.allocate({ requestId: randomUUID(), pool: 'wide', owner: { ...owner, purpose: `exposure:${'x'.repeat(100)}` } });
});
afterAll(async () => {
  await nc?.close();
  await ipam?.stop();
  await nats?.proc.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a server with a small max payload', () => {
  it('is what the connection reports', () => {
    expect(nc.info?.max_payload).toBe(MAX_PAYLOAD);
  });

  it('answers a reply larger than the max payload with reply-too-large at once, and logs it', async () => {
    const started = performance.now();
    const reply = await request(nc, ipamSubjects.lookup, { v: 1, pool: 'big', limit: 1000 }, LookupReply, { timeoutMs: TIMEOUT_MS });
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS / 4);
    expect(reply).toMatchObject({ ok: false, error: { reason: 'reply-too-large', message: expect.stringMatching(new RegExp(`more than the max payload of ${MAX_PAYLOAD}`)) } });
    await eventually(() => expect(ipam.proc.tail(20_000)).toMatch(/reply larger than the max payload/));
  });

  it('is IpamReplyTooLargeError in the client for one page, and the client’s walk asks smaller pages instead', async () => {
    const thrown = await client.lookupPage({ pool: 'big', limit: 1000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isIpamReplyTooLarge(thrown)).toBe(true);
    const all = await client.lookup({ pool: 'big' });
    expect(all.length).toBe(60);
    expect(new Set(all.map((a) => a.cidr)).size).toBe(60);
  });

  it('answers a page that fits', async () => {
    const reply = await request(nc, ipamSubjects.lookup, { v: 1, pool: 'big', limit: 10 }, LookupReply);
    expect(reply.ok && reply.value.allocations.length).toBe(10);
  });

  it('answers a map listing too many blocks with reply-too-large, and the client asks again with fewer (truncated)', async () => {
    const reply = await request(nc, ipamSubjects.poolMap, { v: 1, pool: 'wide', cells: 16, limit: 1000 }, PoolMapReply, { timeoutMs: TIMEOUT_MS });
    expect(reply).toMatchObject({ ok: false, error: { reason: 'reply-too-large' } });
    const map = await client.poolMap({ pool: 'wide', cells: 16, limit: 1000 });
    expect(map.blocks.length).toBeGreaterThan(0);
    expect(map.blocks.length).toBeLessThan(100);
    expect(map).toMatchObject({ truncated: true, totals: { allocated: '100' } });
  });

  it('fails a request larger than the max payload at once in the caller, naming sizes', async () => {
    const started = performance.now();
    const thrown = await request(nc, ipamSubjects.lookup, { v: 1, pool: 'x'.repeat(MAX_PAYLOAD) }, LookupReply, { timeoutMs: TIMEOUT_MS }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(isPayloadTooLarge(thrown)).toBe(true);
    expect(thrown).toMatchObject({ subject: ipamSubjects.lookup, maxPayload: MAX_PAYLOAD, bytes: expect.any(Number) });
    expect((thrown as Error).message).toMatch(/more than the server's max payload of 8192: not sent/);
  });
});
