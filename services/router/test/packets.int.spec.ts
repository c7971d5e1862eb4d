import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  Allocation,
  ipamBuckets,
  PeeringRecord,
  projectBuckets,
  ProjectRecord,
  ProjectStatus,
  routerAgentBucket,
  RouterAgentStatus,
  routerBuckets,
  routerCommandSubject,
  RouterReply,
  type RouterCommand,
} from '@netbroker/contracts';
import { openKv, request, type JsonKv, type NatsConnection } from '@netbroker/bus';
import { connectNats, eventually, NetnsLab, runCommand as sh, startService, startStack, type ServiceProcess, type Stack } from '@netbroker/testing';
import { routerNamespaceName } from '@netbroker/translate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Real packets, end to end: the real router service decides (commands as the api sends them),
// the real router-agent programs network namespaces from the records, and ping and a TCP connect
// between workload namespaces prove what was decided. One workload namespace per project (its
// bridge `nbt0`, the project's network), an appliance on a private network, all in
// 198.18.0.0/15 (RFC 2544). Needs root; every namespace is `nbt-<run>p-…`, deleted even on failure.

const runId = `nbt-${process.pid.toString(36)}p`;
const lab = new NetnsLab(`${runId}-`);
const workload = (p: string) => `${runId}-w-${p}`;
const appliance = `${runId}-pn`;
const routerPrefix = `${runId}-r`;
const routerOf = (p: string) => routerNamespaceName(`t.${p}`).replace(/^nbr-/, routerPrefix);
const cidr = { a: '198.18.201.0/24', b: '198.18.202.0/24', c: '198.18.203.0/24', d: '198.18.203.0/25' } as const;
type P = keyof typeof cidr;
const host = (p: P) => cidr[p].replace(/\.0\/2[45]$/, '.10');
const REMOTE = '198.18.254.1';

let stack: Stack;
let nc: NatsConnection;
const services: ServiceProcess[] = [];
const children: ChildProcess[] = [];
let agent: ServiceProcess | undefined;
let peerings: JsonKv<typeof PeeringRecord>;
let allocations: JsonKv<typeof Allocation>;
let reports: JsonKv<typeof RouterAgentStatus>;

const send = async (cmd: RouterCommand) => request(nc, routerCommandSubject, cmd, RouterReply, { timeoutMs: 10_000 });
const ok = async (cmd: RouterCommand) => {
  const reply = await send(cmd);
  if (!reply.ok) throw new Error(`${cmd.op}: ${reply.error.reason}: ${reply.error.message}`);
  return reply;
};
const peer = async (x: P, y: P) => (await ok({ op: 'peering.create', actor: 'tenant:t', tenant: 't', project: x, peer: { tenant: 't', project: y } })).peering!;
const active = (id: string) => eventually(async () => expect((await peerings.get(id))?.value.state).toBe('Active'), { timeoutMs: 20_000 });
const agentEnv = () => ({
  NATS_URL: stack.natsUrl!,
  AGENT_ID: `${runId}-agent`,
  NETNS_PREFIX: routerPrefix,
  PROJECT_NETNS: `${runId}-w-{project}`,
  PROJECT_BRIDGE: 'nbt0',
  PRIVATE_NETWORKS: JSON.stringify({ vrack: { netns: appliance, bridge: 'nbt0' } }),
  RESYNC_INTERVAL_MS: '600000',
});

async function provision(p: P): Promise<void> {
  const uid = randomUUID();
  const projects = await openKv(nc, projectBuckets.projects, ProjectRecord);
  const statuses = await openKv(nc, projectBuckets.status, ProjectStatus);
  await projects.put(`t.${p}`, { v: 1, tenant: 't', name: p, uid, generation: 1, createdAt: new Date().toISOString(), spec: { egressNetworkType: 'cloud' } });
  await statuses.put(`t.${p}`, { v: 1, uid, observedGeneration: 1, phase: 'Ready', cidr: cidr[p], conditions: [] });
}

