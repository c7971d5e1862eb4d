// `npm start`: the local stack on an embedded default. Real nats-server, etcd, a host and one
// virtual kube-apiserver, and every netbroker service, until Ctrl-C or SIGTERM.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPortal } from '@netbroker/portal';
import { kubeconfigFile, kubeConfigFor, LoadBalancerStandIn, repoRoot, startService, startStack, type ClusterInfo, type ServiceProcess } from '@netbroker/testing';

const out = join(repoRoot, '.netbroker');
const adminToken = process.env.NETBROKER_ADMIN_TOKEN || `nba_${randomBytes(24).toString('base64url')}`;
/** Seals stored kubeconfigs (api) and opens them (syncer): one key for both. */
const encryptionKey = process.env.NETBROKER_ENCRYPTION_KEY || randomBytes(32).toString('base64');
const apiPort = process.env.NETBROKER_API_PORT ?? '8080';
/** Address pools created at start; NETBROKER_POOLS (a JSON array of pool specs) replaces them. */
const pools =
  process.env.NETBROKER_POOLS ??
  JSON.stringify([
    { name: 'projects', kind: 'prefix', prefixes: ['10.0.0.0/8'], presets: ['ovh-mks-free'], minPrefixLength: 16, maxPrefixLength: 28 },
    { name: 'egress-cloud', kind: 'address', prefixes: ['100.64.0.0/16'] },
    { name: 'egress-public', kind: 'address', ranges: [{ start: '203.0.113.10', end: '203.0.113.250' }] },
    // Peering link networks for the router (/30s); outside Kube-OVN's default join subnet 100.64.0.0/16.
    { name: 'links', kind: 'prefix', prefixes: ['100.127.0.0/20'], defaultPrefixLength: 30 },
  ]);

/** NETBROKER_NATS_NODES=3: a JetStream cluster of three nodes, and services keeping buckets and the stream at R3. */
const natsNodes = Number(process.env.NETBROKER_NATS_NODES ?? '1');
if (!Number.isInteger(natsNodes) || natsNodes < 1) throw new Error(`NETBROKER_NATS_NODES=${process.env.NETBROKER_NATS_NODES}: expected a whole number of nodes, at least 1`);

/** `npm start -- --node` (or NETBROKER_NODE=1): the host cluster gets a real node (docs/testing.md). */
const withNode = process.argv.includes('--node') || process.env.NETBROKER_NODE === '1';

const t0 = Date.now();
console.log(`[start] starting nats-server${natsNodes > 1 ? ` (${natsNodes} nodes)` : ''}, etcd, host and virtual kube-apiservers${withNode ? ', a real node' : ''} …`);
const stack = await startStack({ virtualClusters: 1, nats: { nodes: natsNodes }, node: withNode ? { loadBalancer: eipRanges(JSON.parse(pools) as PoolSpec[]) } : false });
// No load balancer controller runs here: a stand-in writes the address each LoadBalancer Service
// asks for (with a node, the stack runs one that also forwards the packets).
const loadBalancer = withNode
  ? undefined
  : new LoadBalancerStandIn(kubeConfigFor(stack.host!), (err) => console.error(`[start] load balancer stand-in: ${String(err)}`));
const services: ServiceProcess[] = [];
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.log('\n[start] stopping …');
  loadBalancer?.stop();
  for (const service of [...services].reverse()) await service.stop();
  await stack.stop();
  console.log('[start] stopped; no process left behind');
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
const watchProcess = (signal: AbortSignal) =>
  signal.addEventListener('abort', () => {
    console.error(`[start] ${String(signal.reason)}`);
    void stop(1);
  });
watchProcess(stack.signal);

mkdirSync(out, { recursive: true, mode: 0o700 });
const writeKubeconfig = (cluster: ClusterInfo) => {
  const path = join(out, `${cluster.name}.kubeconfig`);
  writeFileSync(path, kubeconfigFile(cluster), { mode: 0o600 });
  return path;
};
const clusters = [stack.host!, ...stack.virtual].map((c) => ({ name: c.name, server: c.server, kubeconfig: writeKubeconfig(c) }));
const hostKubeconfig = clusters[0]!.kubeconfig;

