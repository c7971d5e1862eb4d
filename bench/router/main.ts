// `npm run bench:router`: private-network routes and VPC peerings end to end against real
// nats-server, ipam, router and router-agent processes, the agent programming network namespaces
// on this machine: 200 projects, 400 peerings, 2,000 static routes. Per change, the time from the
// router command (what the api sends) to the agent's programmed state; the agent's full resync
// (cold: every router namespace rebuilt; warm: nothing to change); compared in the same run with
// raw `ip -batch` + `nft -f` building the same objects. Needs root. Last line: one JSON line.
import { createHash, randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import {
  PeeringRecord,
  PrivateNetworkRecord,
  projectBuckets,
  ProjectRecord,
  ProjectRoutesRecord,
  ProjectStatus,
  routerAgentBucket,
  RouterAgentStatus,
  routerBuckets,
  routerCommandSubject,
  RouterReply,
  type RouterCommand,
} from '@netbroker/contracts';
import { openKv, request } from '@netbroker/bus';
import { connectNats, metricSum, NetnsLab, runCommand as sh, startService, startStack, type ServiceProcess } from '@netbroker/testing';
import { compile, linuxSpecs, routerNamespaceName, snapshotOf, type LinuxNaming, type RouterNamespaceSpec } from '@netbroker/translate';
import { median, percentile, printTable, round } from '../stats';

if (process.getuid?.() !== 0) throw new Error('bench:router programs network namespaces: run it as root');
const quick = process.env.BENCH_QUICK === '1';
const PROJECTS = quick ? 40 : 200;
const ROUTES_PER_PROJECT = 10;
const id = `nbb-${process.pid.toString(36)}`;
const lab = new NetnsLab(`${id}-`);
const segment = `${id}-seg`;
const routerPrefix = `${id}-r`;
const hash10 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 10);
const key = (i: number) => `b.p${i}`;
const bridge = (k: string) => `nbb${hash10(k)}`;
const cidrOf = (i: number) => `198.18.${16 + i}.0/24`;
const naming: LinuxNaming = {
  routerNamespace: (k) => routerNamespaceName(k).replace(/^nbr-/, routerPrefix),
  projectSegment: (k) => ({ netns: segment, bridge: bridge(k) }),
  privateNetworkSegment: () => {
    throw new Error('no private networks in this benchmark');
  },
};

