import { randomUUID } from 'node:crypto';
import { eventStream, exposureBuckets, ExposureRecord, ExposureStatus, GrantRecord, Lease, leaseBuckets, projectBuckets, ProjectRecord, ProjectStatus, VClusterRecord } from '@netbroker/contracts';
import { connectBus, ensureStream, EventPublisher, Facts, IpamClient, openKv } from '@netbroker/bus';
import { KvSource, LeaseHolder, Manager, VirtualClusterPool } from '@netbroker/controller';
import { loadKubeConfig, OwnedApplier, tenantAccessForService } from '@netbroker/kube';
import { busOptionsFrom, createLogger, encryptionKey, loadConfig } from '@netbroker/runtime';
import type { z } from 'zod';
import { exporterOfObject, ExposerCaches, FIELD_MANAGER } from './caches';
import { ExposerConfig, lbConfig } from './config';
import { Eips } from './eips';
import { exporterOf, Exporters } from './exporters';
import { exporterReconciler, type WriteKind } from './reconcilers';

const config = loadConfig(ExposerConfig);
const logger = createLogger({ service: 'exposer', level: config.LOG_LEVEL });
const manager = new Manager({ service: 'exposer', logger, ops: { host: config.OPS_HOST, port: config.OPS_PORT } });
const nc = await connectBus(busOptionsFrom(config, 'exposer'));
manager.check('nats', () => !nc.isClosed());
manager.onStop('nats', () => nc.drain());
await ensureStream(nc, { ...eventStream, subjects: [...eventStream.subjects], replicas: config.NATS_REPLICAS });
const open = <S extends z.ZodType>(name: string, schema: S) => openKv(nc, name, schema, { replicas: config.NATS_REPLICAS });
const bucket = async <S extends z.ZodType>(name: string, schema: S) => manager.source(new KvSource(await open(name, schema), logger));
const [exposures, grants, statuses] = [await bucket(exposureBuckets.exposures, ExposureRecord), await bucket(exposureBuckets.grants, GrantRecord), await bucket(exposureBuckets.status, ExposureStatus)];
const [projects, projectStatus, vclusters] = [await bucket(projectBuckets.projects, ProjectRecord), await bucket(projectBuckets.status, ProjectStatus), await bucket(projectBuckets.vclusters, VClusterRecord)];
const exporters = new Exporters({ exposures, grants, statuses, projects, projectStatus, vclusters }, manager.registry);
const holder = config.REPLICA_ID ?? randomUUID();
const leases = manager.leases(new LeaseHolder({ leases: await open(leaseBuckets.controllers, Lease), holder, leaseMs: config.LEASE_SECONDS * 1000, prefix: 'exposer.exporter.', logger }));

const hostConfig = loadKubeConfig(config.KUBECONFIG);
const cachesOpts = { host: { id: 'host', kubeConfig: hostConfig }, exporters, entryNamespace: config.ENTRY_NAMESPACE };
const caches = new ExposerCaches(manager, { ...cachesOpts, holds: (k) => leases.holds(k), enqueue: (k) => exporter.enqueue(k) });
const access = await tenantAccessForService(config, hostConfig);
const clusters = new VirtualClusterPool({ record: (k) => vclusters.get(k), encryptionKey: encryptionKey(config.NETBROKER_ENCRYPTION_KEY), access, fieldManager: FIELD_MANAGER });
const [host, eips, events] = [new OwnedApplier(hostConfig, FIELD_MANAGER), new Eips(new IpamClient(nc), { cloud: config.EIP_POOL_CLOUD, public: config.EIP_POOL_PUBLIC }), new Facts(new EventPublisher(nc), { registry: manager.registry, log: logger })];
const count = (kind: WriteKind) => exporter.countWrite(kind);
const reconciler = exporterReconciler({ exporters, caches, clusters, host, eips, events, lb: lbConfig(config), entryNamespace: config.ENTRY_NAMESPACE, count, now: () => new Date() });

// One replica works an exporting project: its EIPs, LoadBalancer Services, policies and its consumers' entries.
const exporter = manager.controller({
  name: 'exporter',
  concurrency: config.CONCURRENCY,
  reconcile: (key) => reconciler.reconcile(key),
  sharding: { leases, onLost: () => caches.retainSoon() },
  resync: { everyMs: config.RESYNC_INTERVAL_MS, keys: () => exporters.exporters() },
});
exporter.watch(exposures, (c) => exporterOf(c.key)).watch(grants, (c) => exporterOf(c.key)).watch(statuses, (c) => exporters.orphanStatus(c));
exporter.watch(projects, exporters.ofProject).watch(projectStatus, exporters.ofProject).watch(vclusters, exporters.ofProject);
for (const informer of caches.owned) exporter.watchObjects(informer, exporterOfObject);
await manager.start();
logger.info({ ops: manager.opsUrl, replica: holder, provider: config.LB_PROVIDER }, 'exposer started');
