import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllocateReply, ipamSubjects, Lease, leaseBuckets, type Allocation } from '@netbroker/contracts';
import { IpamClient, isIpamUnavailable, openKv, request, type NatsConnection } from '@netbroker/bus';
import { connectNats, eventually, metricSum, metricValue, startNats, startService, type NatsServer, type ServiceProcess } from '@netbroker/testing';
import { Address4 } from 'ip-address';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// One allocating holder per pool (lease `ipam.pool.<pool>` in controller-leases): allocations land
// on the holder, a SIGKILLed holder is replaced once its lease expires, a SIGTERMed one at once, and
// two replicas that both believe they hold a pool still never hand out overlapping blocks. A
// nats-server of its own: no other test's replicas compete for these leases.

const owner = { tenant: 'acme', project: 'web', purpose: 'cidr' };
let dir: string;
let nats: NatsServer;
let nc: NatsConnection;
const running: ServiceProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-ipam-holders-'));
  nats = await startNats(dir, () => undefined, `nats-holders-${randomBytes(3).toString('hex')}`);
  nc = await connectNats(nats.url);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await nc?.close();
  await nats?.proc.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const start = async (name: string, env: Record<string, string> = {}) => {
  const replica = await startService({ service: 'ipam', name, env: { NATS_URL: nats.url, LOG_LEVEL: 'warn', ...env } });
  running.push(replica);
  return replica;
};
const startThree = (tag: string, leaseSeconds: number) => Promise.all([1, 2, 3].map((i) => start(`ipam-${tag}-${i}`, { LEASE_SECONDS: String(leaseSeconds) })));
const metrics = async (r: ServiceProcess) => (await fetch(`${r.opsUrl}/metrics`)).text();
/** The replicas whose metrics say they hold `pool`. */
const holdersOf = async (replicas: ServiceProcess[], pool: string) => {
  const pages = await Promise.all(replicas.map((r) => (r.proc.running ? metrics(r) : Promise.resolve(''))));
  return replicas.filter((_, i) => metricValue(pages[i]!, 'netbroker_ipam_pool_held', `pool="${pool}"`) === 1);
};
const oneHolder = async (replicas: ServiceProcess[], pool: string) => {
  const holders = await holdersOf(replicas, pool);
  expect(holders, `holders of ${pool}`).toHaveLength(1);
  return holders[0]!;
};

function overlaps(cidrs: string[]): string[] {
  const spans = cidrs.map((c) => ({ c, a: new Address4(c) })).map(({ c, a }) => ({ c, s: a.startAddress().bigInt(), e: a.endAddress().bigInt() }));
  spans.sort((x, y) => (x.s < y.s ? -1 : x.s > y.s ? 1 : 0));
  return spans.slice(1).flatMap((x, i) => (x.s <= spans[i]!.e ? [`${spans[i]!.c} overlaps ${x.c}`] : []));
}

/** Allocates until answered, asking again with the same request id after a typed unavailable error; records every such error. */
async function allocateUntilAnswered(client: IpamClient, pool: string, requestId: string, prefixLength: number, unavailable: string[]): Promise<Allocation> {
  for (;;) {
    try {
      return await client.allocate({ requestId, pool, owner, prefixLength });
    } catch (e) {
      if (!isIpamUnavailable(e)) throw e;
      unavailable.push(e.kind);
    }
  }
}

