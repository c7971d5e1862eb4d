import { randomUUID } from 'node:crypto';
import {
  ipamBuckets,
  Allocation,
  PeeringRecord,
  projectBuckets,
  ProjectRecord,
  ProjectStatus,
  routerBuckets,
  routerCommandSubject,
  RouterReply,
  ProjectRoutesRecord,
  type RouterCommand,
} from '@netbroker/contracts';
import { openKv, request, type JsonKv, type NatsConnection } from '@netbroker/bus';
import { connectNats, eventually, NetnsLab, runCommand as sh, startService, startStack, type ServiceProcess, type Stack } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The router as it runs: the one writer of routes and peerings (commands over NATS, as the api
// sends them), the link pool in the real ipam, and a real router-agent whose reports move a
// peering to Active, Degraded, or gone. Its own nats-server. Needs root (the agent's namespaces).

const run = `nbt-${process.pid.toString(36)}r`;
const segment = `${run}-seg`;
const prefix = `${run}-r`;
const lab = new NetnsLab(`${run}-`);

let stack: Stack;
let nc: NatsConnection;
const services: ServiceProcess[] = [];
let statuses: JsonKv<typeof ProjectStatus>;
let projects: JsonKv<typeof ProjectRecord>;
let peerings: JsonKv<typeof PeeringRecord>;
let routes: JsonKv<typeof ProjectRoutesRecord>;
let allocations: JsonKv<typeof Allocation>;

const send = (cmd: RouterCommand) => request(nc, routerCommandSubject, cmd, RouterReply, { timeoutMs: 10_000 });
const routerEnv = (name: string) => ({ NATS_URL: stack.natsUrl!, BACKENDS: 'linux', LINK_POOL: 'links', AGENT_STALE_MS: '60000', LEASE_SECONDS: '2', REPLICA_ID: name, RESYNC_INTERVAL_MS: '60000' });

/** A provisioned project: its record and status, as the api and the provisioner write them. */
async function project(tenant: string, name: string, cidr: string): Promise<void> {
  const uid = randomUUID();
  const at = new Date().toISOString();
  await projects.put(`${tenant}.${name}`, { v: 1, tenant, name, uid, generation: 1, createdAt: at, spec: { egressNetworkType: 'cloud' } });
  await statuses.put(`${tenant}.${name}`, { v: 1, uid, observedGeneration: 1, phase: 'Ready', cidr, conditions: [] });
}
const sequence = async () => Promise.all([peerings.lastRevision(), routes.lastRevision(), allocations.lastRevision()]);
const peeringOf = (reply: RouterReply) => {
  if (!reply.ok || !reply.peering) throw new Error(`expected a peering, got ${JSON.stringify(reply)}`);
  return reply.peering;
};
const reasonOf = (reply: RouterReply) => (reply.ok ? 'ok' : reply.error.reason);

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the router tests run a router-agent (network namespaces, veth pairs, nftables): run npm test as root');
  stack = await startStack({ host: false });
  nc = await connectNats(stack.natsUrl!);
  [statuses, projects, peerings, routes, allocations] = [
    await openKv(nc, projectBuckets.status, ProjectStatus),
    await openKv(nc, projectBuckets.projects, ProjectRecord),
    await openKv(nc, routerBuckets.peerings, PeeringRecord),
    await openKv(nc, routerBuckets.routes, ProjectRoutesRecord),
    await openKv(nc, ipamBuckets.allocations, Allocation),
  ];
  // Four /30 links in the pool: the fifth accepted peering finds it exhausted.
  const pools = JSON.stringify([{ name: 'links', kind: 'prefix', prefixes: ['198.19.255.0/28'], defaultPrefixLength: 30 }]);
  services.push(await startService({ service: 'ipam', env: { NATS_URL: stack.natsUrl!, IPAM_POOLS: pools } }));
  services.push(await startService({ service: 'router', name: 'router-1', env: routerEnv('router-1') }));
  await sh(['ip', 'netns', 'add', segment]);
}, 120_000);

afterAll(async () => {
  for (const s of services.reverse()) await s.stop();
  await nc?.close();
  await stack?.stop();
  await lab.cleanup();
}, 60_000);

