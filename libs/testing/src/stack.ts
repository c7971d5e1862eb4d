import { rmSync } from 'node:fs';
import type { AuditOptions } from './audit';
import { acquireServerBackend, type ServerProcess } from './backends';
import { kubeConfigFor } from './clients';
import { installClusterDns } from './cluster-dns';
import { LoadBalancerStandIn } from './load-balancer';
import { createNodeLoadBalancer, type NodeLoadBalancer } from './node-lb';
import { startDockerDaemon, type DockerDaemon } from './docker';
import { startNode, type KubeNode } from './node';
import { createNodeNetwork, type NodeNetwork } from './node-network';
import type { ServerExitedError } from './process';
import { Reaper } from './reaper';
import { ownedTempDir } from './temp-dirs';
import { startNatsCluster, type NatsCluster } from './nats-cluster';
import { startEtcd, startKubeApiserver, startNats, type ClusterInfo, type KubeApiserver, type KubeApiserverOptions, type NatsClientFiles, type NatsOptions } from './servers';

export interface StackOptions {
  /**
   * Start nats-server -js (default true); with options, with auth and TLS (the client's files in
   * `StackInfo.natsFiles`). `nodes: 3`: a JetStream cluster (`Stack.natsCluster`), `natsUrl`
   * listing every node's client URL.
   */
  nats?: boolean | (Omit<NatsOptions, 'address'> & { nodes?: number });
  /** Start etcd and the host apiserver (default true). */
  host?: boolean;
  /** Number of virtual apiservers sharing the host's etcd (default 0). */
  virtualClusters?: number;
  /** Service CIDR of every apiserver: equal on host and virtual, as ClusterIP back-sync needs. */
  serviceCidr?: string;
  /** Restricted users created on every apiserver (default alice, bob). */
  users?: string[];
  /**
   * A real node for the host cluster (kubelet, containerd, CNI, kube-proxy, controller-manager,
   * scheduler): pods run. `blackholes` are the virtual ranges the test uses besides the service
   * CIDR: packets to them that no rule catches are dropped on the node. `loadBalancer` are EIP
   * ranges served by a load balancer beside the node (node-lb.ts): the stack runs the
   * LoadBalancerStandIn, and packets to a LoadBalancer Service's address reach its pods.
   * `networkPolicy` runs kube-router's policy controller: NetworkPolicies are enforced.
   * `reachableFromPods`: NATS listens on the node link's root end (beside the host apiserver) and
   * the virtual apiservers on an address of their own (`NodeNetwork.tenantServersIp`), so that
   * netbroker installed as pods reaches them (`StackInfo.inCluster`). Off by default: netbroker
   * run as processes on this machine counts these root-namespace addresses as its own and
   * refuses tenant servers there; their loopback allowance covers servers on 127.0.0.1 only.
   */
  node?: boolean | { blackholes?: string[]; loadBalancer?: string[]; networkPolicy?: boolean; reachableFromPods?: boolean };
  /** The host apiserver writes an audit log (`auditEvents(stack)`); default policy SERVICE_ACCOUNT_AUDIT_POLICY. */
  audit?: AuditOptions;
}

/** What netbroker installed as pods on the node is configured with (a stack with `node.reachableFromPods`). */
export interface InClusterInfo {
  /** NATS as pods (and this process) reach it. */
  natsUrl?: string;
  /** The address of every virtual apiserver, as a CIDR: `VCLUSTER_SERVERS_ALLOWED`. */
  virtualServersCidr: string;
  /** The host apiserver's address on the node link (pods use the `kubernetes` Service in front of it). */
  hostApiserverIp: string;
  podCidr: string;
  serviceCidr: string;
}

/** The part of a stack that crosses process boundaries (vitest `provide`, `.netbroker/stack.json`). */
export interface StackInfo {
  natsUrl?: string;
  /** What a NATS client needs besides the URL (a stack started with `nats: { auth, tls }`). */
  natsFiles?: NatsClientFiles;
  /** etcd's client URL (the apiservers' store). */
  etcdUrl?: string;
  host?: ClusterInfo;
  virtual: ClusterInfo[];
  inCluster?: InClusterInfo;
}

export interface Stack extends StackInfo {
  readonly dir: string;
  /** The real node (with `node`). */
  readonly node?: KubeNode;
  readonly processes: ReadonlyMap<string, ServerProcess>;
  /**
   * The NATS cluster of a stack started with `nats: { nodes }` (> 1): stop, kill, restart, pause
   * nodes, find stream leaders. In-process only: a stack shared through `info()` (global setup)
   * gives its tests plain data; a test that injures NATS starts its own stack.
   */
  readonly natsCluster?: NatsCluster;
  /**
   * Stops a kube-apiserver (`host`, `virtual-1`…) on purpose (SIGTERM; no abort of `signal`), and
   * starts it again on the same port with its certificate, tokens and etcd data: informers of
   * clients relist. `restartApiserver` resolves once it is ready.
   */
  stopApiserver(name: string): Promise<void>;
  restartApiserver(name: string): Promise<void>;
  /** Aborted, with a ServerExitedError as reason, when any server stops unexpectedly. */
  readonly signal: AbortSignal;
  /** Throws the ServerExitedError of a server that died. */
  assertHealthy(): void;
  info(): StackInfo;
  stop(): Promise<void>;
}

const PREFIX = 'netbroker-stack-';

