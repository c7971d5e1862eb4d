import { randomUUID } from 'node:crypto';
import {
  AllocateReply,
  ipamSubjects,
  PoolMapReply,
  PutPoolReply,
  ReleaseReply,
  type Allocation,
  type AllocateRequest,
  type PoolSpec,
} from '@netbroker/contracts';
import { IpamClient, isRequestFailed, request, type NatsConnection } from '@netbroker/bus';
import { connectNats, eventually, metricValue, startService, type ServiceProcess } from '@netbroker/testing';
import { Address4, Address6 } from 'ip-address';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const stack = inject('stack');
const env = { NATS_URL: stack.natsUrl!, HOST_SERVICE_CIDRS: '10.96.0.0/16', LOG_LEVEL: 'warn' };
const owner = { tenant: 'acme', project: 'web', purpose: 'cidr' };

let nc: NatsConnection;
const replicas: ServiceProcess[] = [];
const startReplica = (i: number) => startService({ service: 'ipam', name: `ipam-${i}`, env });

beforeAll(async () => {
  nc = await connectNats(stack.natsUrl!);
  replicas.push(...(await Promise.all([1, 2, 3].map(startReplica))));
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await nc.close();
});

const putPool = (pool: Partial<PoolSpec> & Pick<PoolSpec, 'name'>) =>
  request(nc, ipamSubjects.putPool, { v: 1, pool: { kind: 'prefix', ...pool } }, PutPoolReply);
const allocate = (req: Partial<AllocateRequest> & Pick<AllocateRequest, 'pool'>, timeoutMs = 3_000) =>
  request(nc, ipamSubjects.allocate, { v: 1, requestId: randomUUID(), owner, ...req }, AllocateReply, { timeoutMs });
/** Every page of the pool's allocations. */
const allocationsOf = (pool: string) => new IpamClient(nc, { timeoutMs: 10_000 }).lookup({ pool });
const reasonOf = (reply: AllocateReply) => (reply.ok ? 'ok' : reply.error.reason);

/** [first, last] address of a CIDR as bigints. */
function span(cidr: string): [bigint, bigint] {
  const a = cidr.includes(':') ? new Address6(cidr) : new Address4(cidr);
  return [a.startAddress().bigInt(), a.endAddress().bigInt()];
}
function overlaps(cidrs: string[]): string[] {
  const sorted = cidrs.map((c) => ({ c, s: span(c) })).sort((a, b) => (a.s[0] < b.s[0] ? -1 : a.s[0] > b.s[0] ? 1 : 0));
  return sorted.slice(1).flatMap((x, i) => (x.s[0] <= sorted[i]!.s[1] ? [`${sorted[i]!.c} overlaps ${x.c}`] : []));
}

