import { randomUUID } from 'node:crypto';
import { projectBuckets, SyncerLease, syncerBuckets, VClusterRecord, VClusterStatus } from '@netbroker/contracts';
import { connectBus, openKv } from '@netbroker/bus';
import { loadKubeConfig, OwnedApplier, tenantAccessForService } from '@netbroker/kube';
import { WorkQueue } from '@netbroker/controller';
import { createLogger, createMetricsRegistry, encryptionKey, loadConfig, Shutdown, startOpsServer } from '@netbroker/runtime';
import { Counter, Gauge } from 'prom-client';
import { SyncerConfig } from './config';
import { startOrphanSweep, SWEEP_LEASE } from './handlers/sweep';
import { watchVClusters } from './handlers/vclusters';
import { LeaseHolder } from './lease';
import { openSyncBuckets } from './claims';
import { VClusterReconciler } from './reconcilers/vcluster';
import { StatusWriter } from './status';
import { writeCounter } from './writes';

const config = loadConfig(SyncerConfig);
const replica = config.REPLICA_ID ?? randomUUID();
const logger = createLogger({ service: 'syncer', level: config.LOG_LEVEL }).child({ replica });
const shutdown = new Shutdown({ logger });
const registry = createMetricsRegistry('syncer');
const reconciles = new Counter({ name: 'netbroker_syncer_reconciles_total', help: 'Service reconciles completed', registers: [registry] });

const nc = await connectBus({ servers: config.NATS_URL, name: 'syncer' });
shutdown.add('nats', () => nc.drain());
const kvOptions = { replicas: config.NATS_REPLICAS };
const vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord, kvOptions);
const leaseKv = await openKv(nc, syncerBuckets.leases, SyncerLease, kvOptions);
const statusKv = await openKv(nc, syncerBuckets.status, VClusterStatus, kvOptions);

const queue = new WorkQueue({
  concurrency: 4,
  reconcile: (key) => reconciler.reconcile(key),
  onError: (key, err, retrying) => logger.error({ err, key, retrying }, 'virtual cluster registration failed'),
});
const leases = new LeaseHolder({ leases: leaseKv, holder: replica, leaseMs: config.LEASE_SECONDS * 1000, logger });
leases.onLost((key) => void reconciler.lost(key).then(() => queue.add(key)));
// A released lease (deleted by a replica that stops) is taken over at once instead of at expiry.
leases.onReleased((key) => (key === SWEEP_LEASE ? undefined : queue.add(key)));
const hostConfig = loadKubeConfig(config.KUBECONFIG);
const applier = new OwnedApplier(hostConfig, 'netbroker-syncer');
const countWrite = writeCounter(registry);
const reconciler = new VClusterReconciler({
  vclusters,
  leases,
  status: new StatusWriter(statusKv, replica),
  hostConfig,
  hostServiceCidr: config.HOST_SERVICE_CIDR,
  probeMs: config.PROBE_SECONDS * 1000,
  applier,
  encryptionKey: encryptionKey(config.NETBROKER_ENCRYPTION_KEY),
  access: await tenantAccessForService(config, hostConfig),
  countWrite,
  onReconciled: () => reconciles.inc(),
  logger,
  concurrency: config.CONCURRENCY,
  now: () => new Date(),
  buckets: await openSyncBuckets(nc, config.NATS_REPLICAS),
  annotationPolicy: config.ANNOTATION_POLICY,
});
shutdown.add('loops', () => reconciler.stop());
shutdown.add('queue', () => queue.stop());
await leases.start();

const watch = await watchVClusters({ vclusters, queue, expect: (key) => reconciler.expect(key), logger });
shutdown.add('watch', () => watch.stop());

/** How often host objects of registrations deleted while no replica held them are looked for. */
const SWEEP_INTERVAL_MS = 5 * 60_000;
// Its own holder: not renewed (a sweep is short; two at once are harmless), and no spread delay.
const sweepLease = new LeaseHolder({ leases: leaseKv, holder: replica, leaseMs: config.LEASE_SECONDS * 1000, logger });
let sweep: { stop(): Promise<void> } | undefined;
let stopping = false;
void watch.whenCaughtUp.then(
  () => {
    if (stopping) return;
    sweep = startOrphanSweep({ vclusters, statuses: statusKv, leases: sweepLease, hostConfig, applier, countWrite, logger }, SWEEP_INTERVAL_MS);
  },
  () => undefined, // logged by the watch
);
shutdown.add('sweep', () => {
  stopping = true;
  return sweep?.stop();
});
new Gauge({
  name: 'netbroker_syncer_synced',
  help: '1 once every registration is read and every sync loop of this replica has filled its caches and made a first pass',
  registers: [registry],
  collect() {
    this.set(watch.caughtUp && reconciler.synced ? 1 : 0);
  },
});
new Gauge({ name: 'netbroker_syncer_vclusters', help: 'Virtual clusters being synced by this replica', registers: [registry], collect() { this.set(reconciler.count); } });
new Gauge({ name: 'netbroker_syncer_leases', help: 'Registration leases this replica holds', registers: [registry], collect() { this.set(leases.count); } });

const ops = await startOpsServer({
  host: config.OPS_HOST,
  port: config.OPS_PORT,
  registry,
  readiness: { nats: () => !nc.isClosed(), watch: () => watch.running && watch.caughtUp },
});
shutdown.add('ops', () => ops.close());
logger.info({ ops: ops.url }, 'syncer ready');
