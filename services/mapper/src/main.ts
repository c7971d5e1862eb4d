import { randomUUID } from 'node:crypto';
import { Lease, leaseBuckets, mappingBuckets, MappingRecord, MappingStatus, projectBuckets, ProjectRecord, TenantRecord, VClusterRecord } from '@netbroker/contracts';
import { connectBus, openKv } from '@netbroker/bus';
import { KvSource, LeaseHolder, Manager, VirtualClusterPool } from '@netbroker/controller';
import { loadKubeConfig, OwnedApplier, tenantAccessForService } from '@netbroker/kube';
import { busOptionsFrom, createLogger, encryptionKey, loadConfig } from '@netbroker/runtime';
import type { z } from 'zod';
import { FIELD_MANAGER, MapperCaches } from './caches';
import { MapperConfig } from './config';
import { MappingIndex, projectOfKey } from './mapping-index';
import { MappingReconciler } from './reconcilers/mapping';

const config = loadConfig(MapperConfig);
const logger = createLogger({ service: 'mapper', level: config.LOG_LEVEL });
const manager = new Manager({ service: 'mapper', logger, ops: { host: config.OPS_HOST, port: config.OPS_PORT } });
const nc = await connectBus(busOptionsFrom(config, 'mapper'));
manager.check('nats', () => !nc.isClosed());
manager.onStop('nats', () => nc.drain());
const open = <S extends z.ZodType>(name: string, schema: S) => openKv(nc, name, schema, { replicas: config.NATS_REPLICAS });
const bucket = async <S extends z.ZodType>(name: string, schema: S) => manager.source(new KvSource(await open(name, schema), logger));
const [mappings, statuses] = [await bucket(mappingBuckets.mappings, MappingRecord), await bucket(mappingBuckets.status, MappingStatus)];
const [vclusters, tenants, projects] = [await bucket(projectBuckets.vclusters, VClusterRecord), await bucket(projectBuckets.tenants, TenantRecord), await bucket(projectBuckets.projects, ProjectRecord)];
const holder = config.REPLICA_ID ?? randomUUID();
const leases = manager.leases(new LeaseHolder({ leases: await open(leaseBuckets.controllers, Lease), holder, leaseMs: config.LEASE_SECONDS * 1000, prefix: 'mapper.mapping.', logger }));

const hostConfig = loadKubeConfig(config.KUBECONFIG);
const index = new MappingIndex(mappings, tenants, statuses);
const count = (kind: string) => mapping.countWrite(kind);
const caches = new MapperCaches(manager, { host: { id: 'host', kubeConfig: hostConfig }, index, holds: (p) => leases.holds(p), enqueue: (keys) => mapping.enqueue(keys), countWrite: count });
const access = await tenantAccessForService(config, hostConfig);
const clusters = new VirtualClusterPool({ record: (k) => vclusters.get(k), encryptionKey: encryptionKey(config.NETBROKER_ENCRYPTION_KEY), access, fieldManager: FIELD_MANAGER });
const reconciler = new MappingReconciler({ index, clusters, caches, host: new OwnedApplier(hostConfig, FIELD_MANAGER), statuses, mappings, projects, count, now: () => new Date() });

// One replica works a project's mappings: they share its virtual cluster, its host namespace and its fate.
const mapping = manager.controller({
  name: 'mapping',
  concurrency: config.CONCURRENCY,
  reconcile: (key) => reconciler.reconcile(key),
  sharding: { leases, leaseOf: projectOfKey, onLost: () => caches.retainSoon() },
  resync: { everyMs: config.RESYNC_INTERVAL_MS, keys: () => index.keys() },
});
mapping
  .watch(mappings, (c) => index.changed(c))
  .watch(tenants, (c) => index.ofTenant(c.key))
  .watch(vclusters, (c) => index.ofProject(c.key))
  .watch(projects, (c) => index.ofProject(c.key));
await manager.start();
logger.info({ ops: manager.opsUrl, replica: holder, mappings: index.size }, 'mapper started');