describe('router commands', () => {
  it('keeps a project\'s routes with Neutron semantics, and a refusal writes nothing', async () => {
    await project('t', 'r', '198.18.10.0/24');
    const add = await send({ op: 'routes', actor: 'tenant:t', tenant: 't', project: 'r', mode: 'add', routes: [{ destination: '198.18.200.0/24', nexthop: '198.18.10.5' }, { destination: '198.18.200.0/24', nexthop: '198.18.10.5' }] });
    expect(add.ok && add.routes?.routes).toEqual([{ destination: '198.18.200.0/24', nexthop: '198.18.10.5' }]);
    const removeAbsent = await send({ op: 'routes', actor: 'tenant:t', tenant: 't', project: 'r', mode: 'remove', routes: [{ destination: '198.18.201.0/24', nexthop: '198.18.10.5' }] });
    expect(removeAbsent.ok && removeAbsent.routes?.routes).toHaveLength(1);

    const before = await sequence();
    for (const [routes, reason] of [
      [[{ destination: '0.0.0.0/0', nexthop: '198.18.10.5' }], 'default-route'],
      [[{ destination: '198.18.10.128/25', nexthop: '198.18.10.5' }], 'overlaps-own-cidr'],
      [[{ destination: '198.18.202.0/24', nexthop: '192.0.2.1' }], 'nexthop-not-connected'],
      [[{ destination: '127.0.0.0/8', nexthop: '198.18.10.5' }], 'reserved-range'],
      [[{ destination: '198.18.203.0/24', nexthop: '198.18.10.5' }, { destination: '198.18.203.0/24', nexthop: '198.18.10.6' }], 'conflicting-route'],
    ] as const) {
      const reply = await send({ op: 'routes', actor: 'tenant:t', tenant: 't', project: 'r', mode: 'replace', routes: [...routes] });
      expect(reasonOf(reply), JSON.stringify(routes)).toBe(reason);
    }
    expect(reasonOf(await send({ op: 'routes', actor: 'tenant:u', tenant: 'u', project: 'r', mode: 'replace', routes: [] }))).toBe('unknown-project');
    expect(await sequence()).toEqual(before);
  });

  it('lets exactly one of two racing peerings whose peers overlap win', async () => {
    await project('t', 'hub', '198.18.20.0/24');
    await project('t', 'left', '198.18.21.0/24');
    await project('u', 'right', '198.18.21.0/25');
    const replies = await Promise.all([
      send({ op: 'peering.create', actor: 'tenant:t', tenant: 't', project: 'hub', peer: { tenant: 't', project: 'left' } }),
      send({ op: 'peering.create', actor: 'tenant:t', tenant: 't', project: 'hub', peer: { tenant: 'u', project: 'right' } }),
    ]);
    expect(replies.map(reasonOf).sort()).toEqual(['ok', 'overlaps-peer']);
    const won = peeringOf(replies.find((r) => r.ok)!);
    await send({ op: 'peering.delete', actor: 'tenant:t', tenant: 't', id: won.id });
    await eventually(async () => expect(await peerings.get(won.id)).toBeUndefined(), { timeoutMs: 10_000 });
  });

  it('leaves a cross-tenant peering pending until the accepter accepts; others cannot see it', async () => {
    await project('t', 'x', '198.18.30.0/24');
    await project('v', 'y', '198.18.31.0/24');
    const create = { op: 'peering.create', requestId: 'req-x-y', actor: 'tenant:t', tenant: 't', project: 'x', peer: { tenant: 'v', project: 'y' } } as const;
    const created = peeringOf(await send(create));
    expect(created).toMatchObject({ state: 'PendingAcceptance' });
    expect(created.link).toBeUndefined();
    expect(reasonOf(await send({ op: 'peering.create', actor: 'tenant:v', tenant: 'v', project: 'y', peer: { tenant: 't', project: 'x' } }))).toBe('duplicate-peering');
    // A retry of the same request (its reply lost) gets the first answer, not a duplicate refusal.
    expect(peeringOf(await send(create)).id).toBe(created.id);
    expect(reasonOf(await send({ op: 'peering.accept', actor: 'tenant:t', tenant: 't', id: created.id }))).toBe('not-acceptable');
    expect(reasonOf(await send({ op: 'peering.accept', actor: 'tenant:w', tenant: 'w', id: created.id }))).toBe('unknown-peering');
    expect(reasonOf(await send({ op: 'peering.delete', actor: 'tenant:w', tenant: 'w', id: created.id }))).toBe('unknown-peering');
    const accepted = peeringOf(await send({ op: 'peering.accept', actor: 'tenant:v', tenant: 'v', id: created.id }));
    expect(accepted).toMatchObject({ state: 'Programming', acceptedBy: 'tenant:v', link: { allocated: true } });
    expect(accepted.link!.cidr).toMatch(/^198\.19\.255\.\d+\/30$/);
    // Accepting again changes nothing.
    expect(peeringOf(await send({ op: 'peering.accept', actor: 'tenant:v', tenant: 'v', id: created.id })).link).toEqual(accepted.link);
    // No agent has reported: it stays Programming and says why.
    expect((await peerings.get(created.id))!.value.conditions.find((c) => c.type === 'Programmed')).toMatchObject({ status: 'False' });
  });

  it('refuses a peering when the link pool is exhausted, writing nothing', async () => {
    // The pool has four /30s; one is held by x–y above.
    for (const [i, cidr] of ['198.18.40.0/24', '198.18.41.0/24', '198.18.42.0/24', '198.18.43.0/24', '198.18.44.0/24'].entries()) await project('e', `p${i}`, cidr);
    for (const i of [1, 2, 3]) expect(reasonOf(await send({ op: 'peering.create', actor: 'tenant:e', tenant: 'e', project: 'p0', peer: { tenant: 'e', project: `p${i}` } }))).toBe('ok');
    // Once the reconciler has said why they wait (no agent), nothing else writes.
    await eventually(async () => {
      for (const p of (await peerings.list()).filter((x) => x.value.requester.tenant === 'e')) expect(p.value.conditions.find((c) => c.type === 'Programmed')?.reason).toBe('NoAgent');
    });
    const before = await sequence();
    expect(reasonOf(await send({ op: 'peering.create', actor: 'tenant:e', tenant: 'e', project: 'p0', peer: { tenant: 'e', project: 'p4' } }))).toBe('link-pool-exhausted');
    expect(await sequence()).toEqual(before);
  });

  it('takes down the peerings of a project being deleted and releases their links', async () => {
    const held = [...(await peerings.list())].filter((p) => p.value.requester.tenant === 'e');
    expect(held).toHaveLength(3);
    expect(reasonOf(await send({ op: 'routes', actor: 'tenant:e', tenant: 'e', project: 'p0', mode: 'add', routes: [{ destination: '198.18.45.0/24', nexthop: '198.18.40.9' }] }))).toBe('ok');
    const record = (await projects.get('e.p0'))!;
    await projects.update('e.p0', { ...record.value, deletionRequestedAt: new Date().toISOString() }, record.revision);
    await eventually(async () => {
      expect((await peerings.list()).filter((p) => p.value.requester.tenant === 'e')).toEqual([]);
      expect(await routes.get('e.p0')).toBeUndefined();
      const links = (await allocations.list()).filter((a) => a.value.owner.tenant === 'e');
      expect(links).toEqual([]);
    }, { timeoutMs: 15_000 });
  });
});