/**
 * Starts real servers on free loopback ports in a temp dir: nats-server -js, etcd, one host
 * kube-apiserver and N virtual ones (own --etcd-prefix each). `stop()` ends them all and removes
 * the dir; if the test process dies first, the kernel kills the servers (see ManagedProcess).
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const { nats = true, host = true, virtualClusters = 0, serviceCidr = '10.96.0.0/16', users = ['alice', 'bob'] } = opts;
  if (virtualClusters > 0 && !host) throw new Error('virtual clusters share the host etcd: host must be true');
  const nodeOpts = opts.node === true ? {} : opts.node || undefined;
  if (nodeOpts && !host) throw new Error('a node belongs to the host cluster: host must be true');
  if (nodeOpts && process.getuid?.() !== 0) throw new Error('a real node needs root (network namespaces, cgroups, mounts): run the tests as root');
  const dir = ownedTempDir(PREFIX);
  const processes = new Map<string, ServerProcess>();
  const abort = new AbortController();
  const onExit = (e: ServerExitedError) => abort.abort(e);
  // Processes or containers (backends.ts); the container backend's dockerd starts with the first server.
  const servers = acquireServerBackend(onExit);
  const track = <T extends { proc: ServerProcess }>(server: T): T => {
    processes.set(server.proc.name, server.proc);
    return server;
  };

  let reaper: Reaper | undefined;
  let docker: DockerDaemon | undefined;
  let network: NodeNetwork | undefined;
  let node: KubeNode | undefined;
  let balancer: { lb: NodeLoadBalancer; standIn: LoadBalancerStandIn } | undefined;
  let natsCluster: NatsCluster | undefined;
  const apiservers = new Map<string, KubeApiserver>();
  const apiserverNamed = (name: string) => {
    const server = apiservers.get(name);
    if (!server) throw new Error(`no kube-apiserver ${name} (there are: ${[...apiservers.keys()].join(', ')})`);
    return server;
  };
  const stopApiserver = (name: string) => processes.get(`kube-apiserver-${apiserverNamed(name).info.name}`)!.stop();
  const restartApiserver = async (name: string) => {
    const proc = await apiserverNamed(name).restart(onExit);
    processes.set(proc.name, proc);
  };
  const stop = async () => {
    balancer?.standIn.stop();
    await balancer?.lb.remove();
    await node?.stop();
    await natsCluster?.shutdown();
    await Promise.all([...processes.values()].map((p) => p.stop()));
    await servers.release();
    await docker?.stop();
    await network?.remove();
    await reaper?.close();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    if (nodeOpts) {
      reaper = await Reaper.start(dir);
      [docker, network] = await Promise.all([startDockerDaemon(dir, reaper, onExit), createNodeNetwork(reaper, [serviceCidr, ...(nodeOpts.blackholes ?? [])])]);
    }
    // With a node reachable from pods: NATS beside the host apiserver, virtual apiservers apart.
    const forPods = nodeOpts?.reachableFromPods ? network : undefined;
    const { nodes = 1, ...natsOpts } = nats === true || nats === false ? {} : nats;
    const startNatsNodes = async () => {
      natsCluster = await startNatsCluster(dir, onExit, servers.backend, { ...natsOpts, nodes, address: forPods?.hostIp, onLaunch: (p) => processes.set(p.name, p) });
      return { url: natsCluster.url, files: natsCluster.files };
    };
    const [natsServer, etcd] = await Promise.all([
      !nats ? undefined : nodes > 1 ? startNatsNodes() : startNats(dir, onExit, undefined, servers.backend, { ...natsOpts, address: forPods?.hostIp }).then(track),
      host ? startEtcd(dir, onExit, servers.backend).then(track) : undefined,
    ]);
    const apiserver = (o: Pick<KubeApiserverOptions, 'name' | 'compaction' | 'nodeLink' | 'address' | 'audit'>) =>
      startKubeApiserver(dir, { etcdUrl: etcd!.url, serviceCidr, users, ...o }, onExit, servers.backend).then((s) => {
        apiservers.set(o.name, s);
        return track(s);
      });
    const [hostServer, ...virtual] = host
      ? await Promise.all([
          apiserver({ name: 'host', compaction: true, nodeLink: network?.hostIp, audit: opts.audit }),
          ...Array.from({ length: virtualClusters }, (_, i) => apiserver({ name: `virtual-${i + 1}`, compaction: false, address: forPods?.tenantServersIp })),
        ])
      : [];
    if (nodeOpts && network) {
      node = await startNode({ dir, host: hostServer!.info, network, docker: docker!, reaper: reaper!, onExit, networkPolicy: nodeOpts.networkPolicy });
      for (const proc of node.processes) processes.set(proc.name, proc);
      await installClusterDns(hostServer!.info, node);
      if (nodeOpts.loadBalancer?.length) {
        const lb = await createNodeLoadBalancer(network, reaper!, nodeOpts.loadBalancer);
        const standIn = new LoadBalancerStandIn(kubeConfigFor(hostServer!.info), (e) => process.stderr.write(`[load balancer] ${String(e)}\n`), lb.program);
        balancer = { lb, standIn };
        await standIn.start();
      }
    }
    const inCluster: InClusterInfo | undefined = forPods && {
      natsUrl: natsServer?.url,
      virtualServersCidr: `${forPods.tenantServersIp}/32`,
      hostApiserverIp: forPods.hostIp,
      podCidr: forPods.podCidr,
      serviceCidr,
    };
    const natsFiles = natsServer && Object.keys(natsServer.files).length > 0 ? { natsFiles: natsServer.files } : {};
    const info: StackInfo = { natsUrl: natsServer?.url, ...natsFiles, etcdUrl: etcd?.url, host: hostServer?.info, virtual: virtual.map((v) => v.info), ...(inCluster ? { inCluster } : {}) };
    return {
      ...info,
      dir,
      node,
      processes,
      natsCluster,
      stopApiserver,
      restartApiserver,
      signal: abort.signal,
      assertHealthy: () => {
        if (abort.signal.aborted) throw abort.signal.reason;
      },
      info: () => structuredClone(info),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
