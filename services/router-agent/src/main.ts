import { PeeringRecord, PrivateNetworkRecord, projectBuckets, routerAgentBucket, RouterAgentStatus, ProjectRoutesRecord, ProjectStatus, routerBuckets } from '@netbroker/contracts';
import { hostname } from 'node:os';
import { connectBus, openKv } from '@netbroker/bus';
import { KvSource, Manager } from '@netbroker/controller';
import { busOptionsFrom, createLogger, loadConfig } from '@netbroker/runtime';
import type { z } from 'zod';
import { RouterAgent } from './agent';
import { RouterAgentConfig } from './config';
import { execRunner, Netns } from './netns';
import { PlanReconciler } from './reconciler';

// The Linux gateway agent: follows the router's records, compiles the plan every agent compiles,
// and realises this gateway's part of it in network namespaces (needs NET_ADMIN and `ip`, `nft`).

const config = loadConfig(RouterAgentConfig);
const logger = createLogger({ service: 'router-agent', level: config.LOG_LEVEL });
const manager = new Manager({ service: 'router-agent', logger, ops: { host: config.OPS_HOST, port: config.OPS_PORT } });
const nc = await connectBus(busOptionsFrom(config, 'router-agent'));
manager.check('nats', () => !nc.isClosed());
manager.onStop('nats', () => nc.drain());
const bucket = async <S extends z.ZodType>(name: string, schema: S) => manager.source(new KvSource(await openKv(nc, name, schema, { replicas: config.NATS_REPLICAS }), logger));
const statuses = await bucket(projectBuckets.status, ProjectStatus);
const routes = await bucket(routerBuckets.routes, ProjectRoutesRecord);
const peerings = await bucket(routerBuckets.peerings, PeeringRecord);
const privateNetworks = await bucket(routerBuckets.privateNetworks, PrivateNetworkRecord);

const reports = await openKv(nc, routerAgentBucket, RouterAgentStatus, { replicas: config.NATS_REPLICAS });
const agentId = config.AGENT_ID ?? hostname();

const agent = new RouterAgent(new Netns(execRunner()), (ns) => ns.startsWith(config.NETNS_PREFIX));
const naming = { netnsPrefix: config.NETNS_PREFIX, projectBridge: config.PROJECT_BRIDGE, projectNetns: config.PROJECT_NETNS, privateNetworks: config.PRIVATE_NETWORKS };
const PLAN = 'plan';

const reconciler = new PlanReconciler({
  records: () => ({ statuses: statuses.entries(), routes: routes.entries(), peerings: peerings.entries(), privateNetworks: privateNetworks.entries() }),
  agent,
  naming,
  id: agentId,
  report: async (status) => void (await reports.put(agentId, status)),
  // A little under the resync period, so the resync timer's apply is a full one.
  fullEveryMs: Math.floor(config.RESYNC_INTERVAL_MS * 0.9),
  now: () => new Date(),
  logger,
});
// One key, the whole plan: a peering touches two routers, and the apply is by difference.
const plan = manager.controller({ name: 'router-plan', concurrency: 1, reconcile: () => reconciler.reconcile(), resync: { everyMs: config.RESYNC_INTERVAL_MS, keys: () => [PLAN] } });
plan.watch(statuses, () => PLAN).watch(routes, () => PLAN).watch(peerings, () => PLAN).watch(privateNetworks, () => PLAN);
await manager.start();
logger.info({ ops: manager.opsUrl, agent: agentId }, 'router-agent started');
