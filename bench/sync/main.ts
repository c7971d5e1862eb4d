// `npm run bench:sync`: Services of 5 virtual clusters synced into their host namespaces by the
// real syncer process (real nats-server, etcd, host + 5 virtual kube-apiservers); compared in the
// same run with a raw loop creating the same Services in the host apiserver. Last line: one JSON line.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { projectBuckets, VClusterRecord } from '@netbroker/contracts';
import { openKv } from '@netbroker/bus';
import { Informer } from '@netbroker/kube';
import { annotations, hostName, labels } from '@netbroker/naming';
import { sealSecret } from '@netbroker/runtime';
import { buildService, connectNats, eventually, freePort, kubeconfigFile, kubeConfigFor, metricSum, metricValue, startService, startStack, type ServiceProcess } from '@netbroker/testing';
import { median, percentile, printTable, round, runConcurrent } from '../stats';
import { cpuMeter, Inspector, requestCounts, rssMB, summariseSnapshot } from './probe';

const quick = process.env.BENCH_QUICK === '1';
const CLUSTERS = 5;
const SERVICES = quick ? 1_000 : 5_000;
const NAMESPACES = 10; // per virtual cluster
const SYNCER_CONCURRENCY = Number(process.env.BENCH_SYNCER_CONCURRENCY ?? 8); // per virtual cluster (the syncer's default): the raw loop gets the same total in flight
const RATE = 50;
const STEADY_SECONDS = quick ? 10 : 20;
/** Extra node flags for the syncer (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`): profiling runs only. */
const SYNCER_NODE_ARGS = (process.env.BENCH_SYNCER_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Where to write a heap snapshot of the syncer at the end, with everything synced (summarised by constructor). */
const HEAP_SNAPSHOT = process.env.BENCH_HEAP_SNAPSHOT;

const stack = await startStack({ virtualClusters: CLUSTERS });
const dir = mkdtempSync(join(tmpdir(), 'netbroker-bench-sync-'));
const key = randomBytes(32);
let syncer: ServiceProcess | undefined;
let hostWatch: Informer<V1Service> | undefined;
try {
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  const hostKc = kubeConfigFor(stack.host!);
  const host = hostKc.makeApiClient(CoreV1Api);
  const virtual = stack.virtual.map((v) => kubeConfigFor(v).makeApiClient(CoreV1Api));
  const vclusterOf = (i: number) => `vc${i}`;
  const hostNs = (i: number) => `bench-p${i}`;
  // The syncer runs as it ships: one bundled ES module under plain node (no TypeScript loader).
  const entry = await buildService('syncer', join(dir, 'dist'));
  // The inspector is only activated (SIGUSR1) to read the heap after a forced GC; until then the process runs without it.
  let inspectPort = 0;
  const startSyncer = async () =>
    startService({
      service: 'syncer',
      entry,
      nodeArgs: [`--inspect-port=127.0.0.1:${(inspectPort = await freePort())}`, ...SYNCER_NODE_ARGS],
      env: { NATS_URL: stack.natsUrl!, KUBECONFIG: join(dir, 'host.kubeconfig'), NETBROKER_ENCRYPTION_KEY: key.toString('base64'), LOG_LEVEL: 'warn', CONCURRENCY: String(SYNCER_CONCURRENCY) },
    });
  const service = (name: string): V1Service => ({ metadata: { name, labels: { app: name } }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
  const items = Array.from({ length: SERVICES }, (_, i) => ({ cluster: i % CLUSTERS, namespace: `ns-${Math.floor(i / CLUSTERS) % NAMESPACES}`, name: `s-${i}` }));
  const inFlight = CLUSTERS * SYNCER_CONCURRENCY;

  // Host objects are observed with a watch: first-seen time per host name.
  const seen = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  hostWatch = new Informer<V1Service>(hostKc, {
    path: '/api/v1/services',
    labelSelector: `${labels.managedBy}=netbroker`,
    list: () => host.listServiceForAllNamespaces({ labelSelector: `${labels.managedBy}=netbroker` }),
    onChange: (svc) => {
      const id = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
      if (seen.has(id)) return;
      seen.set(id, performance.now());
      waiters.get(id)?.();
    },
    onDelete: () => undefined,
  });
  await hostWatch.start();
  await hostWatch.waitForSync();
  const hostId = (cluster: number, namespace: string, name: string) => `${hostNs(cluster)}/${hostName({ name, namespace, vcluster: vclusterOf(cluster) })}`;
  const onHost = (id: string) => (seen.has(id) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(id, resolve)));

  // 1. Raw layer: the same Services created straight in the host apiserver, same client, same total in flight.
  await host.createNamespace({ body: { metadata: { name: 'bench-raw' } } });
  const rawStart = performance.now();
  await runConcurrent(items, inFlight, async ({ name }) => void (await host.createNamespacedService({ namespace: 'bench-raw', body: service(name) })));
  const rawSeconds = (performance.now() - rawStart) / 1000;

  // 2. Converge: N virtual Services exist first; then the 5 registrations appear and the syncer catches up.
  for (let c = 0; c < CLUSTERS; c++) {
    await host.createNamespace({ body: { metadata: { name: hostNs(c) } } });
    for (let n = 0; n < NAMESPACES; n++) await virtual[c]!.createNamespace({ body: { metadata: { name: `ns-${n}` } } });
  }
  await runConcurrent(items, inFlight, async ({ cluster, namespace, name }) => void (await virtual[cluster]!.createNamespacedService({ namespace, body: service(name) })));
  syncer = await startSyncer();
  const nc = await connectNats(stack.natsUrl!, 'bench-sync');
  const vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord);
  // CPU seconds of every process per phase: is the machine out of CPU, or is the syncer waiting?
  const pids = new Map<string, number>([...stack.processes].map(([name, proc]) => [name, proc.pid]));
  pids.set('syncer', syncer.proc.pid);
  const convergeCpu = cpuMeter(pids);
  const convergeStart = performance.now();
  for (let c = 0; c < CLUSTERS; c++) {
    await vclusters.put(`bench.p${c}`, {
      v: 1,
      tenant: 'bench',
      project: `p${c}`,
      projectUid: randomUUID(),
      generation: 1,
      registeredAt: new Date().toISOString(),
      kubeconfig: sealSecret(kubeconfigFile(stack.virtual[c]!), key),
      options: { name: vclusterOf(c), syncIngresses: false, syncNetworkPolicies: false, syncIngressClasses: false },
    });
  }
  await Promise.all(items.map(({ cluster, namespace, name }) => onHost(hostId(cluster, namespace, name))));
  const convergeSeconds = (performance.now() - convergeStart) / 1000;
  const convergeCpuSplit = convergeCpu();
  // Start-up (lease, probe, informer lists) before the first write: the part of the converge that is not applies.
  const firstSeconds = (Math.min(...items.map(({ cluster, namespace, name }) => seen.get(hostId(cluster, namespace, name))!)) - convergeStart) / 1000;

  // Fully in sync, back-sync included: every virtual Service carries its host's ClusterIP (or is
  // marked unable to) and its host copy records its current uid. Waited for before measuring more.
  const inSync = () =>
    eventually(
      async () => {
        for (let c = 0; c < CLUSTERS; c++) {
          const list = await virtual[c]!.listServiceForAllNamespaces();
          const behind = list.items.filter((v) => {
            const { namespace = '', name = '', uid, annotations: a = {} } = v.metadata ?? {};
            if (namespace === 'default') return false;
            const copy = hostWatch!.get(hostName({ name, namespace, vcluster: vclusterOf(c) }), hostNs(c));
            const ipSettled = Object.keys(a).some((k) => k.endsWith('/cluster-ip-unavailable')) || copy?.spec?.clusterIP === v.spec?.clusterIP;
            return !ipSettled || copy?.metadata?.annotations?.[annotations.virtualUid] !== uid;
          });
          if (behind.length > 0) throw new Error(`${behind.length} virtual Services of cluster ${c} are not in sync yet`);
        }
      },
      { timeoutMs: 900_000, intervalMs: 1_000, signal: syncer!.signal },
    );
  const backSyncStart = performance.now();
  await inSync();
  const backSyncSeconds = (performance.now() - backSyncStart) / 1000;

  // Memory with SERVICES host Services synced (2 × SERVICES objects cached): resident set as it
  // is, then the heap the process still uses after a full GC (through its inspector).
  const memory = async (label: string, snapshot?: string) => {
    const rss = rssMB(syncer!.proc.pid);
    const inspector = await Inspector.attach(syncer!.proc.pid, inspectPort);
    try {
      const after = await inspector.memoryAfterGc();
      if (snapshot) await inspector.heapSnapshot(snapshot);
      const mb = (n: number) => round(n / 1048576, 1);
      return { label, rssMB: rss, heapUsedAfterGcMB: mb(after.heapUsed), heapTotalAfterGcMB: mb(after.heapTotal), externalMB: mb(after.external), rssAfterGcMB: mb(after.rss) };
    } finally {
      inspector.close();
    }
  };
  const atConverge = await memory(`after converge: ${SERVICES} host Services, ${2 * SERVICES} objects`);

  // 3a. The floor: RATE raw host creates/s in the same run, each timed to its answer (no syncer work in it).
  const paced = async (n: number, task: (i: number) => Promise<void>) => {
    const out: number[] = [];
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        await new Promise((r) => setTimeout(r, (i * 1000) / RATE));
        const t0 = performance.now();
        await task(i);
        out.push(performance.now() - t0);
      }),
    );
    return out;
  };
  const rawPaced = await paced(RATE * STEADY_SECONDS, async (i) => void (await host.createNamespacedService({ namespace: 'bench-raw', body: service(`paced-${i}`) })));

  // 3. Steady load: RATE virtual creates/s, each timed from its create call to the host watch event.
  const steadyCpu = cpuMeter(pids);
  const clusters = [{ name: 'host', kc: hostKc }, ...stack.virtual.map((v, i) => ({ name: `virtual-${i + 1}`, kc: kubeConfigFor(v) }))];
  const requestsBefore = await Promise.all(clusters.map(({ kc }) => requestCounts(kc)));
  const syncerMetrics = async () => {
    const page = await (await fetch(`${syncer!.opsUrl}/metrics`)).text();
    return { seconds: metricSum(page, 'netbroker_controller_reconcile_seconds_sum', 'controller="Service"'), count: metricSum(page, 'netbroker_controller_reconcile_seconds_count', 'controller="Service"') };
  };
  const reconcilesBefore = await syncerMetrics();
  const steadyStart = performance.now();
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: RATE * STEADY_SECONDS }, async (_, i) => {
      await new Promise((r) => setTimeout(r, (i * 1000) / RATE));
      const cluster = i % CLUSTERS;
      const name = `l-${i}`;
      const id = hostId(cluster, 'ns-0', name);
      const t0 = performance.now();
      await virtual[cluster]!.createNamespacedService({ namespace: 'ns-0', body: service(name) });
      await onHost(id);
      latencies.push(seen.get(id)! - t0);
    }),
  );
  const steadyWall = (performance.now() - steadyStart) / 1000;
  // API requests over the phase by server, verb and resource (the syncer's, the bench's and the watches').
  const requestsAfter = await Promise.all(clusters.map(({ kc }) => requestCounts(kc)));
  const reconcilesAfter = await syncerMetrics();
  const reconcileCount = reconcilesAfter.count - reconcilesBefore.count;
  const reconcileSeconds = reconcilesAfter.seconds - reconcilesBefore.seconds;
  const requests = new Map<string, number>();
  clusters.forEach(({ name }, i) => {
    for (const [k, n] of requestsAfter[i]!) {
      const d = n - (requestsBefore[i]!.get(k) ?? 0);
      const key = `${name.startsWith('virtual') ? 'virtual (5)' : name} ${k}`;
      if (d > 0) requests.set(key, (requests.get(key) ?? 0) + d);
    }
  });
  const steadyCpuSplit = steadyCpu();
  const synced = SERVICES + RATE * STEADY_SECONDS;

  await inSync();

  // 4. Memory with everything synced.
  const atEnd = await memory(`after the steady phase: ${synced} host Services, ${2 * synced} objects`, HEAP_SNAPSHOT);

  // 5. Restart in sync: the new process reports synced; count its writes.
  await syncer.stop();
  syncer = await startSyncer();
  const page = await eventually(
    async () => {
      const text = await (await fetch(`${syncer!.opsUrl}/metrics`)).text();
      if (metricValue(text, 'netbroker_syncer_synced', 'service="syncer"') !== 1) throw new Error('not synced yet');
      if (metricValue(text, 'netbroker_syncer_vclusters', 'service="syncer"') !== CLUSTERS) throw new Error('not every loop runs yet');
      return text;
    },
    { timeoutMs: 120_000, signal: syncer.signal },
  );
  const writeLines = page.split('\n').filter((l) => l.startsWith('netbroker_syncer_writes_total{'));
  const restartWrites = writeLines.reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);
  await nc.close();

  const result = {
    bench: 'sync',
    services: SERVICES,
    clusters: CLUSTERS,
    convergeSeconds: round(convergeSeconds),
    rawSeconds: round(rawSeconds),
    convergeRatio: round(rawSeconds / convergeSeconds),
    p50Ms: round(median(latencies)),
    p99Ms: round(percentile(latencies, 99)),
    rawPacedP50Ms: round(median(rawPaced)),
    rawPacedP99Ms: round(percentile(rawPaced, 99)),
    steadyReconciles: reconcileCount,
    steadyReconcileMeanMs: round((reconcileSeconds / reconcileCount) * 1000),
    steadyReconcilesInFlight: round(reconcileSeconds / steadyWall, 1),
    rssMB: atConverge.rssMB,
    heapUsedAfterGcMB: atConverge.heapUsedAfterGcMB,
    objectsAtMemory: 2 * SERVICES,
    rssEndMB: atEnd.rssMB,
    heapUsedAfterGcEndMB: atEnd.heapUsedAfterGcMB,
    syncedHostServices: synced,
    firstHostServiceSeconds: round(firstSeconds),
    convergeCpu: Object.fromEntries(convergeCpuSplit.map((r) => [r.process, r['CPU s']])),
    steadyCpu: Object.fromEntries(steadyCpuSplit.map((r) => [r.process, r['CPU s']])),
    steadyWallSeconds: round(steadyWall, 1),
    backSyncWaitSeconds: round(backSyncSeconds),
    restartWrites,
  };
  console.log(`sync benchmark — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
  printTable(`${SERVICES} Services across ${CLUSTERS} virtual clusters (${inFlight} in flight)`, [
    { run: 'syncer: registrations put → first host Service', seconds: result.firstHostServiceSeconds, 'services/s': '' },
    { run: 'syncer: registrations put → every host Service present', seconds: result.convergeSeconds, 'services/s': round(SERVICES / convergeSeconds) },
    { run: 'syncer: then until back-sync is done (ClusterIPs, uids)', seconds: round(backSyncSeconds), 'services/s': '' },
    { run: 'raw: the same Services created in the host apiserver', seconds: result.rawSeconds, 'services/s': round(SERVICES / rawSeconds) },
  ]);
  printTable(`Virtual create → host object, ${RATE}/s for ${STEADY_SECONDS} s (host watch)`, [
    { run: 'syncer: virtual create → host watch event', samples: latencies.length, 'p50 ms': result.p50Ms, 'p99 ms': result.p99Ms, 'max ms': round(Math.max(...latencies)) },
    { run: 'raw: host create → answer, just before', samples: rawPaced.length, 'p50 ms': result.rawPacedP50Ms, 'p99 ms': result.rawPacedP99Ms, 'max ms': round(Math.max(...rawPaced)) },
  ]);
  console.log(
    `syncer Service reconciles in the phase: ${reconcileCount}, mean ${result.steadyReconcileMeanMs} ms, ${result.steadyReconcilesInFlight} in flight on average (of ${inFlight} allowed)`,
  );
  const converge = new Map(convergeCpuSplit.map((r) => [r.process, r['CPU s']]));
  printTable(
    `CPU seconds per process — converge ${round(convergeSeconds, 1)} s wall, steady phase ${round(steadyWall, 1)} s wall (${cpus().length} cores: ${round(convergeSeconds * cpus().length, 1)} / ${round(steadyWall * cpus().length, 1)} CPU s available)`,
    steadyCpuSplit.map((r) => ({ process: r.process, converge: converge.get(r.process) ?? '', steady: r['CPU s'] })),
  );
  printTable(`API requests during the steady phase (${RATE * STEADY_SECONDS} virtual creates)`, [...requests].sort((a, b) => b[1] - a[1]).map(([k, n]) => ({ 'server verb resource': k, requests: n })));
  printTable('Syncer process memory (RSS as found; heap and RSS again after a forced full GC)', [
    { when: atConverge.label, 'RSS MB': atConverge.rssMB, 'heapUsed after GC MB': atConverge.heapUsedAfterGcMB, 'heapTotal MB': atConverge.heapTotalAfterGcMB, 'external MB': atConverge.externalMB, 'RSS after GC MB': atConverge.rssAfterGcMB },
    { when: atEnd.label, 'RSS MB': atEnd.rssMB, 'heapUsed after GC MB': atEnd.heapUsedAfterGcMB, 'heapTotal MB': atEnd.heapTotalAfterGcMB, 'external MB': atEnd.externalMB, 'RSS after GC MB': atEnd.rssAfterGcMB },
  ]);
  if (HEAP_SNAPSHOT) printTable(`Heap snapshot at the end (${HEAP_SNAPSHOT}), self size by constructor`, summariseSnapshot(HEAP_SNAPSHOT));
  printTable('Writes on restart', [{ 'host Services synced': synced, 'writes on restart in sync': restartWrites }]);
  if (writeLines.length > 0) console.log(`\nwrites after the restart, by kind:\n${writeLines.join('\n')}`);
  console.log(JSON.stringify(result));
} finally {
  await hostWatch?.stop();
  await syncer?.stop();
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}
