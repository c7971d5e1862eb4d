import { randomUUID } from 'node:crypto';
import { projectBuckets, SyncerLease, syncerBuckets, VClusterRecord, VClusterStatus } from '@netbroker/contracts';
import { connectBus, openKv } from '@netbroker/bus';
import { KvSource, LeaseHolder, Manager, VirtualClusterPool } from '@netbroker/controller';
import { loadKubeConfig, OwnedApplier, tenantAccessForService } from '@netbroker/kube';
import { busOptionsFrom, createLogger, encryptionKey, loadConfig } from '@netbroker/runtime';
import { openSyncBuckets } from './claims';
import { SyncerConfig } from './config';
import { startOrphanSweep, SWEEP_INTERVAL_MS, SWEEP_LEASE } from './handlers/sweep';
import { syncerMetrics } from './metrics';
import { VClusterReconciler } from './reconcilers/vcluster';
import { StatusWriter } from './status';

const config = loadConfig(SyncerConfig);
const replica = config.REPLICA_ID ?? randomUUID();
const logger = createLogger({ service: 'syncer', level: config.LOG_LEVEL }).child({ replica });
const manager = new Manager({ service: 'syncer', logger, ops: { host: config.OPS_HOST, port: config.OPS_PORT } });
const nc = await connectBus(busOptionsFrom(config, 'syncer'));
manager.onStop('nats', () => nc.drain());
manager.check('nats', () => !nc.isClosed());
const kv = { replicas: config.NATS_REPLICAS };
const [vclusterKv, leaseKv, statusKv] = await Promise.all([openKv(nc, projectBuckets.vclusters, VClusterRecord, kv), openKv(nc, syncerBuckets.leases, SyncerLease, kv), openKv(nc, syncerBuckets.status, VClusterStatus, kv)]);
const vclusters = manager.source(new KvSource(vclusterKv, logger));
const lease = { leases: leaseKv, holder: replica, leaseMs: config.LEASE_SECONDS * 1000, logger };
const leases = manager.leases(new LeaseHolder(lease));
const host = { id: 'host', kubeConfig: loadKubeConfig(config.KUBECONFIG) };
const applier = new OwnedApplier(host.kubeConfig, 'netbroker-syncer');
const metrics = syncerMetrics(manager.registry);
const access = await tenantAccessForService(config, host.kubeConfig);
const pool = new VirtualClusterPool({ record: (key) => vclusters.get(key), encryptionKey: encryptionKey(config.NETBROKER_ENCRYPTION_KEY), access, fieldManager: 'netbroker-syncer' });
const { HOST_SERVICE_CIDR: hostServiceCidr, CONCURRENCY: concurrency, ANNOTATION_POLICY: annotationPolicy } = config;
const reconciler = new VClusterReconciler({
  record: (key) => vclusters.get(key), leases, status: new StatusWriter(statusKv, replica), host, informers: manager.informers, pool, applier, logger,
  hostServiceCidr, probeMs: config.PROBE_SECONDS * 1000, concurrency, annotationPolicy, now: () => new Date(), buckets: await openSyncBuckets(nc, config.NATS_REPLICAS),
  countWrite: metrics.countWrite, onReconciled: metrics.reconciled, queueMetrics: manager.metrics,
});
// One controller over registrations; each held registration runs its own sync loop (VClusterSync).
const registrations = manager.controller({ name: 'vclusters', concurrency: 4, reconcile: (key) => reconciler.reconcile(key) });
registrations.watch(vclusters, (change) => (reconciler.expect(change.key), change.key));
leases.onLost((key) => void reconciler.lost(key).then(() => registrations.enqueue(key)));
leases.onReleased((key) => (key === SWEEP_LEASE ? undefined : registrations.enqueue(key))); // taken over at once, not at expiry
manager.onStop('loops', () => reconciler.stop());
metrics.gauges({ synced: () => manager.synced && reconciler.synced, vclusters: () => reconciler.count, leases: () => leases.count });
// Host objects of registrations deleted while no replica held them (its own lease holder, not renewed: a sweep is short).
const sweepDeps = { vclusters: vclusterKv, statuses: statusKv, leases: new LeaseHolder(lease), hostConfig: host.kubeConfig, applier, countWrite: metrics.countWrite, logger };
const sweep = startOrphanSweep(sweepDeps, SWEEP_INTERVAL_MS, vclusters.waitForSync());
manager.onStop('sweep', () => sweep.stop());
await manager.start();
logger.info({ ops: manager.opsUrl }, 'syncer ready');
