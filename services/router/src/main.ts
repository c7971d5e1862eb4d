import { randomUUID } from 'node:crypto';
import {
  eventStream,
  ipamBuckets,
  Lease,
  leaseBuckets,
  PeeringRecord,
  PoolRecord,
  PrivateNetworkRecord,
  projectBuckets,
  ProjectRecord,
  ProjectRoutesRecord,
  ProjectStatus,
  routerAgentBucket,
  RouterAgentStatus,
  routerBuckets,
} from '@netbroker/contracts';
import { connectBus, ensureStream, EventPublisher, Facts, IpamClient, openKv } from '@netbroker/bus';
import { KvSource, LeaseHolder, Manager } from '@netbroker/controller';
import { FieldApplier, loadKubeConfig } from '@netbroker/kube';
import { busOptionsFrom, createLogger, loadConfig } from '@netbroker/runtime';
import type { z } from 'zod';
import { RouterCommands, Serial } from './commands';
import { RouterConfig } from './config';
import type { VpcOutcome } from './progress';
import { forgetDeletedProject, PeeringReconciler, VpcReconciler, vpcNamer } from './reconcilers';
import { RouterState } from './state';
import { WRITER_LEASE, Writer } from './writer';

// The router: the one writer of routes, private networks and peerings (commands from the api),
// and the reconciler of peering states against what the backends report.

const config = loadConfig(RouterConfig);
const logger = createLogger({ service: 'router', level: config.LOG_LEVEL });
const manager = new Manager({ service: 'router', logger, ops: { host: config.OPS_HOST, port: config.OPS_PORT } });
const nc = await connectBus(busOptionsFrom(config, 'router'));
manager.check('nats', () => !nc.isClosed());
manager.onStop('nats', () => nc.drain());
await ensureStream(nc, { ...eventStream, subjects: [...eventStream.subjects], replicas: config.NATS_REPLICAS });
const open = <S extends z.ZodType>(name: string, schema: S) => openKv(nc, name, schema, { replicas: config.NATS_REPLICAS });
const follow = <S extends z.ZodType>(kv: Awaited<ReturnType<typeof open<S>>>) => manager.source(new KvSource(kv, logger));

const store = { routes: await open(routerBuckets.routes, ProjectRoutesRecord), peerings: await open(routerBuckets.peerings, PeeringRecord), networks: await open(routerBuckets.privateNetworks, PrivateNetworkRecord) };
const state = new RouterState(
  {
    projects: follow(await open(projectBuckets.projects, ProjectRecord)),
    statuses: follow(await open(projectBuckets.status, ProjectStatus)),
    routes: follow(store.routes),
    peerings: follow(store.peerings),
    networks: follow(store.networks),
    pools: follow(await open(ipamBuckets.pools, PoolRecord)),
    agents: follow(await open(routerAgentBucket, RouterAgentStatus)),
  },
  {
    reserved: { hostPodCidrs: config.HOST_POD_CIDRS, hostServiceCidrs: config.HOST_SERVICE_CIDRS, reservedCidrs: config.RESERVED_CIDRS, linkPool: config.LINK_POOL },
    limits: { maxRoutes: config.MAX_ROUTES, maxPeeringsPerProject: config.MAX_PEERINGS_PER_PROJECT },
  },
);

const leases = manager.leases(new LeaseHolder({ leases: await open(leaseBuckets.controllers, Lease), holder: config.REPLICA_ID ?? randomUUID(), leaseMs: config.LEASE_SECONDS * 1000, prefix: 'router.', logger }));
const facts = new Facts(new EventPublisher(nc), { registry: manager.registry, log: logger });
const commands = new RouterCommands({ state, store, ipam: new IpamClient(nc), facts, link: { pool: config.LINK_POOL, prefixLength: config.LINK_PREFIX_LENGTH }, now: () => new Date(), logger }, new Serial());

// Only the writer reconciles: its writes and the commands' share one order.
const sharding = { leases, leaseOf: () => WRITER_LEASE };
const vpcs = new Map<string, VpcOutcome>();
const peeringReconciler = new PeeringReconciler({ state, commands, backends: config.BACKENDS, vpcs, agentStaleMs: config.AGENT_STALE_MS, now: () => new Date(), logger });
const peerings = manager.controller({ name: 'peering', concurrency: 4, reconcile: (id) => peeringReconciler.reconcile(id), sharding, resync: { everyMs: config.RESYNC_INTERVAL_MS, keys: () => state.sources.peerings.keys() } });
const ofProject = (key: string) => state.peeringsOf(key);
peerings.watch(state.sources.peerings, (c) => c.key).watch(state.sources.statuses, (c) => ofProject(c.key)).watch(state.sources.projects, (c) => ofProject(c.key));
// An agent's report can finish any peering being programmed or deleted.
peerings.watch(state.sources.agents, () => [...state.sources.peerings.entries()].filter(([, p]) => p.state !== 'PendingAcceptance').map(([id]) => id));

const forget = manager.controller({ name: 'project', reconcile: (key) => forgetDeletedProject(key, state, commands), sharding, resync: { everyMs: config.RESYNC_INTERVAL_MS, keys: () => state.sources.routes.keys() } });
forget.watch(state.sources.projects, (c) => c.key).watch(state.sources.routes, (c) => c.key);

if (config.BACKENDS.includes('kube-ovn')) {
  const vpcReconciler = new VpcReconciler({ state, applier: new FieldApplier(loadKubeConfig(config.KUBECONFIG), 'netbroker-router'), vpcName: vpcNamer(config.KUBE_OVN_VPC), outcomes: vpcs, changed: (key) => peerings.enqueue(ofProject(key)), logger });
  const projectsOf = (id: string) => {
    const p = state.sources.peerings.get(id);
    return p ? [`${p.requester.tenant}.${p.requester.project}`, `${p.accepter.tenant}.${p.accepter.project}`] : [];
  };
  const vpc = manager.controller({ name: 'vpc', concurrency: 4, reconcile: (key) => vpcReconciler.reconcile(key), sharding, resync: { everyMs: config.RESYNC_INTERVAL_MS, keys: () => state.sources.statuses.keys() } });
  vpc.watch(state.sources.statuses, (c) => c.key).watch(state.sources.routes, (c) => c.key).watch(state.sources.networks, () => state.sources.routes.keys()).watch(state.sources.peerings, (c) => projectsOf(c.key));
  // A deleted peering's record is gone by the time its sides are looked at: resync covers the sides then.
}

const writer = new Writer({ nc, leases, catchUp: () => state.catchUp(), handle: (cmd) => commands.handle(cmd), clock: manager.clock, logger });
manager.onDrain('commands', () => writer.stop());
await manager.start();
writer.start();
logger.info({ ops: manager.opsUrl, replica: leases.id, backends: config.BACKENDS }, 'router started');
