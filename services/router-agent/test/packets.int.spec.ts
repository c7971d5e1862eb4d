import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PrivateNetworkSpec } from '@netbroker/contracts';
import { eventually, NetnsLab, repoRoot } from '@netbroker/testing';
import { compile, DEFAULT_ROUTER_LIMITS, linkSides, linuxSpecs, validatePeering, type LinuxNaming, type RouterNamespaceSpec, type RouterSnapshot } from '@netbroker/translate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouterAgent } from '../src/agent';
import { execRunner, Netns } from '../src/netns';

// Real packets through real network namespaces: a workload namespace per project (its address on
// a bridge), the agent's router namespaces, an appliance on a private network, all with
// addresses from 198.18.0.0/15 (RFC 2544). ping and a TCP connect prove what the plan says.
// Needs root; everything it creates is named `nbt-<run>-…` and deleted even on failure.

const run = `nbt-${process.pid.toString(36)}`;
const lab = new NetnsLab(`${run}-`);
const ns = { workload: (p: string) => `${run}-w-${p}`, router: (p: string) => `${run}-r-${p}`, appliance: `${run}-pn` };
const cmd = execRunner();
const sh = (argv: string[], input?: string) => cmd.run(argv, input);
const inNs = (n: string, argv: string[], input?: string) => sh(['ip', 'netns', 'exec', n, ...argv], input);

const cidr = { a: '198.18.1.0/24', b: '198.18.2.0/24', c: '198.18.3.0/24' } as const;
const workloadIp = (p: keyof typeof cidr) => cidr[p].replace('.0/24', '.10');
const vrack: PrivateNetworkSpec = { name: 'vrack', cidr: '198.18.100.0/24', gateway: '198.18.100.1', tenants: ['t'] };
/** Behind the appliance: reached only through a static route via the private network. */
const REMOTE = '198.18.200.1';

const naming: LinuxNaming = {
  routerNamespace: (key) => ns.router(key.split('.')[1]!),
  projectSegment: (key) => ({ netns: ns.workload(key.split('.')[1]!), bridge: 'nbt0' }),
  privateNetworkSegment: () => ({ netns: ns.appliance, bridge: 'nbt0' }),
};

interface Plan {
  peerings?: Array<[string, string]>;
  routesOfA?: boolean;
  extra?: Record<string, string>;
}

/** The snapshot of a plan: projects a, b, c (A attached to the vRack), peerings Active with links from 198.19.0.0/24. */
function snapshot(plan: Plan): RouterSnapshot {
  const project = (p: string, c: string, extra: Partial<{ routes: Array<{ destination: string; nexthop: string }>; attachments: Array<{ network: string; address: string }> }> = {}) =>
    [`t.${p}`, { tenant: 't', project: p, cidr: c, routes: extra.routes ?? [], attachments: extra.attachments ?? [] }] as const;
  const projects = new Map([
    project('a', cidr.a, { attachments: [{ network: 'vrack', address: '198.18.100.11' }], routes: plan.routesOfA ? [{ destination: '198.18.200.0/24', nexthop: '198.18.100.1' }] : [] }),
    project('b', cidr.b),
    project('c', cidr.c),
    ...Object.entries(plan.extra ?? {}).map(([p, c]) => project(p, c)),
  ]);
  const peerings = (plan.peerings ?? []).map(([x, y], i) => {
    const link = `198.19.0.${i * 4}/30`;
    return {
      v: 1 as const,
      id: `${x}${y}`,
      requester: { tenant: 't', project: x },
      accepter: { tenant: 't', project: y },
      state: 'Active' as const,
      link: { cidr: link, ...linkSides(link)!, allocated: true },
      conditions: [],
      createdAt: '2026-12-02T00:00:00Z',
      createdBy: 'test',
    };
  });
  return { projects, privateNetworks: new Map([['vrack', vrack]]), peerings, reserved: [], limits: DEFAULT_ROUTER_LIMITS };
}

const specs = (plan: Plan): RouterNamespaceSpec[] => linuxSpecs(compile(snapshot(plan)), naming);
const netns = new Netns(cmd);
const agent = new RouterAgent(netns, (n) => n.startsWith(`${run}-r-`));
const apply = async (plan: Plan) => {
  const seen = netns.recent.length;
  const result = await agent.apply(specs(plan));
  expect(result.failed).toEqual([]);
  return { ...result, commands: netns.recent.slice(seen) };
};