describe('bad input', () => {
  beforeAll(async () => {
    expect((await putPool({ name: 'bad-input', prefixes: ['10.64.0.0/10'], minPrefixLength: 12, maxPrefixLength: 28 })).ok).toBe(true);
  });

  it.each([
    ['a malformed CIDR', { cidr: '10.64.0.300/24' }, 'invalid-cidr'],
    ['host bits set', { cidr: '10.64.0.1/24' }, 'invalid-cidr'],
    ['a prefix longer than an address (smaller than any block of the pool)', { prefixLength: 33 }, 'prefix-too-small'],
    ['a block smaller than the pool allows', { prefixLength: 30 }, 'prefix-too-small'],
    ['a block larger than the pool allows', { prefixLength: 8 }, 'prefix-too-large'],
    ['an IPv6 CIDR from an IPv4 pool', { cidr: 'fd00::/64' }, 'wrong-family'],
    ['a CIDR outside the pool', { cidr: '192.168.0.0/24' }, 'outside-pool'],
    ["a CIDR in the host cluster's service range", { cidr: '10.96.3.0/24' }, 'overlaps-reserved'],
    ['an unknown pool', { pool: 'no-such-pool' }, 'unknown-pool'],
  ])('refuses %s', async (_name, extra, reason) => {
    const reply = await allocate({ pool: 'bad-input', ...extra });
    expect(reasonOf(reply)).toBe(reason);
    if (!reply.ok) expect(reply.error.message.length).toBeGreaterThan(5);
  });

  it.each([
    ['a body that is not JSON', 'this is not json'],
    ['an unknown field', JSON.stringify({ v: 1, requestId: 'x', pool: 'bad-input', owner, colour: 'blue' })],
    ['a missing owner', JSON.stringify({ v: 1, requestId: 'x', pool: 'bad-input' })],
    ['a wrong schema version', JSON.stringify({ v: 2, requestId: 'x', pool: 'bad-input', owner })],
  ])('answers %s with invalid-request', async (_name, body) => {
    const reply = await nc.request(ipamSubjects.allocate, body, { timeout: 3_000 });
    expect(AllocateReply.parse(reply.json())).toMatchObject({ ok: false, error: { reason: 'invalid-request' } });
  });

  it('answers a dry run without writing', async () => {
    expect(reasonOf(await allocate({ pool: 'bad-input', cidr: '10.96.3.0/24', dryRun: true }))).toBe('overlaps-reserved');
    const reply = await allocate({ pool: 'bad-input', cidr: '10.65.0.0/24', dryRun: true });
    expect(reply.ok && reply.value.cidr).toBe('10.65.0.0/24');
  });

  it('wrote nothing, and still allocates afterwards', async () => {
    expect(await allocationsOf('bad-input')).toEqual([]);
    const reply = await allocate({ pool: 'bad-input' });
    // Best fit: the /16 left free beside the reserved 10.96.0.0/16 is the smallest block that fits.
    expect(reply.ok && reply.value.cidr).toBe('10.97.0.0/24');
  });
});

describe('idempotency', () => {
  it('answers a repeated request id with the same allocation, and releasing twice is harmless', async () => {
    await putPool({ name: 'idem', prefixes: ['10.20.0.0/16'] });
    const requestId = randomUUID();
    const first = await allocate({ pool: 'idem', requestId });
    const again = await Promise.all([1, 2, 3, 4].map(() => allocate({ pool: 'idem', requestId })));
    expect(first.ok).toBe(true);
    for (const reply of again) expect(reply).toEqual(first);
    expect(await allocationsOf('idem')).toHaveLength(1);

    const cidr = first.ok ? first.value.cidr : '';
    const release = () => request(nc, ipamSubjects.release, { v: 1, pool: 'idem', cidr }, ReleaseReply);
    expect(await release()).toMatchObject({ ok: true, value: { released: [{ cidr }] } });
    expect(await release()).toEqual({ ok: true, value: { released: [] } });
    expect(await allocationsOf('idem')).toEqual([]);
  });
});

describe('three replicas racing', () => {
  it('never hand out overlapping blocks, even of mixed sizes', async () => {
    await putPool({ name: 'race', prefixes: ['10.30.0.0/18'], minPrefixLength: 20, maxPrefixLength: 28 });
    const sizes = [22, 24, 26, 23, 25, 28, 24, 24];
    // All at once: on a loaded 2-core machine the last answers take seconds.
    const replies = await Promise.all(Array.from({ length: 400 }, (_, i) => allocate({ pool: 'race', prefixLength: sizes[i % sizes.length] }, 30_000)));
    const granted = replies.flatMap((r) => (r.ok ? [r.value.cidr] : []));
    const refused = replies.flatMap((r) => (r.ok ? [] : [r.error.reason]));
    // At least 16: even if every /22 came first, sixteen of them fill the /18.
    expect(granted.length).toBeGreaterThanOrEqual(16);
    expect(new Set(refused)).toEqual(refused.length ? new Set(['exhausted']) : new Set());
    expect(overlaps(granted)).toEqual([]);
    const stored = (await allocationsOf('race')).map((a) => a.cidr).sort();
    expect(stored).toEqual([...granted].sort());
  });
});

describe('three replicas behind one subject', () => {
  it('never answer from behind: a pool created through one is known to whichever answers next', async () => {
    // Each allocation right after its pool's creation lands on any of the three replicas (queue
    // group); one that has not applied the pool yet would answer unknown-pool.
    const suffix = randomUUID().slice(0, 6);
    const reasons = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const name = `fresh-${suffix}-${i}`;
        const created = await putPool({ name, prefixes: [`10.${100 + (i % 100)}.${i}.0/24`], minPrefixLength: 24, maxPrefixLength: 28 });
        if (!created.ok) return `put: ${created.error.reason}`;
        return reasonOf(await allocate({ pool: name, prefixLength: 28 }));
      }),
    );
    expect(reasons.filter((r) => r !== 'ok')).toEqual([]);
  });
});

