import { CoreV1Api } from '@kubernetes/client-node';
import { mappingBuckets, MappingRecord, MappingStatus, projectBuckets, projectKey, ProjectRecord, TenantRecord, VClusterRecord } from '@netbroker/contracts';
import { connectBus, openKv } from '@netbroker/bus';
import { loadKubeConfig, OwnedApplier, tenantAccessForService, WorkQueue } from '@netbroker/kube';
import { hostNamespace } from '@netbroker/naming';
import { createLogger, createMetricsRegistry, encryptionKey, loadConfig, Shutdown, startOpsServer } from '@netbroker/runtime';
import { Gauge } from 'prom-client';
import { MapperConfig } from './config';
import { followBuckets } from './handlers/follow';
import { HostWatches } from './host-watches';
import { MappingIndex } from './mapping-index';
import { FromHost } from './reconcilers/from-host';
import { FromVirtual } from './reconcilers/from-virtual';
import { MappingReconciler } from './reconcilers/mapping';
import { FIELD_MANAGER, VirtualClusters } from './virtual-clusters';

const config = loadConfig(MapperConfig);
const logger = createLogger({ service: 'mapper', level: config.LOG_LEVEL });
const shutdown = new Shutdown({ logger });
const registry = createMetricsRegistry('mapper');
const now = () => new Date();

const nc = await connectBus({ servers: config.NATS_URL, name: 'mapper' });
shutdown.add('nats', () => nc.drain());
const kv = { replicas: config.NATS_REPLICAS };
const mappings = await openKv(nc, mappingBuckets.mappings, MappingRecord, kv);
const statuses = await openKv(nc, mappingBuckets.status, MappingStatus, kv);
const vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord, kv);
const tenants = await openKv(nc, projectBuckets.tenants, TenantRecord, kv);
const projects = await openKv(nc, projectBuckets.projects, ProjectRecord, kv);

const hostConfig = loadKubeConfig(config.KUBECONFIG);
const hostApplier = new OwnedApplier(hostConfig, FIELD_MANAGER);
const index = new MappingIndex();
const queue: WorkQueue = new WorkQueue({
  concurrency: config.CONCURRENCY,
  reconcile: (key) => reconciler.reconcile(key),
  onError: (key, err, retrying) => logger.error({ err, mapping: key, retrying }, 'mapping reconcile failed'),
});
shutdown.add('queue', () => queue.stop());

// Events name a Service; every mapping reading or writing it is enqueued.
const hostWatches = new HostWatches(
  hostConfig,
  (namespace, name) => {
    const ref = `${namespace}/${name}`;
    index
      .keys((r) => (r.spec.direction === 'fromHost' ? r.spec.from === ref : hostNamespace(r.tenant, r.project) === namespace && r.spec.to === name))
      .forEach((k) => queue.add(k));
  },
  logger,
);
shutdown.add('host watches', () => hostWatches.stop());
const clusters = new VirtualClusters({
  vclusters,
  encryptionKey: encryptionKey(config.NETBROKER_ENCRYPTION_KEY),
  access: await tenantAccessForService(config, hostConfig),
  onService: (project, namespace, name) => {
    const ref = `${namespace}/${name}`;
    index
      .keys((r) => projectKey(r.tenant, r.project) === project && (r.spec.direction === 'fromHost' ? r.spec.to === ref : r.spec.from === ref))
      .forEach((k) => queue.add(k));
  },
  logger,
});
shutdown.add('virtual clusters', () => clusters.stop());
const reconciler = new MappingReconciler({
  index,
  clusters,
  fromHost: new FromHost(hostApplier, hostConfig, now),
  fromVirtual: new FromVirtual(hostApplier, hostConfig.makeApiClient(CoreV1Api), now),
  statuses,
  mappings,
  projects,
  now,
});

const follows = await followBuckets({
  mappings,
  vclusters,
  tenants,
  projects,
  index,
  queue,
  onMappingsChanged: async () => {
    await hostWatches.sync(index.hostNamespaces());
    await clusters.retain(index.projects());
  },
  logger,
});
shutdown.add('follows', () => follows.stop());
const resync = setInterval(() => index.keys().forEach((k) => queue.add(k)), config.RESYNC_INTERVAL_MS).unref();
shutdown.add('resync', () => clearInterval(resync));

new Gauge({ name: 'netbroker_mapper_host_namespaces', help: 'Host namespaces watched', registers: [registry], collect() { this.set(hostWatches.namespaces.length); } });
new Gauge({ name: 'netbroker_mapper_mappings', help: 'Mappings known', registers: [registry], collect() { this.set(index.keys().length); } });

const ops = await startOpsServer({
  host: config.OPS_HOST,
  port: config.OPS_PORT,
  registry,
  readiness: { nats: () => !nc.isClosed(), watch: () => follows.running && follows.caughtUp },
});
shutdown.add('ops', () => ops.close());
logger.info({ ops: ops.url, mappings: index.keys().length, hostNamespaces: hostWatches.namespaces }, 'mapper ready');
