import { randomUUID } from 'node:crypto';
import { Allocation, eventStream, ipamBuckets, Lease, leaseBuckets, PoolRecord } from '@netbroker/contracts';
import { connectBus, ensureStream, EventPublisher, Facts, openKv } from '@netbroker/bus';
import { LeaseHolder, Manager } from '@netbroker/controller';
import { busOptionsFrom, createLogger, loadConfig } from '@netbroker/runtime';
import { IpamConfig } from './config';
import { serveIpam } from './handlers';
import { Ipam } from './ipam';
import { registerIpamMetrics } from './metrics';

const config = loadConfig(IpamConfig);
const logger = createLogger({ service: 'ipam', level: config.LOG_LEVEL });
// Request/reply, no controllers: the runtime's Manager gives the ops server, the pool leases and the orderly stop.
const manager = new Manager({ service: 'ipam', logger, ops: { host: config.OPS_HOST, port: config.OPS_PORT } });
const nc = await connectBus(busOptionsFrom(config, 'ipam'));
manager.onStop('nats', () => nc.drain());
manager.check('nats', () => !nc.isClosed());
await ensureStream(nc, { ...eventStream, subjects: [...eventStream.subjects], replicas: config.NATS_REPLICAS });
const kvOptions = { replicas: config.NATS_REPLICAS };
const ipam = new Ipam({
  pools: await openKv(nc, ipamBuckets.pools, PoolRecord, kvOptions),
  allocations: await openKv(nc, ipamBuckets.allocations, Allocation, kvOptions),
  events: new Facts(new EventPublisher(nc), { registry: manager.registry, log: logger }),
  logger,
  hostReserved: [...config.HOST_POD_CIDRS, ...config.HOST_SERVICE_CIDRS],
  now: () => new Date(),
});
await ipam.start();
manager.onStop('ipam', async () => {
  ipam.stop();
  await ipam.flush();
});

for (const spec of config.IPAM_POOLS) {
  if (ipam.status(spec.name)) continue;
  const created = await ipam.putPool(spec);
  if (!created.ok) throw new Error(`IPAM_POOLS: pool ${spec.name}: ${created.error.message}`);
  logger.info({ pool: spec.name }, 'pool created from IPAM_POOLS');
}

// One allocating holder per pool (lease `ipam.pool.<pool>`); stopping, a replica first answers what it took, then releases its pools.
const leaseMs = config.LEASE_SECONDS * 1000;
const leases = manager.leases(new LeaseHolder({ leases: await openKv(nc, leaseBuckets.controllers, Lease, kvOptions), holder: config.REPLICA_ID ?? randomUUID(), leaseMs, prefix: 'ipam.pool.', logger }));
const served = serveIpam(nc, ipam, { leases, clock: manager.clock, holderWaitMs: 2 * leaseMs, logger, counted: registerIpamMetrics(manager.registry, ipam, () => served.holders.held) });
manager.onDrain('requests', () => served.stop());
manager.check('view', () => ipam.ready);
await manager.start();
logger.info({ ops: manager.opsUrl, replica: leases.id }, 'ipam ready');
