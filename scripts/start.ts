// `npm start`: the local stack on an embedded default. Real nats-server, etcd, a host and one
// virtual kube-apiserver, and every netbroker service, until Ctrl-C or SIGTERM.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubeconfigFile, repoRoot, startStack, type ClusterInfo } from '@netbroker/testing';

const out = join(repoRoot, '.netbroker');
const adminToken = process.env.NETBROKER_ADMIN_TOKEN || randomBytes(24).toString('base64url');

const t0 = Date.now();
console.log('[start] starting nats-server, etcd, host and virtual kube-apiservers …');
const stack = await startStack({ virtualClusters: 1 });
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.log('\n[start] stopping …');
  await stack.stop();
  console.log('[start] stopped; no process left behind');
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
stack.signal.addEventListener('abort', () => {
  console.error(`[start] ${String(stack.signal.reason)}`);
  void stop(1);
});

mkdirSync(out, { recursive: true, mode: 0o700 });
const writeKubeconfig = (cluster: ClusterInfo) => {
  const path = join(out, `${cluster.name}.kubeconfig`);
  writeFileSync(path, kubeconfigFile(cluster), { mode: 0o600 });
  return path;
};
const clusters = [stack.host!, ...stack.virtual].map((c) => ({ name: c.name, server: c.server, kubeconfig: writeKubeconfig(c) }));
const summary = { natsUrl: stack.natsUrl, adminToken, clusters, startedAt: new Date().toISOString(), pid: process.pid };
writeFileSync(join(out, 'stack.json'), `${JSON.stringify(summary, null, 2)}\n`, { mode: 0o600 });

console.log(`[start] ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
console.log(`  NATS         ${stack.natsUrl}`);
for (const c of clusters) console.log(`  ${c.name.padEnd(12)} ${c.server}   kubectl --kubeconfig ${c.kubeconfig} get ns`);
console.log(`  admin token  in .netbroker/stack.json (set NETBROKER_ADMIN_TOKEN to choose it)`);
console.log('[start] Ctrl-C to stop');
