// W5: real ipam replicas against nats-server with JetStream at R1 (one server) and R3 (a 3-node
// cluster), compared in the same run with raw JetStream KV create() at the
// same concurrency and replication.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ipamSubjects, pageLimits, PutPoolReply, type Allocation } from '@netbroker/contracts';
import { IpamClient, isIpamUnavailable, isRequestFailed, request, type NatsConnection } from '@netbroker/bus';
import { buildService, connectNats, startService, startStack, type ServiceProcess, type StackOptions } from '@netbroker/testing';
import { Kvm } from '@nats-io/kv';
import { Address4 } from 'ip-address';
import { median, percentile, round, runConcurrent } from '../stats';

export interface W5Options {
  allocations: number;
  concurrency: number;
  /** ipam replicas. */
  replicas: number;
  /** JetStream replicas of the KV buckets (the ipam's NATS_REPLICAS and the raw bucket): 1 or 3. */
  natsReplicas: 1 | 3;
}

/** How long one request may take before it counts as timed out (and is asked again at the end). */
const REQUEST_TIMEOUT_MS = 30_000;
/** How often a lookup page that timed out is asked again before the run gives up on the check. */
const PAGE_ATTEMPTS = 3;

/** The stack of a replication factor: R1 is one nats-server, R3 the harness's 3-node cluster. */
const stackFor = (natsReplicas: 1 | 3): StackOptions => (natsReplicas === 1 ? { host: false } : { host: false, nats: { nodes: 3 } });

export interface W5Result {
  /** Answered allocations per second of the allocating phase. */
  allocsPerSec: number;
  /** Latencies of every allocate, a timed-out one at its time-out. */
  p50Ms: number;
  p99Ms: number;
  rawKvCreatePerSec: number;
  rawP50Ms: number;
  ratio: number;
  overlaps: number;
  /** Allocate requests with no reply within REQUEST_TIMEOUT_MS (each asked again, same request id, at the end). */
  timedOut: number;
  /** Timed-out requests still unanswered when asked again. */
  unanswered: number;
  /** Lookup pages that timed out (and were asked again). */
  lookupPageTimeouts: number;
  /** Allocations the paged lookup of the pool found; `storedMatches`: exactly the granted ones. */
  stored: number;
  storedMatches: boolean;
  rows: Array<Record<string, string | number>>;
}

