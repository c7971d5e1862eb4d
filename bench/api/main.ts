// `npm run bench:api`: projects created through the HTTP API end to end (202 → Ready), against
// real nats-server, kube-apiserver, ipam, provisioner and api processes; compared in the same run
// with the raw kube-apiserver writing the same objects. Last line: one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { projectBuckets, ProjectStatus } from '@netbroker/contracts';
import { openKv } from '@netbroker/bus';
import { projectNamespace, projectNetworkPolicies } from '@netbroker/translate';
import { connectNats, kubeConfigFor, startStack, type ServiceProcess } from '@netbroker/testing';
import { startPlatform } from '../platform';
import { median, percentile, printTable, round, runConcurrent } from '../stats';

const quick = process.env.BENCH_QUICK === '1';
const PACED = quick ? 200 : 1_000;
const RATE = 20;
const BURST = quick ? 100 : 300;
const LOAD_SECONDS = quick ? 5 : 10;
const LOAD_RATE = 200;
/** api processes behind the load (round robin): the target is p99 ≤ 100 ms for GETs with 3. */
const API_REPLICAS = Number(process.env.BENCH_API_REPLICAS ?? 3);

const stack = await startStack({ host: true });
const dir = mkdtempSync(join(tmpdir(), 'netbroker-bench-api-'));
const services: ServiceProcess[] = [];
try {
  const { call, token } = await startPlatform(stack, dir, services, {}, { apiReplicas: API_REPLICAS });

  // Time-to-Ready is observed on the status bucket, not by polling the API.
  const nc = await connectNats(stack.natsUrl!, 'bench-api');
  const readyAt = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  const statuses = await openKv(nc, projectBuckets.status, ProjectStatus);
  const follower = await statuses.follow(
    (change) => {
      if (change.op !== 'put' || change.value.phase !== 'Ready' || readyAt.has(change.key)) return;
      readyAt.set(change.key, performance.now());
      waiters.get(change.key)?.();
    },
    () => undefined,
  );
  const ready = (name: string) =>
    readyAt.has(`bench.${name}`) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(`bench.${name}`, resolve));
  const create = async (name: string) => {
    const t0 = performance.now();
    await call('POST', '/v1/projects', token, { name, egressNetworkType: 'cloud' });
    await ready(name);
    return readyAt.get(`bench.${name}`)! - t0;
  };

  // 1. Paced: RATE projects per second, each measured from its POST to Ready.
  const paced: number[] = [];
  const pacedStart = performance.now();
  await Promise.all(
    Array.from({ length: PACED }, async (_, i) => {
      await new Promise((r) => setTimeout(r, (i * 1000) / RATE));
      paced.push(await create(`p-${i}`));
    }),
  );
  const pacedSeconds = (performance.now() - pacedStart) / 1000;

  // 2. Burst: as fast as the stack goes, 32 requests in flight.
  const burstStart = performance.now();
  const burst = await runConcurrent(Array.from({ length: BURST }, (_, i) => `b-${i}`), 32, async (name) => void (await create(name)));
  const burstPerSec = BURST / ((performance.now() - burstStart) / 1000);

  // 3. API latency at LOAD_RATE requests/s: first GETs only (a project, or a page of 50 every
  // tenth request: what the api answers from its view), then 80% GET, 20% POST of a new project
  // (each POST sets the provisioner, ipam and kube-apiserver to work on the same two cores).
  const atLoadRate = async (requests: number, send: (i: number) => Promise<unknown>) =>
    Promise.all(
      Array.from({ length: requests }, async (_, i) => {
        await new Promise((r) => setTimeout(r, (i * 1000) / LOAD_RATE));
        const t0 = performance.now();
        await send(i);
        return performance.now() - t0;
      }),
    );
  const requests = LOAD_SECONDS * LOAD_RATE;
  const get = (i: number) => (i % 10 === 0 ? call('GET', '/v1/projects?limit=50', token) : call('GET', `/v1/projects/p-${i % PACED}`, token));
  const apis = services.filter((s) => s.name.startsWith('api'));
  /** The sum over the api replicas of one series of their /metrics; `labels` matches inside its braces. */
  const scrape = async (metric: string, labels = '[^}]*') => {
    let total = 0;
    for (const api of apis) {
      const text = await (await fetch(`${api.opsUrl}/metrics`)).text();
      total += Number(new RegExp(`^${metric}(?:\\{${labels}\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    }
    return total;
  };
  const cpuBefore = await scrape('netbroker_process_cpu_seconds_total');
  const getsOnly = await atLoadRate(requests, get);
  const apiCpuMsPerGet = ((await scrape('netbroker_process_cpu_seconds_total')) - cpuBefore) * 1000 / requests;
  // The layer underneath, in the same run and at the same pace: a KV get straight from NATS
  // (before its view, the api made four of these, one after another, for every GET).
  const rawGets = await atLoadRate(requests, (i) => statuses.get(`bench.p-${i % PACED}`));
  const latencies: Record<'GET' | 'POST', number[]> = { GET: [], POST: [] };
  await atLoadRate(requests, async (i) => {
    const method = i % 5 === 0 ? 'POST' : 'GET';
    const t0 = performance.now();
    if (method === 'POST') await call('POST', '/v1/projects', token, { name: `l-${i}`, egressNetworkType: 'public' });
    else await get(i);
    latencies[method].push(performance.now() - t0);
  });
  // What the api replicas waited for their views to catch up (the read barrier), over both phases:
  // the mean and the share of requests that waited longer than 100 ms.
  const barrierCount = await scrape('netbroker_api_read_barrier_seconds_count');
  const barrier = {
    count: barrierCount,
    sum: await scrape('netbroker_api_read_barrier_seconds_sum'),
    over100ms: barrierCount - (await scrape('netbroker_api_read_barrier_seconds_bucket', '[^}]*le="0\\.1"[^}]*')),
  };
  follower.stop();
  await nc.close();

  // Raw layer in the same run: the same objects (namespace + 4 NetworkPolicies a project)
  // written straight to the kube-apiserver, 32 projects in flight.
  const kube = KubernetesObjectApi.makeApiClient(kubeConfigFor(stack.host!));
  const rawStart = performance.now();
  const raw = await runConcurrent(Array.from({ length: BURST }, (_, i) => `raw-${i}`), 32, async (project) => {
    const ctx = { tenant: 'raw', project, uid: project, egressNetworkType: 'cloud', cidr: '10.0.0.0/24', internalCidrs: ['10.0.0.0/8'], dns: { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } } };
    await kube.create(projectNamespace(ctx));
    for (const policy of projectNetworkPolicies(ctx)) await kube.create(policy);
  });
  const rawPerSec = BURST / ((performance.now() - rawStart) / 1000);

  const result = {
    bench: 'api',
    projects: PACED,
    rate: RATE,
    readyP50Ms: round(median(paced)),
    readyP99Ms: round(percentile(paced, 99)),
    pacedSeconds: round(pacedSeconds),
    burstProjectsPerSec: round(burstPerSec),
    burstReadyP50Ms: round(median(burst)),
    rawKubeProjectsPerSec: round(rawPerSec),
    ratio: round(burstPerSec / rawPerSec),
    apiReplicas: API_REPLICAS,
    apiGetOnlyP50Ms: round(median(getsOnly)),
    apiGetOnlyP99Ms: round(percentile(getsOnly, 99)),
    apiP99Ms: round(percentile([...latencies.GET, ...latencies.POST], 99)),
    rawKvGetP99Ms: round(percentile(rawGets, 99)),
    apiCpuMsPerGet: round(apiCpuMsPerGet),
    barrierMeanMs: round((barrier.sum / Math.max(1, barrier.count)) * 1000),
    barrierOver100msShare: round(barrier.over100ms / Math.max(1, barrier.count)),
    apiGetP99Ms: round(percentile(latencies.GET, 99)),
    apiPostP99Ms: round(percentile(latencies.POST, 99)),
  };
  console.log(`api benchmark — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
  printTable('Projects through the API (POST → Ready)', [
    { run: `paced ${RATE}/s, ${PACED} projects`, 'projects/s': round(PACED / pacedSeconds), 'ready p50 ms': result.readyP50Ms, 'ready p99 ms': result.readyP99Ms },
    { run: `burst, ${BURST} projects, 32 in flight`, 'projects/s': result.burstProjectsPerSec, 'ready p50 ms': result.burstReadyP50Ms, 'ready p99 ms': round(percentile(burst, 99)) },
    { run: 'raw kube-apiserver: namespace + 4 policies', 'projects/s': result.rawKubeProjectsPerSec, 'ready p50 ms': round(median(raw)), 'ready p99 ms': round(percentile(raw, 99)) },
  ]);
  printTable(`API latency at ${LOAD_RATE} req/s for ${LOAD_SECONDS} s, ${API_REPLICAS} api replica(s)`, [
    { method: 'GET only (a project; a page of 50 every 10th)', requests: getsOnly.length, 'p50 ms': result.apiGetOnlyP50Ms, 'p99 ms': result.apiGetOnlyP99Ms },
    { method: 'mixed: GET', requests: latencies.GET.length, 'p50 ms': round(median(latencies.GET)), 'p99 ms': result.apiGetP99Ms },
    { method: 'mixed: POST /v1/projects', requests: latencies.POST.length, 'p50 ms': round(median(latencies.POST)), 'p99 ms': result.apiPostP99Ms },
    { method: 'raw NATS KV get (same pace)', requests: rawGets.length, 'p50 ms': round(median(rawGets)), 'p99 ms': result.rawKvGetP99Ms },
  ]);
  console.log(`api CPU per GET (GET-only phase, all replicas): ${result.apiCpuMsPerGet} ms, i.e. ${round((result.apiCpuMsPerGet * LOAD_RATE) / 1000)} cores at ${LOAD_RATE} req/s`);
  console.log(`read barriers (writes before and after, confirmed 404s, a GET's at most one per READ_STALENESS_MS; both phases): mean ${result.barrierMeanMs} ms, ${round(result.barrierOver100msShare * 100)} % waited > 100 ms`);
  console.log(JSON.stringify(result));
} finally {
  for (const service of services.reverse()) await service.stop();
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}