const reaches = (from: string, to: string) => lab.reaches(ns.workload(from), to);
const connects = (from: string, host: string, port: number) => lab.connects(ns.workload(from), host, port);

/** Packets from A's CIDR the probe (a table of the test's own, before netbroker's) has seen forwarded in C's router. */
async function probeCount(): Promise<number> {
  const out = JSON.parse(await inNs(ns.router('c'), ['nft', '-j', 'list', 'table', 'inet', 'nbtprobe'])) as { nftables: Array<{ rule?: { expr: Array<{ counter?: { packets: number } }> } }> };
  return out.nftables.flatMap((e) => e.rule?.expr ?? []).reduce((n, x) => n + (x.counter?.packets ?? 0), 0);
}

/** Every router namespace's routes and netbroker table, for "nothing changed". */
async function state(): Promise<string> {
  const parts: string[] = [];
  for (const p of ['a', 'b', 'c']) {
    parts.push(await sh(['ip', '-n', ns.router(p), '-json', 'route', 'show']));
    parts.push(await inNs(ns.router(p), ['nft', 'list', 'table', 'inet', 'netbroker']));
  }
  return parts.join('\n');
}

const children: ChildProcess[] = [];
let scratch: string;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the router packet tests need root (network namespaces, veth pairs, nftables): run npm test as root');
  // The test's ranges must be free in the root namespace, so nothing here can reach or shadow this machine's.
  await lab.assertRootFree(/"198\.18\.(1|2|3|100|200)\.|"198\.19\.0\.([0-9]|1[0-5])"/);
  scratch = mkdtempSync(join(tmpdir(), 'nbt-router-'));
  for (const p of ['a', 'b', 'c'] as const) await lab.makeNamespace(ns.workload(p), `${workloadIp(p)}/24`, cidr[p].replace('.0/24', '.1'));
  await lab.makeNamespace(ns.appliance, '198.18.100.1/24');
  await sh(['ip', '-n', ns.appliance, '-batch', '-'], `addr add ${REMOTE}/32 dev lo\nroute add ${cidr.a} via 198.18.100.11\n`);
  // A TCP listener in B's workload namespace.
  const listener = spawn('ip', ['netns', 'exec', ns.workload('b'), process.execPath, '-e', `require('net').createServer((s)=>s.end('hi')).listen(8080,'${workloadIp('b')}')`], { stdio: 'ignore' });
  children.push(listener);
}, 60_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  await lab.cleanup();
}, 60_000);

