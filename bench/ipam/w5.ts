// W5: three real ipam replicas against one nats-server, compared in the same run with raw
// JetStream KV create() at the same concurrency.
import { randomUUID } from 'node:crypto';
import { AllocateReply, ipamSubjects, LookupReply, PutPoolReply } from '@netbroker/contracts';
import { request } from '@netbroker/bus';
import { connectNats, startService, startStack, type ServiceProcess } from '@netbroker/testing';
import { Kvm } from '@nats-io/kv';
import { Address4 } from 'ip-address';
import { median, percentile, round, runConcurrent } from '../stats';

export interface W5Options {
  allocations: number;
  concurrency: number;
  replicas: number;
}

export interface W5Result {
  allocsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  rawKvCreatePerSec: number;
  rawP50Ms: number;
  ratio: number;
  overlaps: number;
  rows: Array<Record<string, string | number>>;
}

function countOverlaps(cidrs: string[]): number {
  const spans = cidrs
    .map((c) => new Address4(c))
    .map((a) => [a.startAddress().bigInt(), a.endAddress().bigInt()] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return spans.slice(1).filter((s, i) => s[0] <= spans[i]![1]).length;
}

export async function runW5({ allocations, concurrency, replicas: count }: W5Options): Promise<W5Result> {
  const stack = await startStack({ host: false });
  const replicas: ServiceProcess[] = [];
  try {
    const env = { NATS_URL: stack.natsUrl!, LOG_LEVEL: 'warn' };
    replicas.push(...(await Promise.all(Array.from({ length: count }, (_, i) => startService({ service: 'ipam', name: `ipam-${i + 1}`, env })))));
    const nc = await connectNats(stack.natsUrl!, 'bench-ipam');
    const pool = await request(nc, ipamSubjects.putPool, { v: 1, pool: { name: 'bench', kind: 'prefix', prefixes: ['10.0.0.0/8'] } }, PutPoolReply);
    if (!pool.ok) throw new Error(pool.error.message);

    // Raw layer first: create() of fresh keys with the same concurrency.
    const kv = await new Kvm(nc).create('bench-raw', { history: 1 });
    const rawKeys = Array.from({ length: allocations }, (_, i) => `raw.${i}`);
    const rawStart = performance.now();
    const rawLatencies = await runConcurrent(rawKeys, concurrency, async (key) => void (await kv.create(key, '{"v":1}')));
    const rawPerSec = allocations / ((performance.now() - rawStart) / 1000);

    const owner = { tenant: 'bench', project: 'p', purpose: 'cidr' };
    const granted: string[] = [];
    const ids = Array.from({ length: allocations }, () => randomUUID());
    const start = performance.now();
    const latencies = await runConcurrent(ids, concurrency, async (requestId) => {
      const reply = await request(nc, ipamSubjects.allocate, { v: 1, requestId, pool: 'bench', owner }, AllocateReply, { timeoutMs: 30_000 });
      if (!reply.ok) throw new Error(`${reply.error.reason}: ${reply.error.message}`);
      granted.push(reply.value.cidr);
    });
    const perSec = allocations / ((performance.now() - start) / 1000);

    const stored = await request(nc, ipamSubjects.lookup, { v: 1, pool: 'bench' }, LookupReply, { timeoutMs: 30_000 });
    if (!stored.ok || stored.value.allocations.length !== allocations) throw new Error('stored allocations differ from granted ones');
    const overlaps = countOverlaps(granted);
    await nc.close();

    const ratio = perSec / rawPerSec;
    return {
      allocsPerSec: round(perSec, 0),
      p50Ms: round(median(latencies)),
      p99Ms: round(percentile(latencies, 99)),
      rawKvCreatePerSec: round(rawPerSec, 0),
      rawP50Ms: round(median(rawLatencies)),
      ratio: round(ratio),
      overlaps,
      rows: [
        { what: `raw KV create(), ${concurrency} in flight`, 'ops/s': round(rawPerSec, 0), 'p50 ms': round(median(rawLatencies)), 'p99 ms': round(percentile(rawLatencies, 99)) },
        { what: `ipam allocate, ${count} replicas, ${concurrency} in flight`, 'ops/s': round(perSec, 0), 'p50 ms': round(median(latencies)), 'p99 ms': round(percentile(latencies, 99)) },
        { what: 'ratio (ipam / raw KV)', 'ops/s': round(ratio), 'p50 ms': '', 'p99 ms': `${overlaps} overlaps` },
      ],
    };
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await stack.stop();
  }
}