describe('three replicas, several pools', () => {
  it('spread the pools over the replicas, and each pool is allocated only by its holder', async () => {
    const replicas = await startThree('spread', 5);
    const client = new IpamClient(nc, { timeoutMs: 20_000 });
    const pools = Array.from({ length: 6 }, (_, i) => `spread-${i}`);
    for (const [i, name] of pools.entries()) await client.putPool({ name, kind: 'prefix', prefixes: [`10.${10 + i}.0.0/16`], reserved: [], ranges: [], presets: [] });
    const holders = new Map<string, ServiceProcess>();
    await eventually(async () => {
      for (const pool of pools) holders.set(pool, await oneHolder(replicas, pool));
    });
    expect(new Set(holders.values()).size).toBeGreaterThanOrEqual(2);

    // Half through IpamClient (straight to the holder's subject), half on the public subject, where
    // whichever replica takes a request hands it to the pool's holder.
    const viaPublic = async (pool: string) => {
      const reply = await request(nc, ipamSubjects.allocate, { v: 1, requestId: randomUUID(), pool, owner, prefixLength: 26 }, AllocateReply, { timeoutMs: 20_000 });
      if (!reply.ok) throw new Error(`${reply.error.reason}: ${reply.error.message}`);
      return reply.value;
    };
    const granted = await Promise.all(
      pools.flatMap((pool) => Array.from({ length: 20 }, (_, i) => (i % 2 ? viaPublic(pool) : client.allocate({ requestId: randomUUID(), pool, owner, prefixLength: 26 })))),
    );
    expect(granted).toHaveLength(120);
    const pages = await Promise.all(replicas.map(metrics));
    for (const pool of pools) {
      const written = replicas.map((r, i) => metricValue(pages[i]!, 'netbroker_ipam_written_total', `pool="${pool}"`) ?? 0);
      expect(written[replicas.indexOf(holders.get(pool)!)], `written by the holder of ${pool}`).toBe(20);
      expect(written.reduce((a, b) => a + b), `written in ${pool} by all`).toBe(20);
      expect(overlaps(granted.filter((a) => a.pool === pool).map((a) => a.cidr))).toEqual([]);
    }
    // Two thirds of the public requests reach a replica that does not hold their pool (queue group): they were forwarded.
    const forwarded = pages.reduce((n, page) => n + metricSum(page, 'netbroker_ipam_forwarded_total', 'outcome="answered"'), 0);
    expect(forwarded).toBeGreaterThan(0);
  });
});

describe('a holder stopped with SIGTERM', () => {
  it('releases its pools at once: another replica allocates well before the lease would expire', async () => {
    const leaseSeconds = 30;
    const replicas = await startThree('term', leaseSeconds);
    const client = new IpamClient(nc, { timeoutMs: 20_000 });
    await client.putPool({ name: 'term', kind: 'prefix', prefixes: ['10.30.0.0/16'], reserved: [], ranges: [], presets: [] });
    const first = await client.allocate({ requestId: randomUUID(), pool: 'term', owner });
    const holder = await eventually(() => oneHolder(replicas, 'term'));

    const stopped = performance.now();
    await holder.stop();
    const rest = replicas.filter((r) => r !== holder);
    const next = await eventually(() => oneHolder(rest, 'term'), { timeoutMs: 10_000 });
    const second = await client.allocate({ requestId: randomUUID(), pool: 'term', owner });
    const tookMs = performance.now() - stopped;
    expect(tookMs).toBeLessThan((leaseSeconds * 1000) / 3);
    expect(overlaps([first.cidr, second.cidr])).toEqual([]);
    const page = await metrics(next);
    expect(metricValue(page, 'netbroker_ipam_written_total', 'pool="term"')).toBe(1);
  });
});

describe('a holder killed with SIGKILL during a stream of allocations', () => {
  it('is replaced once its lease expires; every answered allocation is stored once, none overlap, and a request either succeeds or fails typed', async () => {
    const replicas = await startThree('kill', 2);
    const client = new IpamClient(nc, { timeoutMs: 3_000 });
    await client.putPool({ name: 'kill', kind: 'prefix', prefixes: ['10.40.0.0/16'], minPrefixLength: 20, maxPrefixLength: 28, reserved: [], ranges: [], presets: [] });
    const victim = await eventually(() => oneHolder(replicas, 'kill'));
    const survivors = replicas.filter((r) => r !== victim);

    const total = 300;
    const sizes = [26, 27, 28, 25];
    const answered = new Map<string, Allocation>();
    const unavailable: string[] = [];
    let killed = false;
    const ids = Array.from({ length: total }, () => randomUUID());
    let next = 0;
    // 16 clients, each asking one request id after another until all are answered.
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const i = next++;
          answered.set(ids[i]!, await allocateUntilAnswered(client, 'kill', ids[i]!, sizes[i % sizes.length]!, unavailable));
          if (answered.size >= 100 && !killed) {
            killed = true;
            victim.proc.kill('SIGKILL');
          }
        }
      }),
    );
    expect(killed).toBe(true);
    expect(answered.size).toBe(total);
    // Any other error failed the run above; and the ipam never failed inside.
    expect(unavailable.filter((kind) => kind === 'internal')).toEqual([]);
    await victim.proc.exited;
    await oneHolder(survivors, 'kill');

    const stored = await client.lookup({ pool: 'kill' });
    expect(stored.map((a) => a.requestId).sort()).toEqual([...ids].sort());
    expect(stored.map((a) => a.cidr).sort()).toEqual([...answered.values()].map((a) => a.cidr).sort());
    expect(overlaps(stored.map((a) => a.cidr))).toEqual([]);
    // Asked again after the takeover, a request id answers its first allocation.
    for (const id of ids.slice(0, 20)) expect((await client.allocate({ requestId: id, pool: 'kill', owner, prefixLength: 26 })).cidr).toBe(answered.get(id)!.cidr);
  });
});

