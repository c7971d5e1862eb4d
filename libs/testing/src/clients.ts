import type { KubeConfig } from '@kubernetes/client-node';
import { PooledKubeConfig } from '@netbroker/kube';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { ClusterInfo } from './servers';

/** A ready KubeConfig for one user of a harness apiserver (`admin` or a restricted user), with the services' keep-alive agent. */
export function kubeConfigFor(cluster: ClusterInfo, user = 'admin'): KubeConfig {
  const token = cluster.tokens[user];
  if (!token) throw new Error(`${cluster.name} has no user ${user} (users: ${Object.keys(cluster.tokens).join(', ')})`);
  const kc = new PooledKubeConfig();
  const context = `${cluster.name}-${user}`;
  kc.loadFromOptions({
    clusters: [{ name: cluster.name, server: cluster.server, caData: Buffer.from(cluster.caPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: `${cluster.name}-${user}`, token }],
    contexts: [{ name: context, cluster: cluster.name, user: `${cluster.name}-${user}` }],
    currentContext: context,
  });
  return kc;
}

/** The kubeconfig as a file body kubectl reads (`kubectl --kubeconfig FILE`). */
export function kubeconfigFile(cluster: ClusterInfo, user = 'admin'): string {
  return kubeConfigFor(cluster, user).exportConfig();
}

export function connectNats(url: string, name = 'netbroker-test'): Promise<NatsConnection> {
  return connect({ servers: url, name, maxReconnectAttempts: 5, reconnectTimeWait: 200, noAsyncTraces: true });
}
