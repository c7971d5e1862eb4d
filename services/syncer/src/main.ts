import { projectBuckets, VClusterRecord } from '@netbroker/contracts';
import { connectBus, openKv } from '@netbroker/bus';
import { loadKubeConfig, OwnedApplier, WorkQueue } from '@netbroker/kube';
import { createLogger, createMetricsRegistry, encryptionKey, loadConfig, Shutdown, startOpsServer } from '@netbroker/runtime';
import { Counter, Gauge } from 'prom-client';
import { SyncerConfig } from './config';
import { watchVClusters } from './handlers/vclusters';
import { VClusterReconciler } from './reconcilers/vcluster';
import { writeCounter } from './writes';

const config = loadConfig(SyncerConfig);
const logger = createLogger({ service: 'syncer', level: config.LOG_LEVEL });
const shutdown = new Shutdown({ logger });
const registry = createMetricsRegistry('syncer');
const reconciles = new Counter({ name: 'netbroker_syncer_reconciles_total', help: 'Service reconciles completed', registers: [registry] });

const nc = await connectBus({ servers: config.NATS_URL, name: 'syncer' });
shutdown.add('nats', () => nc.drain());
const vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord, { replicas: config.NATS_REPLICAS });

const hostConfig = loadKubeConfig(config.KUBECONFIG);
const reconciler = new VClusterReconciler({
  vclusters,
  hostConfig,
  applier: new OwnedApplier(hostConfig, 'netbroker-syncer'),
  encryptionKey: encryptionKey(config.NETBROKER_ENCRYPTION_KEY),
  countWrite: writeCounter(registry),
  onReconciled: () => reconciles.inc(),
  logger,
  concurrency: config.CONCURRENCY,
  now: () => new Date(),
});
shutdown.add('loops', () => reconciler.stop());
const queue = new WorkQueue({
  concurrency: 4,
  reconcile: (key) => reconciler.reconcile(key),
  onError: (key, err, retrying) => logger.error({ err, key, retrying }, 'virtual cluster registration failed'),
});
shutdown.add('queue', () => queue.stop());

const watch = await watchVClusters({ vclusters, queue, logger });
shutdown.add('watch', () => watch.stop());
new Gauge({
  name: 'netbroker_syncer_synced',
  help: '1 once every registration is read and every sync loop has filled its caches and made a first pass',
  registers: [registry],
  collect() {
    this.set(watch.caughtUp && queue.length === 0 && reconciler.synced ? 1 : 0);
  },
});
new Gauge({ name: 'netbroker_syncer_vclusters', help: 'Virtual clusters being synced', registers: [registry], collect() { this.set(reconciler.count); } });

const ops = await startOpsServer({
  host: config.OPS_HOST,
  port: config.OPS_PORT,
  registry,
  readiness: { nats: () => !nc.isClosed(), watch: () => watch.running && watch.caughtUp },
});
shutdown.add('ops', () => ops.close());
logger.info({ ops: ops.url }, 'syncer ready');
