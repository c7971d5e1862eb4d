import { eventStream, ProjectRecord, ProjectStatus, projectBuckets, TenantRecord, VClusterRecord } from '@netbroker/contracts';
import { connectBus, ensureStream, EventPublisher, Facts, IpamClient, openKv } from '@netbroker/bus';
import { loadKubeConfig, OwnedApplier, WorkQueue } from '@netbroker/kube';
import { createLogger, createMetricsRegistry, loadConfig, Shutdown, startOpsServer } from '@netbroker/runtime';
import { ProvisionerConfig } from './config';
import { watchProjects } from './handlers/projects';
import { ProjectReconciler } from './reconcilers/project';

const config = loadConfig(ProvisionerConfig);
const logger = createLogger({ service: 'provisioner', level: config.LOG_LEVEL });
const shutdown = new Shutdown({ logger });

const nc = await connectBus({ servers: config.NATS_URL, name: 'provisioner' });
shutdown.add('nats', () => nc.drain());
await ensureStream(nc, { ...eventStream, subjects: [...eventStream.subjects], replicas: config.NATS_REPLICAS });
const kv = { replicas: config.NATS_REPLICAS };
const projects = await openKv(nc, projectBuckets.projects, ProjectRecord, kv);
const registry = createMetricsRegistry('provisioner');

const reconciler = new ProjectReconciler({
  ipam: new IpamClient(nc),
  projects,
  statuses: await openKv(nc, projectBuckets.status, ProjectStatus, kv),
  tenants: await openKv(nc, projectBuckets.tenants, TenantRecord, kv),
  vclusters: await openKv(nc, projectBuckets.vclusters, VClusterRecord, kv),
  applier: new OwnedApplier(loadKubeConfig(config.KUBECONFIG), 'netbroker-provisioner'),
  events: new Facts(new EventPublisher(nc), { registry, log: logger }),
  logger,
  now: () => new Date(),
  pools: { project: config.DEFAULT_PROJECT_POOL, egress: { cloud: config.EGRESS_POOL_CLOUD, public: config.EGRESS_POOL_PUBLIC } },
  network: { internalCidrs: config.INTERNAL_CIDRS, dns: { namespace: config.DNS_NAMESPACE, podLabels: config.DNS_POD_LABELS } },
});
const queue = new WorkQueue({
  concurrency: config.CONCURRENCY,
  reconcile: (key) => reconciler.reconcile(key),
  onError: (key, err, retrying) => logger.error({ err, project: key, retrying }, 'reconcile failed'),
});
shutdown.add('queue', () => queue.stop());

const watch = await watchProjects({ projects, queue, logger, resyncIntervalMs: config.RESYNC_INTERVAL_MS });
shutdown.add('watch', () => watch.stop());

const ops = await startOpsServer({
  host: config.OPS_HOST,
  port: config.OPS_PORT,
  registry,
  readiness: { nats: () => !nc.isClosed(), watch: () => watch.running },
});
shutdown.add('ops', () => ops.close());
logger.info({ ops: ops.url }, 'provisioner ready');