function countOverlaps(cidrs: string[]): number {
  const spans = cidrs
    .map((c) => new Address4(c))
    .map((a) => [a.startAddress().bigInt(), a.endAddress().bigInt()] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return spans.slice(1).filter((s, i) => s[0] <= spans[i]![1]).length;
}

/** An allocate that timed out, as the caller sees it (no reply, or the ipam's own internal failure is not one). */
const timedOut = (e: unknown) => (isRequestFailed(e) && e.kind === 'timeout') || (isIpamUnavailable(e) && e.kind === 'timeout');

/** Every allocation of the pool, page by page; a page that times out is asked again (counted). */
async function storedIn(nc: NatsConnection, pool: string): Promise<{ allocations: Allocation[]; pageTimeouts: number }> {
  const ipam = new IpamClient(nc, { timeoutMs: REQUEST_TIMEOUT_MS });
  const allocations: Allocation[] = [];
  let pageTimeouts = 0;
  let after: string | undefined;
  do {
    for (let attempt = 1; ; attempt++) {
      try {
        const page = await ipam.lookupPage({ pool, limit: pageLimits.max, ...(after !== undefined ? { continue: after } : {}) });
        allocations.push(...page.items);
        after = page.continue;
        break;
      } catch (e) {
        if (!timedOut(e) || attempt === PAGE_ATTEMPTS) throw e;
        pageTimeouts++;
      }
    }
  } while (after !== undefined);
  return { allocations, pageTimeouts };
}

export async function runW5({ allocations, concurrency, replicas: count, natsReplicas }: W5Options): Promise<W5Result> {
  const stack = await startStack(stackFor(natsReplicas));
  const replicas: ServiceProcess[] = [];
  try {
    const env = { NATS_URL: stack.natsUrl!, LOG_LEVEL: 'warn', NATS_REPLICAS: String(natsReplicas) };
    // The ipam runs as it ships: one bundled ES module under plain node (no TypeScript loader).
    const entry = await buildService('ipam', join(stack.dir, 'dist'));
    replicas.push(...(await Promise.all(Array.from({ length: count }, (_, i) => startService({ service: 'ipam', name: `ipam-${i + 1}`, env, entry })))));
    const nc = await connectNats(stack.natsUrl!, 'bench-ipam');
    const pool = await request(nc, ipamSubjects.putPool, { v: 1, pool: { name: 'bench', kind: 'prefix', prefixes: ['10.0.0.0/8'] } }, PutPoolReply);
    if (!pool.ok) throw new Error(pool.error.message);

    // Raw layer first: create() of fresh keys with the same concurrency.
    const kv = await new Kvm(nc).create('bench-raw', { history: 1, replicas: natsReplicas });
    const rawKeys = Array.from({ length: allocations }, (_, i) => `raw.${i}`);
    const rawStart = performance.now();
    const rawLatencies = await runConcurrent(rawKeys, concurrency, async (key) => void (await kv.create(key, '{"v":1}')));
    const rawPerSec = allocations / ((performance.now() - rawStart) / 1000);

    const owner = { tenant: 'bench', project: 'p', purpose: 'cidr' };
    const granted: string[] = [];
    const late: string[] = [];
    // As every service asks: IpamClient, straight to the pool holder's subject (cmd.ipam.pool.bench.allocate).
    const client = new IpamClient(nc, { timeoutMs: REQUEST_TIMEOUT_MS });
    const allocate = async (requestId: string) => (await client.allocate({ requestId, pool: 'bench', owner })).cidr;
    const ids = Array.from({ length: allocations }, () => randomUUID());
    const start = performance.now();
    const latencies = await runConcurrent(ids, concurrency, async (requestId) => {
      try {
        granted.push(await allocate(requestId));
      } catch (e) {
        if (!timedOut(e)) throw e;
        late.push(requestId);
      }
    });
    const perSec = (allocations - late.length) / ((performance.now() - start) / 1000);
    // A timed-out request may have been allocated: the same request id answers the same block.
    let unanswered = 0;
    for (const requestId of late) {
      try {
        granted.push(await allocate(requestId));
      } catch (e) {
        if (!timedOut(e)) throw e;
        unanswered++;
      }
    }

    const stored = await storedIn(nc, 'bench');
    const storedCidrs = stored.allocations.map((a) => a.cidr).sort();
    const grantedCidrs = [...granted].sort();
    const storedMatches = unanswered === 0 && storedCidrs.length === grantedCidrs.length && storedCidrs.every((c, i) => c === grantedCidrs[i]);
    const overlaps = countOverlaps(granted);
    await nc.close();

    const ratio = perSec / rawPerSec;
    const r = `R${natsReplicas}`;
    return {
      allocsPerSec: round(perSec, 0),
      p50Ms: round(median(latencies)),
      p99Ms: round(percentile(latencies, 99)),
      rawKvCreatePerSec: round(rawPerSec, 0),
      rawP50Ms: round(median(rawLatencies)),
      ratio: round(ratio),
      overlaps,
      timedOut: late.length,
      unanswered,
      lookupPageTimeouts: stored.pageTimeouts,
      stored: stored.allocations.length,
      storedMatches,
      rows: [
        { what: `raw KV create(), ${r}, ${concurrency} in flight`, 'ops/s': round(rawPerSec, 0), 'p50 ms': round(median(rawLatencies)), 'p99 ms': round(percentile(rawLatencies, 99)) },
        { what: `ipam allocate (IpamClient), ${count} replicas, ${r}, ${concurrency} in flight`, 'ops/s': round(perSec, 0), 'p50 ms': round(median(latencies)), 'p99 ms': round(percentile(latencies, 99)) },
        { what: 'ratio (ipam / raw KV)', 'ops/s': round(ratio), 'p50 ms': '', 'p99 ms': `${overlaps} overlaps` },
        { what: `timed out (> ${REQUEST_TIMEOUT_MS / 1000} s), asked again`, 'ops/s': late.length, 'p50 ms': '', 'p99 ms': `${unanswered} unanswered` },
        { what: `paged lookup of the pool (${pageLimits.max} a page)`, 'ops/s': stored.allocations.length, 'p50 ms': '', 'p99 ms': storedMatches ? 'all granted, once' : 'DIFFERS from granted' },
      ],
    };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await stack.stop();
  }
}