/** Packets from A's CIDR the probe (a table of the test's own, before netbroker's) has seen forwarded in C's router. */
async function probeCount(): Promise<number> {
  const out = JSON.parse(await lab.inNs(routerOf('c'), ['nft', '-j', 'list', 'table', 'inet', 'nbtprobe'])) as { nftables: Array<{ rule?: { expr: Array<{ counter?: { packets: number } }> } }> };
  return out.nftables.flatMap((e) => e.rule?.expr ?? []).reduce((n, x) => n + (x.counter?.packets ?? 0), 0);
}

/** Every router namespace's routes and netbroker table, for "nothing changed". */
async function routerState(): Promise<string> {
  const parts: string[] = [];
  for (const p of ['a', 'b', 'c'] as const) {
    parts.push(await sh(['ip', '-n', routerOf(p), '-json', 'route', 'show']));
    parts.push(await lab.inNs(routerOf(p), ['nft', 'list', 'table', 'inet', 'netbroker']));
  }
  return parts.join('\n');
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the router packet tests need root (network namespaces, veth pairs, nftables): run npm test as root');
  await lab.assertRootFree(/"198\.18\.2[05]\d\.|"198\.19\.128\./); // the real-node harness uses 198.18.<slot>.0/24 and 198.19.<slot>.0/30
  for (const p of ['a', 'b', 'c', 'd'] as const) await lab.makeNamespace(workload(p), `${host(p)}/${cidr[p].split('/')[1]}`, cidr[p].replace(/\.0\/2[45]$/, '.1'));
  await lab.makeNamespace(appliance, '198.18.250.1/24');
  await sh(['ip', '-n', appliance, '-batch', '-'], `addr add ${REMOTE}/32 dev lo\nroute add ${cidr.a} via 198.18.250.11\n`);
  children.push(spawn('ip', ['netns', 'exec', workload('b'), process.execPath, '-e', `require('net').createServer((s)=>s.end('hi')).listen(8080,'${host('b')}')`], { stdio: 'ignore' }));

  stack = await startStack({ host: false });
  nc = await connectNats(stack.natsUrl!);
  peerings = await openKv(nc, routerBuckets.peerings, PeeringRecord);
  allocations = await openKv(nc, ipamBuckets.allocations, Allocation);
  reports = await openKv(nc, routerAgentBucket, RouterAgentStatus);
  const pools = JSON.stringify([{ name: 'links', kind: 'prefix', prefixes: ['198.19.128.0/24'], defaultPrefixLength: 30 }]);
  services.push(await startService({ service: 'ipam', env: { NATS_URL: stack.natsUrl!, IPAM_POOLS: pools } }));
  services.push(await startService({ service: 'router', env: { NATS_URL: stack.natsUrl!, BACKENDS: 'linux', AGENT_STALE_MS: '600000' } }));
  agent = await startService({ service: 'router-agent', env: agentEnv() });
  for (const p of ['a', 'b', 'c'] as const) await provision(p);
  await eventually(async () => expect((await reports.get(`${runId}-agent`))?.value.routers).toEqual(['t.a', 't.b', 't.c']), { timeoutMs: 20_000 });
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await agent?.stop();
  for (const s of services.reverse()) await s.stop();
  await nc?.close();
  await stack?.stop();
  await lab.cleanup();
}, 60_000);