describe('the map of a pool', () => {
  it('is answered by every replica from its own view, each right after the allocation it shows', async () => {
    await putPool({ name: 'mapped', prefixes: ['10.40.0.0/16'], reserved: ['10.40.255.0/24'] });
    const other = { tenant: 'globex', project: 'db', purpose: 'cidr' };
    expect((await allocate({ pool: 'mapped', cidr: '10.40.1.0/24', owner: other })).ok).toBe(true);
    const map = (viewer?: string) => request(nc, ipamSubjects.poolMap, { v: 1, pool: 'mapped', cells: 256, ...(viewer ? { viewer } : {}) }, PoolMapReply);
    // Twenty rounds of an allocation then its map: whichever replica answers has applied it.
    const seen: Array<number | undefined> = [];
    for (let i = 0; i < 20; i++) {
      expect((await allocate({ pool: 'mapped', cidr: `10.40.${10 + i}.0/24` })).ok).toBe(true);
      const reply = await map('acme');
      if (!reply.ok) throw new Error(reply.error.message);
      seen.push(reply.value.own![10 + i]);
      expect(reply.value.blocks).toHaveLength(i + 1);
      expect(JSON.stringify(reply.value)).not.toContain('globex');
    }
    expect(seen).toEqual(new Array(20).fill(1000));
    const admin = await map();
    expect(admin).toMatchObject({ ok: true, value: { window: '10.40.0.0/16', totals: { allocated: String(21 * 256), reserved: '256' } } });
    expect(admin.ok && admin.value.blocks.find((b) => b.cidr === '10.40.1.0/24')).toEqual({ cidr: '10.40.1.0/24', tenant: 'globex', project: 'db', purpose: 'cidr' });
    expect(await request(nc, ipamSubjects.poolMap, { v: 1, pool: 'no-such-pool' }, PoolMapReply)).toMatchObject({ ok: false, error: { reason: 'unknown-pool' } });
  });
});

describe('a replica killed mid-run', () => {
  it('loses no committed allocation, leaks none, and agrees with the others after restart', async () => {
    await putPool({ name: 'kill', prefixes: ['10.40.0.0/16'], minPrefixLength: 16, maxPrefixLength: 28 });
    const total = 300;
    const done = new Map<string, Allocation>();
    let killed = false;
    /** A client that retries with the same request id until it gets an answer. */
    const allocateWithRetry = async (requestId: string): Promise<void> => {
      for (;;) {
        try {
          const reply = await allocate({ pool: 'kill', requestId, prefixLength: 26 });
          if (!reply.ok) throw new Error(`${reply.error.reason}: ${reply.error.message}`);
          done.set(requestId, reply.value);
          if (done.size === 100 && !killed) {
            killed = true;
            replicas[1]!.proc.kill('SIGKILL');
          }
          return;
        } catch (e) {
          if (!isRequestFailed(e)) throw e;
        }
      }
    };
    const ids = Array.from({ length: total }, () => randomUUID());
    for (let i = 0; i < total; i += 50) await Promise.all(ids.slice(i, i + 50).map(allocateWithRetry));
    expect(killed).toBe(true);
    expect(done.size).toBe(total);

    await replicas[1]!.stop();
    replicas[1] = await startReplica(2);
    const stored = await allocationsOf('kill');
    expect(stored.map((a) => a.cidr).sort()).toEqual([...done.values()].map((a) => a.cidr).sort());
    expect(new Set(stored.map((a) => a.requestId))).toEqual(new Set(ids));
    expect(overlaps(stored.map((a) => a.cidr))).toEqual([]);
    for (const replica of replicas) {
      await eventually(async () => {
        const page = await (await fetch(`${replica.opsUrl}/metrics`)).text();
        expect(metricValue(page, 'netbroker_ipam_allocations', 'pool="kill"')).toBe(total);
      });
    }
  });
});