describe('no replica can take a pool', () => {
  it('answers allocations typed no-holder after the bound, and takes the pool at once when the lease is released', async () => {
    const leases = await openKv(nc, leaseBuckets.controllers, Lease);
    const now = Date.now();
    const ghost = await leases.create('ipam.pool.ghost', { v: 1, holder: 'a-replica-that-is-gone', renewedAt: new Date(now).toISOString(), expiresAt: new Date(now + 120_000).toISOString() });
    const replicas = await startThree('ghost', 1);
    const client = new IpamClient(nc, { timeoutMs: 10_000 });
    await client.putPool({ name: 'ghost', kind: 'prefix', prefixes: ['10.50.0.0/16'], reserved: [], ranges: [], presets: [] });

    const asked = performance.now();
    const refused = await client.allocate({ requestId: randomUUID(), pool: 'ghost', owner }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'IpamUnavailableError', kind: 'no-holder', subject: ipamSubjects.allocate });
    expect(performance.now() - asked).toBeGreaterThanOrEqual(1_900); // the bound: twice the 1 s lease
    expect(await holdersOf(replicas, 'ghost')).toEqual([]);
    expect(await client.lookup({ pool: 'ghost' })).toEqual([]);

    await leases.delete('ipam.pool.ghost', ghost);
    await eventually(() => oneHolder(replicas, 'ghost'), { timeoutMs: 2_000 });
    expect((await client.allocate({ requestId: randomUUID(), pool: 'ghost', owner })).pool).toBe('ghost');
  });
});

describe('two replicas that both believe they hold a pool', () => {
  it('never hand out overlapping blocks: KV create() and the revision order stay the arbiter', async () => {
    // One replica id twice: the second takes the lease as "its own" (a renewal), so both hold it
    // until the first's next renewal fails its compare-and-set, 20 s into a 60 s lease.
    const first = await start('ipam-twin-1', { REPLICA_ID: 'twin', LEASE_SECONDS: '60' });
    const client = new IpamClient(nc, { timeoutMs: 20_000 });
    await client.putPool({ name: 'twin', kind: 'prefix', prefixes: ['10.60.0.0/15'], minPrefixLength: 20, maxPrefixLength: 28, reserved: [], ranges: [], presets: [] });
    await eventually(() => oneHolder([first], 'twin'));
    const second = await start('ipam-twin-2', { REPLICA_ID: 'twin', LEASE_SECONDS: '60' });
    await eventually(async () => expect(await holdersOf([first, second], 'twin')).toEqual([first, second]));

    const sizes = [22, 24, 26, 23, 25, 28, 24, 24];
    const replies = await Promise.all(
      Array.from({ length: 400 }, (_, i) => client.allocate({ requestId: randomUUID(), pool: 'twin', owner, prefixLength: sizes[i % sizes.length]! }).catch((e: unknown) => e)),
    );
    const granted = replies.flatMap((r) => (r && typeof r === 'object' && 'cidr' in r ? [(r as Allocation).cidr] : []));
    const refused = replies.filter((r) => !(r && typeof r === 'object' && 'cidr' in r));
    expect(refused.every((e) => (e as { reason?: string }).reason === 'exhausted')).toBe(true);
    expect(granted.length).toBeGreaterThanOrEqual(16);
    expect(overlaps(granted)).toEqual([]);
    const pages = await Promise.all([first, second].map(metrics));
    const written = pages.map((p) => metricValue(p, 'netbroker_ipam_written_total', 'pool="twin"') ?? 0);
    expect(written.every((n) => n > 0), `both wrote: ${written.join(', ')}`).toBe(true);
    expect((await client.lookup({ pool: 'twin' })).map((a) => a.cidr).sort()).toEqual([...granted].sort());
  });
});