describe('the router service and agent, with real packets', () => {
  it('connects nothing without a peering', async () => {
    expect(await lab.reaches(workload('a'), host('b'))).toBe(false);
    expect(await lab.connects(workload('a'), host('b'), 8080)).toBe(false);
  });

  it('connects A and B both ways once peered (ping and a TCP connect)', async () => {
    const ab = await peer('a', 'b');
    await active(ab.id);
    await eventually(async () => expect(await lab.reaches(workload('a'), host('b'))).toBe(true), { timeoutMs: 10_000 });
    expect(await lab.reaches(workload('b'), host('a'))).toBe(true);
    expect(await lab.connects(workload('a'), host('b'), 8080)).toBe(true);
  });

  it('hub B peered with C: A never reaches C, even with a route forced by hand; the agent restarted after SIGKILL restores its guards and leaves the foreign route', async () => {
    const bc = await peer('b', 'c');
    await active(bc.id);
    await eventually(async () => expect(await lab.reaches(workload('b'), host('c'))).toBe(true), { timeoutMs: 10_000 });
    expect(await lab.reaches(workload('a'), host('c'))).toBe(false);
    await lab.inNs(routerOf('c'), ['nft', '-f', '-'], `table inet nbtprobe {\n chain probe {\n  type filter hook forward priority -10; policy accept;\n  ip saddr ${cidr.a} counter\n }\n}\n`);
    // A route to C forced into A's router by hand (not netbroker's protocol), via B's end of the A–B link.
    const ab = (await peerings.list()).find((p) => p.value.requester.project === 'a' && p.value.accepter.project === 'b')!.value;
    await sh(['ip', '-n', routerOf('a'), 'route', 'add', cidr.c, 'via', ab.link!.accepter.split('/')[0]!]);
    expect(await lab.reaches(workload('a'), host('c'))).toBe(false);
    expect(await probeCount()).toBe(0);
    // Without netbroker's tables in A and B the same packets reach C's router: the probe can fail.
    for (const p of ['a', 'b']) await lab.inNs(routerOf(p), ['nft', 'delete', 'table', 'inet', 'netbroker']);
    await lab.reaches(workload('a'), host('c'));
    expect(await probeCount()).toBeGreaterThan(0);
    // SIGKILL the agent; its successor converges from KV alone: the guards are back.
    agent!.proc.kill('SIGKILL');
    await agent!.proc.exited;
    agent = await startService({ service: 'router-agent', env: agentEnv() });
    await eventually(async () => expect(await lab.inNs(routerOf('a'), ['nft', 'list', 'tables'])).toContain('netbroker'), { timeoutMs: 20_000 });
    expect(await sh(['ip', '-n', routerOf('a'), 'route', 'show', cidr.c])).toContain('via');
    const before = await probeCount();
    expect(await lab.reaches(workload('a'), host('c'))).toBe(false);
    expect(await probeCount()).toBe(before);
    await sh(['ip', '-n', routerOf('a'), 'route', 'del', cidr.c]);
  }, 60_000);

  it('refuses an overlapping peering with every router namespace unchanged', async () => {
    await provision('d');
    await eventually(async () => expect((await reports.get(`${runId}-agent`))?.value.routers).toContain('t.d'), { timeoutMs: 20_000 });
    const before = await routerState();
    const refused = await send({ op: 'peering.create', actor: 'tenant:t', tenant: 't', project: 'b', peer: { tenant: 't', project: 'd' } });
    expect(refused).toMatchObject({ ok: false, error: { reason: 'overlaps-peer' } });
    expect(await routerState()).toBe(before);
  });

  it('routes to the private network for A, which has the static route, and not for B', async () => {
    await ok({ op: 'network.put', actor: 'admin', spec: { name: 'vrack', cidr: '198.18.250.0/24', gateway: '198.18.250.1', tenants: ['t'] } });
    await ok({ op: 'attach', actor: 'tenant:t', tenant: 't', project: 'a', network: 'vrack', address: '198.18.250.11' });
    await ok({ op: 'routes', actor: 'tenant:t', tenant: 't', project: 'a', mode: 'add', routes: [{ destination: '198.18.254.0/24', nexthop: '198.18.250.1' }] });
    await eventually(async () => expect(await lab.reaches(workload('a'), REMOTE)).toBe(true), { timeoutMs: 10_000 });
    expect(await lab.reaches(workload('b'), REMOTE)).toBe(false);
  });

  it('a deleted peering stops traffic within 5 s, and its link is released', async () => {
    const ab = (await peerings.list()).find((p) => p.value.requester.project === 'a' && p.value.accepter.project === 'b')!.value;
    expect(await lab.reaches(workload('a'), host('b'))).toBe(true);
    const started = Date.now();
    await ok({ op: 'peering.delete', actor: 'tenant:t', tenant: 't', id: ab.id });
    await eventually(async () => expect(await lab.reaches(workload('a'), host('b'))).toBe(false), { timeoutMs: 5_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    await eventually(async () => {
      expect(await peerings.get(ab.id)).toBeUndefined();
      expect((await allocations.list()).filter((a) => a.value.owner.purpose === `link:${ab.id}`)).toEqual([]);
    }, { timeoutMs: 5_000 });
    expect(await lab.reaches(workload('b'), host('c'))).toBe(true);
  });
});
