import { randomUUID } from 'node:crypto';
import { eventStream, Lease, leaseBuckets, ProjectRecord, ProjectStatus, projectBuckets, TenantRecord, VClusterRecord } from '@netbroker/contracts';
import { connectBus, ensureStream, EventPublisher, Facts, IpamClient, openKv } from '@netbroker/bus';
import { KvSource, LeaseHolder, Manager, shardOf } from '@netbroker/controller';
import { loadKubeConfig, OwnedApplier } from '@netbroker/kube';
import { busOptionsFrom, createLogger, loadConfig } from '@netbroker/runtime';
import { ProvisionerConfig } from './config';
import { ProjectReconciler } from './reconcilers/project';

/** Projects are spread over this many shard leases: renewals stay bounded however many projects there are. */
const SHARDS = 16;
const config = loadConfig(ProvisionerConfig);
const logger = createLogger({ service: 'provisioner', level: config.LOG_LEVEL });
const manager = new Manager({ service: 'provisioner', logger, ops: { host: config.OPS_HOST, port: config.OPS_PORT } });
const nc = await connectBus(busOptionsFrom(config, 'provisioner'));
manager.check('nats', () => !nc.isClosed());
manager.onStop('nats', () => nc.drain());
await ensureStream(nc, { ...eventStream, subjects: [...eventStream.subjects], replicas: config.NATS_REPLICAS });
const kv = { replicas: config.NATS_REPLICAS };
const projectKv = await openKv(nc, projectBuckets.projects, ProjectRecord, kv);
const projects = manager.source(new KvSource(projectKv, logger));
const holder = config.REPLICA_ID ?? randomUUID();
const leaseKv = await openKv(nc, leaseBuckets.controllers, Lease, kv);
const leases = manager.leases(new LeaseHolder({ leases: leaseKv, holder, leaseMs: config.LEASE_SECONDS * 1000, prefix: 'provisioner.project.', logger }));

const reconciler = new ProjectReconciler({
  ipam: new IpamClient(nc),
  projects: projectKv,
  statuses: await openKv(nc, projectBuckets.status, ProjectStatus, kv),
  tenants: await openKv(nc, projectBuckets.tenants, TenantRecord, kv),
  vclusters: await openKv(nc, projectBuckets.vclusters, VClusterRecord, kv),
  applier: new OwnedApplier(loadKubeConfig(config.KUBECONFIG), 'netbroker-provisioner'),
  events: new Facts(new EventPublisher(nc), { registry: manager.registry, log: logger }),
  logger,
  now: () => new Date(),
  pools: { project: config.DEFAULT_PROJECT_POOL, egress: { cloud: config.EGRESS_POOL_CLOUD, public: config.EGRESS_POOL_PUBLIC } },
  network: { internalCidrs: config.INTERNAL_CIDRS, dns: { namespace: config.DNS_NAMESPACE, podLabels: config.DNS_POD_LABELS } },
});
// Every change of a project record enqueues its key (the reconciler re-reads it); every project again at each resync.
manager
  .controller({
    name: 'project',
    concurrency: config.CONCURRENCY,
    reconcile: (key) => reconciler.reconcile(key),
    sharding: { leases, leaseOf: (key) => shardOf(key, SHARDS) },
    resync: { everyMs: config.RESYNC_INTERVAL_MS, keys: () => projects.keys() },
  })
  .watch(projects);
await manager.start();
logger.info({ ops: manager.opsUrl, replica: holder }, 'provisioner ready');