const stack = await startStack({ host: false });
const services: ServiceProcess[] = [];
let agent: ServiceProcess | undefined;
try {
  await lab.assertRootFree(/"198\.18\.(1[6-9]|[2-9]\d|1\d\d|2[01]\d)\.|"198\.19\.(12[89]|1[3-9]\d|2\d\d)\./);
  await sh(['ip', 'netns', 'add', segment]);
  await sh(['ip', '-n', segment, '-batch', '-'], Array.from({ length: PROJECTS }, (_, i) => `link add ${bridge(key(i))} type bridge\nlink set ${bridge(key(i))} up`).join('\n') + '\n');

  const nc = await connectNats(stack.natsUrl!, 'bench-router');
  const pools = JSON.stringify([{ name: 'links', kind: 'prefix', prefixes: ['198.19.128.0/17'], defaultPrefixLength: 30 }]);
  services.push(await startService({ service: 'ipam', env: { NATS_URL: stack.natsUrl!, IPAM_POOLS: pools, LOG_LEVEL: 'warn' } }));
  services.push(await startService({ service: 'router', env: { NATS_URL: stack.natsUrl!, BACKENDS: 'linux', AGENT_STALE_MS: '3600000', LOG_LEVEL: 'warn' } }));
  const agentEnv = { NATS_URL: stack.natsUrl!, AGENT_ID: 'bench', NETNS_PREFIX: routerPrefix, PROJECT_NETNS: segment, PROJECT_BRIDGE: 'nbb{hash}', RESYNC_INTERVAL_MS: '3600000', LOG_LEVEL: 'warn' };
  const startAgent = async () => (agent = await startService({ service: 'router-agent', env: agentEnv }));
  await startAgent();

  // The agent's reports, followed: a change is programmed once a report after it says so.
  const reports = await openKv(nc, routerAgentBucket, RouterAgentStatus);
  let report: RouterAgentStatus | undefined;
  const waiters: Array<{ done: (r: RouterAgentStatus) => boolean; resolve: () => void }> = [];
  await reports.follow(
    (change) => {
      if (change.op !== 'put') return;
      report = change.value;
      for (const w of [...waiters]) {
        if (!w.done(change.value)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    () => undefined,
  );
  const until = (done: (r: RouterAgentStatus) => boolean) => (report && done(report) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ done, resolve })));
  const send = async (cmd: RouterCommand) => {
    const reply = await request(nc, routerCommandSubject, cmd, RouterReply, { timeoutMs: 30_000 });
    if (!reply.ok) throw new Error(`${cmd.op}: ${reply.error.reason}: ${reply.error.message}`);
    return reply;
  };

  // Projects, as the api and the provisioner write them.
  const projects = await openKv(nc, projectBuckets.projects, ProjectRecord);
  const statuses = await openKv(nc, projectBuckets.status, ProjectStatus);
  for (let i = 0; i < PROJECTS; i++) {
    const uid = randomUUID();
    await projects.put(key(i), { v: 1, tenant: 'b', name: `p${i}`, uid, generation: 1, createdAt: new Date().toISOString(), spec: { egressNetworkType: 'cloud' } });
    await statuses.put(key(i), { v: 1, uid, observedGeneration: 1, phase: 'Ready', cidr: cidrOf(i), conditions: [] });
  }
  const progress = (what: string) => console.error(`[bench:router] ${what}`);
  progress(`${PROJECTS} projects written; waiting for their routers`);
  await until((r) => r.routers.length === PROJECTS);
  progress('routers built; peerings one at a time');

  // Changes one at a time: each peering (i, i+1) and (i, i+2), then each project's 10 routes.
  const peeringMs: number[] = [];
  const ids: string[] = [];
  for (const step of [1, 2]) {
    for (let i = 0; i < PROJECTS; i++) {
      const started = performance.now();
      const { peering } = await send({ op: 'peering.create', actor: 'bench', tenant: 'b', project: `p${i}`, peer: { tenant: 'b', project: `p${(i + step) % PROJECTS}` } });
      await until((r) => r.peerings.includes(peering!.id));
      peeringMs.push(performance.now() - started);
      ids.push(peering!.id);
    }
  }
  progress(`${ids.length} peerings programmed; routes`);
  const routeMs: number[] = [];
  for (let i = 0; i < PROJECTS; i++) {
    const gateway = cidrOf(i).replace('.0/24', '.5');
    const routes = Array.from({ length: ROUTES_PER_PROJECT }, (_, j) => ({ destination: `10.${i}.${j}.0/24`, nexthop: gateway }));
    const started = performance.now();
    await send({ op: 'routes', actor: 'bench', tenant: 'b', project: `p${i}`, mode: 'replace', routes });
    // Programmed: the routes are in the router namespace (the report lists peerings, not routes).
    const ns = naming.routerNamespace(key(i));
    for (;;) {
      const have = (await sh(['ip', '-n', ns, 'route', 'show', 'proto', '211'])).split('\n').filter((l) => l.startsWith('10.')).length;
      if (have === ROUTES_PER_PROJECT) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    routeMs.push(performance.now() - started);
  }

  // The agent's full resync: warm (restart, nothing to change), then cold (every router namespace gone).
  const full = (r: RouterAgentStatus) => r.routers.length === PROJECTS && r.peerings.length === ids.length;
  const outsideEndsGone = async () => {
    // The kernel tears a namespace down in the background: wait until the outside ends are gone with it.
    while ((await sh(['ip', '-n', segment, '-o', 'link', 'show'])).includes('netbroker:')) await new Promise((r) => setTimeout(r, 50));
  };
  /** The agent restarted: its first apply (a full one) as its reconcile metric times it, and the time from start to the full report. */
  const restart = async (wipe: boolean) => {
    await agent!.stop();
    if (wipe) {
      for (const ns of await lab.namespaces()) if (ns.startsWith(routerPrefix)) await sh(['ip', 'netns', 'delete', ns]);
      await outsideEndsGone();
    }
    report = undefined;
    await reports.delete('bench');
    const started = performance.now();
    await startAgent();
    await until(full);
    const total = performance.now() - started;
    const metrics = await (await fetch(`${agent!.opsUrl}/metrics`)).text();
    const applyMs = 1000 * metricSum(metrics, 'netbroker_controller_reconcile_seconds_sum', 'controller="router-plan"');
    return { applyMs, total };
  };
  const warm = await restart(false);
  const cold = await restart(true);
  const [warmMs, coldMs] = [warm.applyMs, cold.applyMs];
  await agent!.stop();
  agent = undefined;

  // Raw: the same objects with ip -batch and nft -f, no reading, no reconciling.
  const specs: RouterNamespaceSpec[] = linuxSpecs(
    compile(
      snapshotOf({
        statuses: await entries(statuses),
        routes: await entries(await openKv(nc, routerBuckets.routes, ProjectRoutesRecord)),
        peerings: await entries(await openKv(nc, routerBuckets.peerings, PeeringRecord)),
        privateNetworks: await entries(await openKv(nc, routerBuckets.privateNetworks, PrivateNetworkRecord)),
      }),
    ),
    naming,
  );
  for (const ns of await lab.namespaces()) if (ns.startsWith(routerPrefix)) await sh(['ip', 'netns', 'delete', ns]);
  await outsideEndsGone();
  progress('raw ip -batch + nft -f');
  const rawStarted = performance.now();
  await sh(['ip', '-batch', '-'], specs.map((s) => `netns add ${s.netns}`).join('\n') + '\n');
  const vethLines = specs.flatMap((s) => s.veths.map((v) => `link add name ${v.name} netns ${s.netns} type veth peer name ${v.peer}${v.peerNetns ? ` netns ${v.peerNetns}` : ''}`));
  await sh(['ip', '-batch', '-'], vethLines.join('\n') + '\n').catch((e: Error) => {
    const line = Number(/-:(\d+)/.exec(e.message)?.[1]);
    throw new Error(`${e.message} (line ${line}: ${vethLines[line - 1]})`);
  });
  const outside = new Map<string, string[]>();
  for (const s of specs) {
    for (const v of s.veths) {
      const lines = outside.get(v.peerNetns ?? '') ?? [];
      lines.push(`link set dev ${v.peer} alias ${v.alias}`, ...(v.bridge ? [`link set dev ${v.peer} master ${v.bridge}`] : []), ...(v.peerAddress ? [`addr replace ${v.peerAddress} dev ${v.peer}`] : []), `link set dev ${v.peer} up`);
      outside.set(v.peerNetns ?? '', lines);
    }
  }
  for (const [ns, lines] of outside) await sh(['ip', ...(ns ? ['-n', ns] : []), '-batch', '-'], lines.join('\n') + '\n');
  for (const s of specs) {
    const lines = ['link set lo up', ...s.veths.flatMap((v) => [`link set dev ${v.name} alias ${v.alias}`, `addr replace ${v.address} dev ${v.name}`, `link set dev ${v.name} up`]), ...s.routes.map((r) => `route replace ${r.destination} via ${r.via} dev ${r.dev} proto 211`)];
    await sh(['ip', '-n', s.netns, '-batch', '-'], lines.join('\n') + '\n');
    await sh(['ip', 'netns', 'exec', s.netns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    await sh(['ip', 'netns', 'exec', s.netns, 'nft', '-f', '-'], s.nft);
  }
  const rawMs = performance.now() - rawStarted;
  await nc.close();

  const changes = [...peeringMs, ...routeMs];
  const ratio = rawMs / coldMs;
  printTable(`bench:router — ${PROJECTS} projects, ${ids.length} peerings, ${PROJECTS * ROUTES_PER_PROJECT} routes (${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.versions.node})`, [
    { workload: 'peering created → programmed by the agent', n: peeringMs.length, p50Ms: round(median(peeringMs), 1), p99Ms: round(percentile(peeringMs, 99), 1), compared: '', ratio: '' },
    { workload: 'routes replaced (10) → in the router namespace', n: routeMs.length, p50Ms: round(median(routeMs), 1), p99Ms: round(percentile(routeMs, 99), 1), compared: '', ratio: '' },
    { workload: 'agent full resync, warm (nothing to change)', n: 1, p50Ms: round(warmMs, 0), p99Ms: '', compared: `start to report: ${round(warm.total, 0)} ms`, ratio: '' },
    { workload: 'agent full resync, cold (every router rebuilt)', n: 1, p50Ms: round(coldMs, 0), p99Ms: '', compared: `raw ip -batch + nft -f: ${round(rawMs, 0)} ms; start to report: ${round(cold.total, 0)} ms`, ratio: round(ratio, 2) },
  ]);
  console.log(`target: ratio ≥ 0.5 (${ratio >= 0.5 ? 'met' : 'NOT met'}), p99 ≤ 1 s per change (${percentile(changes, 99) <= 1000 ? 'met' : 'NOT met'})`);
  console.log(JSON.stringify({ bench: 'router', projects: PROJECTS, peerings: ids.length, routes: PROJECTS * ROUTES_PER_PROJECT, p50Ms: round(median(changes), 1), p99Ms: round(percentile(changes, 99), 1), resyncMs: round(coldMs, 0), warmResyncMs: round(warmMs, 0), rawMs: round(rawMs, 0), ratio: round(ratio, 3) }));
} finally {
  await agent?.stop();
  for (const s of services.reverse()) await s.stop();
  await stack.stop();
  await lab.cleanup();
}

async function entries<T>(kv: { list(): Promise<Array<{ key: string; value: T }>> }): Promise<Array<[string, T]>> {
  return (await kv.list()).map((r) => [r.key, r.value]);
}
