import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import {
  eventStream,
  exposureBuckets,
  ExposureRecord,
  ExposureStatus,
  GrantRecord,
  parentProjectKey,
  projectKey,
  ProjectRecord,
  ProjectStatus,
  projectBuckets,
  VClusterRecord,
} from '@netbroker/contracts';
import { connectBus, ensureStream, EventPublisher, Facts, IpamClient, openKv, type KvFollower } from '@netbroker/bus';
import { Informer, loadKubeConfig, OwnedApplier, tenantAccessForService, WorkQueue } from '@netbroker/kube';
import { labels } from '@netbroker/naming';
import { createLogger, createMetricsRegistry, encryptionKey, loadConfig, Shutdown, startOpsServer } from '@netbroker/runtime';
import { Counter, Gauge } from 'prom-client';
import { ExposerConfig } from './config';
import { Eips } from './eips';
import { ExporterCache } from './exporters';
import { writeCounter } from './metrics';
import { Entries } from './reconcilers/entries';
import { ExporterReconciler } from './reconcilers/exporter';
import { FIELD_MANAGER, VirtualClusters } from './virtual-clusters';

const config = loadConfig(ExposerConfig);
const logger = createLogger({ service: 'exposer', level: config.LOG_LEVEL });
const shutdown = new Shutdown({ logger });
const registry = createMetricsRegistry('exposer');

const nc = await connectBus({ servers: config.NATS_URL, name: 'exposer' });
shutdown.add('nats', () => nc.drain());
await ensureStream(nc, { ...eventStream, subjects: [...eventStream.subjects], replicas: config.NATS_REPLICAS });
const kv = { replicas: config.NATS_REPLICAS };
const exposures = await openKv(nc, exposureBuckets.exposures, ExposureRecord, kv);
const grants = await openKv(nc, exposureBuckets.grants, GrantRecord, kv);
const statuses = await openKv(nc, exposureBuckets.status, ExposureStatus, kv);
const projects = await openKv(nc, projectBuckets.projects, ProjectRecord, kv);
const projectStatus = await openKv(nc, projectBuckets.status, ProjectStatus, kv);
const vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord, kv);

const hostConfig = loadKubeConfig(config.KUBECONFIG);
const host = new OwnedApplier(hostConfig, FIELD_MANAGER);
const countWrite = writeCounter(registry);
const clusters = new VirtualClusters({
  vclusters,
  encryptionKey: encryptionKey(config.NETBROKER_ENCRYPTION_KEY),
  access: await tenantAccessForService(config, hostConfig),
});
// Every change only enqueues the exporting projects it concerns; the reconciler reads current state.
const cache = new ExporterCache();
let markCaughtUp = () => {};
const followersCaughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
const reconciler = new ExporterReconciler({
  cache,
  caughtUp: followersCaughtUp,
  exposures,
  grants,
  statuses,
  knownStatuses: await statuses.list(),
  projects,
  projectStatus,
  vclusters,
  host,
  eips: new Eips(new IpamClient(nc), { cloud: config.EIP_POOL_CLOUD, public: config.EIP_POOL_PUBLIC }),
  entries: new Entries(host, hostConfig, clusters, config.ENTRY_NAMESPACE, countWrite),
  countWrite,
  events: new Facts(new EventPublisher(nc), { registry, log: logger }),
  lb: {
    provider: config.LB_PROVIDER,
    loadBalancerClass: config.LB_CLASS,
    addressPool: config.LB_ADDRESS_POOL,
    openstackClass: config.LB_OPENSTACK_CLASS,
    ovhClass: config.LB_OVH_CLASS,
    ovhFlavor: config.LB_OVH_FLAVOR,
  },
  logger,
  now: () => new Date(),
});
const reconciles = new Counter({ name: 'netbroker_exposer_reconciles_total', help: 'Reconciles of exporting projects that completed', registers: [registry] });
const queue = new WorkQueue({
  concurrency: config.CONCURRENCY,
  reconcile: async (key) => {
    const result = await reconciler.reconcile(key);
    reconciles.inc();
    return result;
  },
  onError: (key, err, retrying) => logger.error({ err, exporter: key, retrying }, 'exporter reconcile failed'),
});
shutdown.add('queue', () => queue.stop());

const invalid = (bucket: string) => (key: string, err: unknown) => logger.error({ err, bucket, key }, 'unreadable record');
const onProject = (change: { key: string }) => cache.affectedBy(change.key).forEach((k) => queue.add(k));
const followers: KvFollower[] = [
  await exposures.follow((c) => cache.exposure(c).forEach((k) => queue.add(k)), invalid('exposures')),
  await grants.follow((c) => cache.grant(c).forEach((k) => queue.add(k)), invalid('grants')),
  await projects.follow(onProject, invalid('projects')),
  await projectStatus.follow(onProject, invalid('project-status')),
  await vclusters.follow(onProject, invalid('vclusters')),
];
shutdown.add('follows', () => followers.forEach((f) => f.stop()));
// Statuses of exposures deleted while no exposer ran: their objects are still to be removed.
for (const key of reconciler.statusKeys().map(parentProjectKey)) if (key) queue.add(key);

// The load balancer controller writing an address into an exposure Service.
const core = hostConfig.makeApiClient(CoreV1Api);
const labelSelector = `${labels.component}=exposure`;
const onLoadBalancer = (svc: V1Service) => {
  const l = svc.metadata?.labels ?? {};
  const [tenant, project] = [l[labels.tenant], l[labels.project]];
  if (tenant && project) queue.add(projectKey(tenant, project));
};
const lbInformer = new Informer<V1Service>(hostConfig, {
  path: '/api/v1/services',
  labelSelector,
  list: () => core.listServiceForAllNamespaces({ labelSelector }),
  onChange: onLoadBalancer,
  onDelete: onLoadBalancer,
  onError: (err, restartInMs) => logger.warn({ err, restartInMs }, 'LoadBalancer informer failed; restarting'),
});
await lbInformer.start();
shutdown.add('informer', () => lbInformer.stop());

const resync = setInterval(() => cache.exporters().forEach((k) => queue.add(k)), config.RESYNC_INTERVAL_MS).unref();
shutdown.add('resync', () => clearInterval(resync));

new Gauge({ name: 'netbroker_exposer_exposures', help: 'Exposures known', registers: [registry], collect() { this.set(cache.counts.exposures); } });
new Gauge({ name: 'netbroker_exposer_grants', help: 'Grants known', registers: [registry], collect() { this.set(cache.counts.grants); } });

let caughtUp = false;
void Promise.all(followers.map((f) => f.caughtUp)).then(
  () => {
    caughtUp = true;
    markCaughtUp();
  },
  (err: unknown) => logger.error({ err }, 'a bucket watch ended before catching up'),
);
const ops = await startOpsServer({
  host: config.OPS_HOST,
  port: config.OPS_PORT,
  registry,
  readiness: { nats: () => !nc.isClosed(), watch: () => caughtUp && followers.every((f) => f.running) },
});
shutdown.add('ops', () => ops.close());
logger.info({ ops: ops.url, provider: config.LB_PROVIDER }, 'exposer ready');