describe('the writer and the agent', () => {
  it('moves a peering to Degraded when the agent cannot program it, Active once it can, and releases the link once it is gone', async () => {
    await project('g', 'a', '198.18.50.0/24');
    await project('g', 'b', '198.18.51.0/24');
    services.push(await startService({ service: 'router-agent', env: { NATS_URL: stack.natsUrl!, AGENT_ID: `${run}-agent`, NETNS_PREFIX: prefix, PROJECT_NETNS: segment, PROJECT_BRIDGE: 'nbtg{project}', RESYNC_INTERVAL_MS: '60000' } }));
    const p = peeringOf(await send({ op: 'peering.create', actor: 'tenant:g', tenant: 'g', project: 'a', peer: { tenant: 'g', project: 'b' } }));
    // The projects' bridges do not exist yet: the agent reports its failure.
    await eventually(async () => expect((await peerings.get(p.id))!.value).toMatchObject({ state: 'Degraded', conditions: expect.arrayContaining([expect.objectContaining({ type: 'Programmed', reason: 'AgentFailed' })]) }), { timeoutMs: 20_000 });
    await sh(['ip', '-n', segment, '-batch', '-'], 'link add nbtga type bridge\nlink add nbtgb type bridge\nlink set nbtga up\nlink set nbtgb up\n');
    // The agent tries again within 5 s of a failure.
    await eventually(async () => expect((await peerings.get(p.id))!.value.state).toBe('Active'), { timeoutMs: 20_000 });

    const deleted = Date.now();
    await send({ op: 'peering.delete', actor: 'tenant:g', tenant: 'g', id: p.id });
    await eventually(async () => {
      expect(await peerings.get(p.id)).toBeUndefined();
      expect((await allocations.list()).filter((a) => a.value.owner.purpose === `link:${p.id}`)).toEqual([]);
    }, { timeoutMs: 10_000 });
    expect(Date.now() - deleted).toBeLessThan(5_000);
  }, 60_000);

  it('hands the writer to another replica when the holder dies', async () => {
    services.push(await startService({ service: 'router', name: 'router-2', env: routerEnv('router-2') }));
    const first = services.find((s) => s.name === 'router-1')!;
    first.proc.kill('SIGKILL');
    await project('h', 'a', '198.18.60.0/24');
    // Within the lease (2 s) and the api's retry, the second replica answers.
    await eventually(async () => expect(reasonOf(await send({ op: 'routes', actor: 'tenant:h', tenant: 'h', project: 'a', mode: 'replace', routes: [] }))).toBe('ok'), { timeoutMs: 15_000 });
  }, 40_000);
});