describe('the router agent, with real packets', () => {
  it('connects nothing without a peering', async () => {
    await apply({});
    expect(await reaches('a', workloadIp('b'))).toBe(false);
    expect(await reaches('b', workloadIp('a'))).toBe(false);
    expect(await connects('a', workloadIp('b'), 8080)).toBe(false);
  });

  it('connects A and B both ways once peered (ping and a TCP connect), and an apply of the same plan changes nothing', async () => {
    await apply({ peerings: [['a', 'b']] });
    await eventually(async () => expect(await reaches('a', workloadIp('b'))).toBe(true), { timeoutMs: 10_000 });
    expect(await reaches('b', workloadIp('a'))).toBe(true);
    await eventually(async () => expect(await connects('a', workloadIp('b'), 8080)).toBe(true), { timeoutMs: 10_000 });
    expect((await apply({ peerings: [['a', 'b']] })).commands).toEqual([]);
  });

  it('hub B peered with A and C: A never reaches C, even with a route forced by hand, until the guards are removed', async () => {
    const plan: Plan = { peerings: [['a', 'b'], ['b', 'c']] };
    await apply(plan);
    await eventually(async () => expect(await reaches('b', workloadIp('c'))).toBe(true), { timeoutMs: 10_000 });
    expect(await reaches('a', workloadIp('c'))).toBe(false);
    // The test's own probe in C's router counts what arrives from A's network, before netbroker's table.
    await inNs(ns.router('c'), ['nft', '-f', '-'], 'table inet nbtprobe {\n chain probe {\n  type filter hook forward priority -10; policy accept;\n  ip saddr 198.18.1.0/24 counter\n }\n}\n');
    // A route to C forced into A's router by hand (not netbroker's protocol), via B's link address.
    await sh(['ip', '-n', ns.router('a'), 'route', 'add', cidr.c, 'via', '198.19.0.2']);
    expect(await reaches('a', workloadIp('c'))).toBe(false);
    expect(await probeCount()).toBe(0);
    // Without netbroker's tables in A and B the same packets do reach C's router: the probe can fail.
    for (const p of ['a', 'b']) await inNs(ns.router(p), ['nft', 'delete', 'table', 'inet', 'netbroker']);
    await reaches('a', workloadIp('c'));
    expect(await probeCount()).toBeGreaterThan(0);
    // The agent restores its tables and leaves the foreign route (and the probe table) alone.
    expect((await apply(plan)).changes).toBe(2);
    expect(await sh(['ip', '-n', ns.router('a'), 'route', 'show', cidr.c])).toContain('via 198.19.0.2');
    const before = await probeCount();
    expect(await reaches('a', workloadIp('c'))).toBe(false);
    expect(await probeCount()).toBe(before);
    await sh(['ip', '-n', ns.router('a'), 'route', 'del', cidr.c]);
  });

  it('refuses an overlapping peering before anything is written: every router namespace unchanged', async () => {
    const plan: Plan = { peerings: [['a', 'b'], ['b', 'c']] };
    const before = await state();
    const refused = validatePeering(snapshot({ ...plan, extra: { d: '198.18.3.0/25' } }), { requester: 't.b', accepter: 't.d' });
    expect(refused).toMatchObject({ ok: false, error: { reason: 'overlaps-peer' } });
    expect((await apply(plan)).changes).toBe(0);
    expect(await state()).toBe(before);
  });

  it('routes to the private network for A, whose router has the static route, and not for B', async () => {
    await apply({ peerings: [['a', 'b']], routesOfA: true });
    await eventually(async () => expect(await reaches('a', REMOTE)).toBe(true), { timeoutMs: 10_000 });
    expect(await reaches('b', REMOTE)).toBe(false);
  });

  it('a deleted peering stops traffic within 5 s and takes its link along', async () => {
    await apply({ peerings: [['a', 'b']] });
    await eventually(async () => expect(await reaches('a', workloadIp('b'))).toBe(true), { timeoutMs: 10_000 });
    const started = Date.now();
    await apply({});
    await eventually(async () => expect(await reaches('a', workloadIp('b'))).toBe(false), { timeoutMs: 5_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const p of ['a', 'b']) expect(await sh(['ip', '-n', ns.router(p), '-o', 'link', 'show'])).not.toMatch(/nbl[0-9a-f]{10}/);
  });

  it('converges after being SIGKILLed in the middle of a plan', async () => {
    const plan: Plan = { peerings: [['a', 'b'], ['b', 'c']], routesOfA: true };
    await apply({});
    // Remove the routers so the killed run has the whole plan to do.
    for (const p of ['a', 'b', 'c']) await sh(['ip', 'netns', 'delete', ns.router(p)]);
    const file = join(scratch, 'specs.json');
    writeFileSync(file, JSON.stringify(specs(plan)));
    // Killed the moment its first router namespace appears (inotify on /run/netns, not polling: a
    // poll under load can miss the whole run).
    const appeared = new Promise<void>((resolve) => {
      const watcher = watch('/run/netns', (_event, name) => {
        if (name !== ns.router('a')) return;
        watcher.close();
        resolve();
      });
    });
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'services', 'router-agent', 'test', 'fixtures', 'apply.ts'), file, `${run}-r-`], { stdio: 'ignore', cwd: repoRoot });
    children.push(child);
    await appeared;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // A run that finished before the kill proves nothing: say so instead of waiting for an exit that came already.
    expect(child.exitCode, 'the apply finished before it could be killed').toBeNull();
    child.kill('SIGKILL');
    await exited;
    const first = await apply(plan);
    expect(first.changes).toBeGreaterThan(0); // the killed run left work undone
    expect((await apply(plan)).changes).toBe(0);
    await eventually(async () => expect(await reaches('a', workloadIp('b'))).toBe(true), { timeoutMs: 10_000 });
    expect(await reaches('c', workloadIp('b'))).toBe(true);
    expect(await reaches('a', workloadIp('c'))).toBe(false);
    expect(await reaches('a', REMOTE)).toBe(true);
  });
});