try {
  // Development: virtual clusters on loopback are allowed, the stack's own endpoints are not.
  const ownEndpoints = [stack.host!.server, stack.etcdUrl!, `http://127.0.0.1:${apiPort}`].map((u) => new URL(u).host);
  const common = {
    NATS_URL: stack.natsUrl!,
    NATS_REPLICAS: String(Math.min(natsNodes, 3)),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    VCLUSTER_ALLOW_LOOPBACK: 'true',
    VCLUSTER_SERVERS_DENIED: ownEndpoints.join(','),
  };
  const start = async (service: string, env: Record<string, string>) => {
    const started = await startService({ service, env: { ...common, ...env } });
    watchProcess(started.signal);
    services.push(started);
    console.log(`[start] ${service} ready (logs: ${started.proc.logFile})`);
  };
  await start('ipam', { IPAM_POOLS: pools, HOST_SERVICE_CIDRS: stack.host!.serviceCidr });
  await start('provisioner', { KUBECONFIG: hostKubeconfig });
  await start('syncer', { KUBECONFIG: hostKubeconfig, NETBROKER_ENCRYPTION_KEY: encryptionKey });
  await start('mapper', { KUBECONFIG: hostKubeconfig, NETBROKER_ENCRYPTION_KEY: encryptionKey });
  await start('exposer', { KUBECONFIG: hostKubeconfig, NETBROKER_ENCRYPTION_KEY: encryptionKey, LB_PROVIDER: process.env.NETBROKER_LB_PROVIDER ?? 'metallb' });
  // The router decides and records routes and peerings; no router-agent runs here (it needs root and programs this machine's network namespaces), so peerings stay Programming (NoAgent).
  await start('router', { BACKENDS: 'linux', HOST_SERVICE_CIDRS: stack.host!.serviceCidr });
  // The portal the api serves under /ui/: built here (under a second), so a fresh checkout has it.
  const portal = await buildPortal(join(repoRoot, 'dist', 'portal'));
  await start('api', { HTTP_PORT: apiPort, NETBROKER_ADMIN_TOKEN: adminToken, NETBROKER_ENCRYPTION_KEY: encryptionKey, PORTAL_DIR: portal.dir });
} catch (e) {
  console.error(`[start] ${e instanceof Error ? e.message : String(e)}`);
  await stop(1);
}

await loadBalancer?.start();

const apiUrl = `http://127.0.0.1:${apiPort}`;
const demo = await registerDemo(apiUrl, adminToken, clusters[1]!.kubeconfig).catch(async (e: unknown) => {
  console.error(`[start] demo project: ${e instanceof Error ? e.message : String(e)}`);
  await stop(1);
});
const summary = { apiUrl, adminToken, demo, natsUrl: stack.natsUrl, clusters, services: services.map((s) => ({ name: s.name, ops: s.opsUrl, log: s.proc.logFile })), pid: process.pid };
writeFileSync(join(out, 'stack.json'), `${JSON.stringify(summary, null, 2)}\n`, { mode: 0o600 });

console.log(`[start] ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
console.log(`  API          ${apiUrl}   (docs: ${apiUrl}/docs)`);
console.log(`  portal       ${apiUrl}/ui/   (sign in with the demo tenant's token, or the admin token)`);
console.log(`  CLI          npx netbroker login --api ${apiUrl} --token ${demo?.token}`);
console.log(`  CLI (admin)  npx netbroker login --api ${apiUrl} --token ${adminToken} --context admin`);
console.log(`  admin token  ${adminToken}`);
console.log(`  NATS         ${stack.natsUrl}`);
for (const c of clusters) console.log(`  ${c.name.padEnd(12)} kubectl --kubeconfig ${c.kubeconfig} get ns`);
if (stack.node) console.log(`  node         ${stack.node.name}: pods in ${stack.node.network.podCidr}, images with stack.node.loadImage (imagePullPolicy: Never)`);
console.log(`  demo         tenant demo, project demo (host namespace demo-demo) with virtual-1 registered; tenant token in stack.json`);
console.log('  everything above is also in .netbroker/stack.json');
console.log('[start] Ctrl-C to stop');

/**
 * Through the API, like a tenant would: tenant `demo`, its token, project `demo`, and the local
 * virtual cluster registered to it, so the syncer has something to sync from the first minute.
 */
async function registerDemo(api: string, admin: string, virtualKubeconfig: string): Promise<{ tenant: string; project: string; token: string }> {
  const call = async (method: string, path: string, token: string, body: unknown) => {
    const res = await fetch(`${api}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  await call('POST', '/admin/tenants', admin, { name: 'demo', displayName: 'npm start demo' });
  const token = String((await call('POST', '/admin/tenants/demo/tokens', admin, { name: 'npm-start' })).token);
  await call('POST', '/v1/projects', token, { name: 'demo', egressNetworkType: 'cloud' });
  await call('PUT', '/v1/projects/demo/vcluster', token, { kubeconfig: readFileSync(virtualKubeconfig, 'utf8') });
  return { tenant: 'demo', project: 'demo', token };
}

interface PoolSpec {
  kind: string;
  prefixes?: string[];
  ranges?: Array<{ start: string; end: string }>;
}

/** The address pools' EIPs, routed to the node's load balancer: prefixes as they are, a range as the /24s it touches. */
function eipRanges(specs: PoolSpec[]): string[] {
  const toInt = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const slash24s = ({ start, end }: { start: string; end: string }) => {
    const out: string[] = [];
    for (let block = toInt(start) >>> 8; block <= toInt(end) >>> 8; block++) out.push(`${block >>> 16}.${(block >>> 8) & 255}.${block & 255}.0/24`);
    return out;
  };
  return [...new Set(specs.filter((p) => p.kind === 'address').flatMap((p) => [...(p.prefixes ?? []), ...(p.ranges ?? []).flatMap(slash24s)]))];
}
