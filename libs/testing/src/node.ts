import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { binaryPath } from './binaries';
import { clusterDnsIp } from './cluster-dns';
import { kubeConfigFor, kubeconfigFile } from './clients';
import { inCgroup, KILL_CGROUP, UNMOUNT_UNDER, type DockerDaemon } from './docker';
import { eventually } from './eventually';
import { buildImage, type ImageSpec } from './images';
import type { NodeNetwork } from './node-network';
import { ManagedProcess, type ServerExitedError } from './process';
import type { Reaper } from './reaper';
import type { ClusterInfo } from './servers';

const run = promisify(execFile);

export interface KubeNode {
  readonly name: string;
  readonly network: NodeNetwork;
  /** containerd's socket (CRI and `ctr`). */
  readonly containerdSocket: string;
  /** containerd, kubelet, kube-proxy, kube-controller-manager, kube-scheduler. */
  readonly processes: readonly ManagedProcess[];
  /** The stack's private dockerd, which builds the node's images (buildNetbrokerImage(node.docker)). */
  readonly docker: DockerDaemon;
  /** Builds an image on the stack's private dockerd and imports it into the node's containerd. */
  loadImage(spec: ImageSpec): Promise<string>;
  /**
   * Imports an image the stack's private dockerd has (e.g. buildNetbrokerImage(stack.docker).ref)
   * into the node's containerd; pods use it with `imagePullPolicy: Never`.
   */
  importImage(ref: string): Promise<void>;
  /** A container's log as the kubelet wrote it (newest attempt), without the CRI line prefixes. */
  podLogs(namespace: string, pod: string, container?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface NodeStartOptions {
  dir: string;
  host: ClusterInfo;
  network: NodeNetwork;
  docker: DockerDaemon;
  reaper: Reaper;
  onExit: (e: ServerExitedError) => void;
  /** Enforce NetworkPolicies with kube-router's policy controller (iptables + ipset in the node's namespace). */
  networkPolicy?: boolean;
}

/**
 * A real node for the host apiserver: containerd (CRI) + kubelet + kube-proxy inside the node's
 * network namespace, kube-controller-manager and kube-scheduler beside the apiserver. Daemons
 * and pods run under one cgroup subtree per node, which teardown — or the reaper, if the test
 * process dies — empties. Recipe and traps: docs/testing.md ("The real node").
 */
export async function startNode(opts: NodeStartOptions): Promise<KubeNode> {
  const { dir, host, network, docker, reaper, onExit } = opts;
  const name = `netbroker-node-${network.slot}`;
  const root = join(dir, 'node');
  const cgroup = `/netbroker-node-${network.slot}-${process.pid}`;
  const paths = {
    containerd: join(root, 'containerd'),
    cniConf: join(root, 'cni', 'net.d'),
    cniData: join(root, 'cni', 'data'),
    kubelet: join(root, 'kubelet'),
    podLogs: join(root, 'pod-logs'),
  };
  for (const p of Object.values(paths)) await mkdir(p, { recursive: true });
  const kubeconfig = join(root, 'admin.kubeconfig');
  await writeFile(kubeconfig, kubeconfigFile(host, 'admin'), { mode: 0o600 });
  const socket = join(paths.containerd, 'containerd.sock');
  const processes: ManagedProcess[] = [];
  // The reaper runs newest first: processes die before their mounts go.
  const unmount = reaper.cleanup(['bash', '-c', UNMOUNT_UNDER, 'unmount', root]);
  const killCgroup = reaper.cleanup(['bash', '-c', KILL_CGROUP, 'reap', cgroup]);
  const inNode = (argv: string[]): [string, string[]] => inCgroup(`${cgroup}/daemons`, ['nsenter', `--net=/run/netns/${network.netns}`, '--', ...argv]);
  // A daemon that dies while the node comes up fails the start at once, naming it.
  const starting = new AbortController();
  const start = (procName: string, [cmd, args]: [string, string[]]) => {
    const proc = new ManagedProcess(procName, cmd, args, dir, (e) => {
      starting.abort(e);
      onExit(e);
    });
    processes.push(proc);
    return proc;
  };

  /** docker save | ctr import: the node's containerd gets the image the private dockerd built. */
  const importImage = async (ref: string) => {
    const tar = join(root, `${ref.replace(/[^a-z0-9]+/gi, '_')}.tar`);
    await docker.docker(['save', '-o', tar, ref]);
    await ctr(socket, ['images', 'import', tar]);
    await rm(tar, { force: true });
  };

  const stop = async () => {
    // Pods first (their containerd tasks), then the daemons in reverse start order.
    await ctr(socket, ['tasks', 'ls', '-q']).then(
      (ids) => Promise.all(ids.split('\n').filter(Boolean).map((id) => ctr(socket, ['tasks', 'kill', '-s', 'SIGKILL', id]).catch(() => undefined))),
      () => undefined,
    );
    for (const proc of [...processes].reverse()) await proc.stop(10_000);
    await killCgroup();
    await unmount();
  };

  try {
    const pause = await buildImage(docker, { name: 'pause', files: { '/pause': binaryPath('pause') }, entrypoint: ['/pause'], user: '65535:65535' });
    await writeFile(join(paths.containerd, 'config.toml'), containerdConfig(paths.containerd, socket, paths.cniConf, pause));
    await writeFile(join(paths.cniConf, '10-netbroker.conflist'), cniConfig(network.podCidr, paths.cniData));
    start('containerd', inNode(['containerd', '--config', join(paths.containerd, 'config.toml'), '--log-level', 'warn']));
    await eventually(() => ctr(socket, ['version']), { timeoutMs: 30_000, signal: starting.signal });
    await importImage(pause);

    const dns = clusterDnsIp(host.serviceCidr);
    await writeFile(join(paths.kubelet, 'config.yaml'), kubeletConfig({ nodeIp: network.nodeIp, cgroupRoot: `${cgroup}/pods`, socket, podLogs: paths.podLogs, dns, resolv: join(root, 'resolv.conf') }));
    await writeFile(join(root, 'resolv.conf'), 'nameserver 127.0.0.1\n');
    start('kubelet', inNode([
      binaryPath('kubelet'), `--config=${join(paths.kubelet, 'config.yaml')}`, `--kubeconfig=${kubeconfig}`,
      `--root-dir=${paths.kubelet}`, `--hostname-override=${name}`, `--node-ip=${network.nodeIp}`, '--v=1',
    ]));
    await writeFile(join(root, 'kube-proxy.yaml'), kubeProxyConfig(kubeconfig, name, network));
    start('kube-proxy', inNode([binaryPath('kube-proxy'), `--config=${join(root, 'kube-proxy.yaml')}`, '--v=1']));
    start('kube-controller-manager', [binaryPath('kube-controller-manager'), [
      `--kubeconfig=${kubeconfig}`, '--controllers=*,-serviceaccount-token', '--leader-elect=false',
      '--bind-address=127.0.0.1', '--secure-port=0', '--use-service-account-credentials=false', '--v=1',
    ]]);
    start('kube-scheduler', [binaryPath('kube-scheduler'), [
      `--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1', '--secure-port=0', '--v=1',
    ]]);

    const core = kubeConfigFor(host).makeApiClient(CoreV1Api);
    await eventually(async () => {
      const node = await core.readNode({ name });
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True') throw new Error(`node ${name} not Ready: ${ready?.reason ?? 'no condition yet'} ${ready?.message ?? ''}`);
    }, { timeoutMs: 90_000, signal: starting.signal });
    // kube-router finds its Node by name at start: only once the kubelet has registered it.
    if (opts.networkPolicy) {
      start('kube-router', inNode([
        binaryPath('kube-router'), `--kubeconfig=${kubeconfig}`, `--hostname-override=${name}`,
        '--run-firewall=true', '--run-router=false', '--run-service-proxy=false', '--enable-cni=false',
        `--service-cluster-ip-range=${host.serviceCidr}`, '--health-port=0', '--iptables-sync-period=5s', '--v=1',
      ]));
    }
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    name,
    network,
    containerdSocket: socket,
    processes,
    docker,
    loadImage: async (spec) => {
      const ref = await buildImage(docker, spec);
      await importImage(ref);
      return ref;
    },
    importImage,
    podLogs: async (namespace, pod, container) => {
      const dirs = (await readdir(paths.podLogs)).filter((d) => d.startsWith(`${namespace}_${pod}_`));
      if (dirs.length !== 1) throw new Error(`no log directory for pod ${namespace}/${pod}`);
      const podDir = join(paths.podLogs, dirs[0]!);
      const containers = await readdir(podDir);
      const c = container ?? containers[0];
      if (!c || !containers.includes(c)) throw new Error(`pod ${namespace}/${pod} has no container ${c ?? ''} (has ${containers.join(', ')})`);
      const files = (await readdir(join(podDir, c))).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
      const text = await readFile(join(podDir, c, files.at(-1)!), 'utf8');
      // CRI log lines: "<time> <stream> <P|F> <text>".
      return text.split('\n').filter(Boolean).map((line) => line.split(' ').slice(3).join(' ')).join('\n');
    },
    stop,
  };
}

const ctr = async (socket: string, args: string[]) => (await run('ctr', ['--address', socket, '--namespace', 'k8s.io', ...args])).stdout;


function containerdConfig(dir: string, socket: string, cniConf: string, sandboxImage: string): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "${socket}"
[ttrpc]
  address = "${socket}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${sandboxImage}"
  # This VM forbids lowering oom_score_adj: without this every sandbox fails to start.
  restrict_oom_score_adj = true
  # Pods' network namespaces are mounted under the state dir, not /run/netns: the node's teardown
  # unmounts everything under its dir, so a sandbox stopped but not yet removed leaves none behind.
  netns_mounts_under_state_dir = true
  enable_selinux = false
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${cniConf}"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
`;
}

function cniConfig(podCidr: string, dataDir: string): string {
  const [base] = podCidr.split('/');
  const gateway = base!.replace(/\.0$/, '.1');
  return `${JSON.stringify({
    cniVersion: '0.4.0',
    name: 'netbroker-node',
    plugins: [
      {
        type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false, hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: podCidr, gateway }]], routes: [{ dst: '0.0.0.0/0' }], dataDir },
      },
    ],
  }, null, 2)}\n`;
}

function kubeletConfig(o: { nodeIp: string; cgroupRoot: string; socket: string; podLogs: string; dns: string; resolv: string }): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${o.nodeIp}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
cgroupsPerQOS: false
cgroupRoot: ${o.cgroupRoot}
enforceNodeAllocatable: []
failSwapOn: false
localStorageCapacityIsolation: false
containerRuntimeEndpoint: unix://${o.socket}
podLogsDir: ${o.podLogs}
clusterDNS: [${o.dns}]
clusterDomain: cluster.local
resolvConf: ${o.resolv}
serializeImagePulls: false
evictionHard: {}
imageGCHighThresholdPercent: 100
`;
}

function kubeProxyConfig(kubeconfig: string, hostname: string, network: NodeNetwork): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: ${kubeconfig}
mode: iptables
hostnameOverride: ${hostname}
bindAddress: ${network.nodeIp}
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
clusterCIDR: ${network.podCidr}
# Leave the machine's conntrack settings alone (they are not all per network namespace).
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`;
}
