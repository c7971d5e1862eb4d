// `npm run bench:expose`: cross-project access end to end against real nats-server,
// kube-apiserver, ipam, provisioner, api and exposer processes (a stand-in plays the load balancer
// controller): exposure → Ready, grant → the consumer's entry, revoke → gone, a burst of grants;
// compared in the same run with the raw kube-apiserver writing the same consumer objects.
// Last line: one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubernetesObjectApi } from '@kubernetes/client-node';
import { exposureBuckets, ExposureStatus, projectBuckets, ProjectStatus, type ExposureRecord, type GrantRecord } from '@netbroker/contracts';
import { openKv } from '@netbroker/bus';
import { entryEgressPolicy, entryService, entrySlice } from '@netbroker/translate';
import { connectNats, kubeConfigFor, LoadBalancerStandIn, startStack, type ServiceProcess } from '@netbroker/testing';
import { startPlatform } from '../platform';
import { median, percentile, printTable, round, runConcurrent } from '../stats';

const quick = process.env.BENCH_QUICK === '1';
const CONSUMERS = quick ? 20 : 60;
const EXPOSURES = quick ? 5 : 20;

const stack = await startStack({ host: true });
const dir = mkdtempSync(join(tmpdir(), 'netbroker-bench-expose-'));
const services: ServiceProcess[] = [];
const loadBalancer = new LoadBalancerStandIn(kubeConfigFor(stack.host!));
try {
  const { call, token } = await startPlatform(stack, dir, services, { exposer: { LB_PROVIDER: 'metallb' } });
  await loadBalancer.start();

  // Everything is observed on the status buckets (a follower), not by polling.
  const nc = await connectNats(stack.natsUrl!, 'bench-expose');
  const waiters: Array<{ done: () => boolean; resolve: () => void }> = [];
  const wake = () => {
    for (const w of [...waiters]) {
      if (!w.done()) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const until = (done: () => boolean) => (done() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ done, resolve })));
  const projects = new Map<string, ProjectStatus>();
  const exposures = new Map<string, ExposureStatus>();
  const followers = [
    await (await openKv(nc, projectBuckets.status, ProjectStatus)).follow((c) => {
      if (c.op === 'put') projects.set(c.key, c.value);
      wake();
    }, () => undefined),
    await (await openKv(nc, exposureBuckets.status, ExposureStatus)).follow((c) => {
      if (c.op === 'put') exposures.set(c.key, c.value);
      else exposures.delete(c.key);
      wake();
    }, () => undefined),
  ];
  const consumerReady = (exposure: string, consumer: string) => exposures.get(`bench.shop.${exposure}`)?.consumers.some((c) => c.project === `bench/${consumer}` && c.ready) ?? false;
  const consumerGone = (exposure: string, consumer: string) => !(exposures.get(`bench.shop.${exposure}`)?.consumers.some((c) => c.project === `bench/${consumer}`) ?? false);

  // Projects: the exporter and its consumers, all Ready first.
  const consumers = Array.from({ length: CONSUMERS }, (_, i) => `c${i}`);
  await runConcurrent(['shop', ...consumers], 16, async (name) => void (await call('POST', '/v1/projects', token, { name, egressNetworkType: 'cloud' })));
  await until(() => ['shop', ...consumers].every((p) => projects.get(`bench.${p}`)?.phase === 'Ready'));
  const core = kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
  await core.createNamespacedService({ namespace: 'bench-shop', body: { metadata: { name: 'db' }, spec: { selector: { app: 'db' }, ports: [{ port: 5432 }] } } });

  // 1. Exposure → Ready (EIP, LoadBalancer Service, address from the LB, policy), one at a time.
  const toReady: number[] = [];
  for (let i = 0; i < EXPOSURES; i++) {
    const t0 = performance.now();
    await call('POST', '/v1/projects/shop/exposures', token, { name: `e${i}`, service: 'db', ports: [{ port: 5432 }] });
    await until(() => exposures.get(`bench.shop.e${i}`)?.ready === true);
    toReady.push(performance.now() - t0);
  }

  // 2. Grant → the consumer's entry written (status says so), one consumer at a time; 3. revoke → removed.
  await call('POST', '/v1/projects/shop/exposures', token, { name: 'db', service: 'db', ports: [{ port: 5432 }] });
  await until(() => exposures.get('bench.shop.db')?.ready === true);
  const grant: number[] = [];
  for (const c of consumers) {
    const t0 = performance.now();
    await call('POST', '/v1/projects/shop/exposures/db/grants', token, { project: c });
    await until(() => consumerReady('db', c));
    grant.push(performance.now() - t0);
  }
  const revoke: number[] = [];
  for (const c of consumers) {
    const t0 = performance.now();
    await call('DELETE', `/v1/projects/shop/exposures/db/grants/bench/${c}`, token);
    await until(() => consumerGone('db', c));
    revoke.push(performance.now() - t0);
  }

  // 4. Burst: one exposure granted to every consumer at once, until every entry is written.
  const burstStart = performance.now();
  await call('POST', '/v1/projects/shop/exposures', token, { name: 'burst', service: 'db', ports: [{ port: 5432 }], grants: consumers });
  await until(() => consumers.every((c) => consumerReady('burst', c)));
  const burstSeconds = (performance.now() - burstStart) / 1000;
  followers.forEach((f) => f.stop());
  await nc.close();

  // Raw layer in the same run: the consumer objects of one grant (Service, EndpointSlice, egress
  // policy) created straight on the kube-apiserver, one consumer at a time.
  const kube = KubernetesObjectApi.makeApiClient(kubeConfigFor(stack.host!));
  const record: ExposureRecord = { v: 1, tenant: 'bench', project: 'shop', projectUid: 'u', name: 'raw', service: 'db', ports: [{ port: 5432, protocol: 'TCP' }], pool: 'cloud', eipKey: 'raw', entryName: 'raw-ext', createdAt: '', createdBy: '' };
  const rawStart = performance.now();
  const raw = await runConcurrent(consumers, 1, async (c) => {
    const g: GrantRecord = { v: 1, exporter: { tenant: 'bench', project: 'shop', uid: 'u' }, exposure: 'raw', consumer: { tenant: 'bench', project: c }, state: 'accepted', grantedBy: '', grantedAt: '' };
    const ns = `bench-${c}`;
    for (const o of [entryService(record, g, ns), entrySlice(record, g, ns, '100.64.255.1'), entryEgressPolicy(record, g, ns, '100.64.255.1')]) await kube.create(o);
  });
  const rawPerSec = CONSUMERS / ((performance.now() - rawStart) / 1000);

  const burstPerSec = CONSUMERS / burstSeconds;
  const result = {
    bench: 'expose',
    consumers: CONSUMERS,
    exposureReadyP50Ms: round(median(toReady)),
    exposureReadyP99Ms: round(percentile(toReady, 99)),
    grantP50Ms: round(median(grant)),
    grantP99Ms: round(percentile(grant, 99)),
    revokeP50Ms: round(median(revoke)),
    revokeP99Ms: round(percentile(revoke, 99)),
    burstConsumersPerSec: round(burstPerSec),
    rawKubeConsumersPerSec: round(rawPerSec),
    rawConsumerP50Ms: round(median(raw)),
    ratio: round(burstPerSec / rawPerSec),
  };
  console.log(`expose benchmark — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
  printTable('Cross-project access (observed on the status buckets)', [
    { step: `exposure → Ready (${EXPOSURES}, one at a time)`, 'p50 ms': result.exposureReadyP50Ms, 'p99 ms': result.exposureReadyP99Ms, 'consumers/s': '' },
    { step: `grant → entry written (${CONSUMERS}, one at a time)`, 'p50 ms': result.grantP50Ms, 'p99 ms': result.grantP99Ms, 'consumers/s': '' },
    { step: `revoke → entry removed (${CONSUMERS}, one at a time)`, 'p50 ms': result.revokeP50Ms, 'p99 ms': result.revokeP99Ms, 'consumers/s': '' },
    { step: `burst: one exposure granted to ${CONSUMERS}`, 'p50 ms': '', 'p99 ms': '', 'consumers/s': result.burstConsumersPerSec },
    { step: 'raw kube-apiserver: Service + EndpointSlice + policy', 'p50 ms': result.rawConsumerP50Ms, 'p99 ms': round(percentile(raw, 99)), 'consumers/s': result.rawKubeConsumersPerSec },
  ]);
  console.log(JSON.stringify(result));
} finally {
  await loadBalancer.stop();
  for (const service of services.reverse()) await service.stop();
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}
