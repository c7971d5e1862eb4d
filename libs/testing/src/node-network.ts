import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from './binaries';
import type { Reaper } from './reaper';
import { takeSlot, type Slot } from './slots';

const run = promisify(execFile);

/** How many stacks with a real node may run on one machine at once. */
const NODE_SLOTS = 32;

/** The pod address supernet of every node (198.18.0.0/15 is reserved for benchmarking, RFC 2544). */
export const POD_SUPERNET = '198.18.0.0/15';

/**
 * Where a node lives: its own network namespace, joined to the root namespace by one veth pair.
 * Slot N (one per running stack on the machine) gets the link 198.19.N.0/30 and pods in
 * 198.18.N.0/24, so two stacks never collide. The root end has a second address, 198.19.N.9, for
 * the servers tenants register (virtual apiservers): netbroker denies the addresses it uses itself
 * (host apiserver, NATS, both on 198.19.N.1) as whole addresses, so tenants' servers need their own.
 * (198.19.N.4/30 is the load balancer's link inside the node, node-lb.ts.) The namespace has no default route: a packet
 * that matches no rule goes nowhere, and blackhole routes make that explicit for the virtual
 * ranges a test uses (service CIDR, EIP pools, the pod supernet).
 */
export interface NodeNetwork {
  readonly slot: number;
  /** `ip netns` name of the node. */
  readonly netns: string;
  /** Root end of the link: the host apiserver listens here. */
  readonly hostIp: string;
  /** Root-namespace address for the servers tenants register, routed from the node (and its pods). */
  readonly tenantServersIp: string;
  /** Node end of the link: the kubelet's node IP. */
  readonly nodeIp: string;
  readonly podCidr: string;
  /** `ip -n <netns> …`: runs ip inside the node's namespace. */
  ip(args: string[]): Promise<string>;
  remove(): Promise<void>;
}

const sh = async (cmd: string, args: string[]) => (await run(cmd, args)).stdout;

/**
 * `bash -c REMOVE_NETWORK x NETNS HOSTLINK`: removes what a node's network leaves behind — the
 * node's namespace (its bridge, veths, routes and kube-proxy's iptables rules go with it) and the
 * root end of the link. The pods' namespaces are mounts under the node's containerd state dir
 * (node.ts), which the node's own teardown unmounts. Idempotent: what is already gone is skipped.
 */
const REMOVE_NETWORK = `
set -u
ns=$1 hostlink=$2
[ -e "/run/netns/$ns" ] && ip netns del "$ns"
ip link del "$hostlink" 2>/dev/null
exit 0
`;

export async function createNodeNetwork(reaper: Reaper, blackholes: string[]): Promise<NodeNetwork> {
  const slot: Slot = takeSlot(join(cacheDir(), 'node', 'slots'), NODE_SLOTS, 'real node');
  const n = slot.index;
  const netns = `netbroker-node-${n}`;
  const hostLink = `nbnode${n}h`;
  const nodeLink = `nbnode${n}n`;
  const hostIp = `198.19.${n}.1`;
  const nodeIp = `198.19.${n}.2`;
  const tenantServersIp = `198.19.${n}.9`;
  const podCidr = `198.18.${n}.0/24`;
  const ip = (args: string[]) => sh('ip', ['-n', netns, ...args]);
  const removeArgs = ['bash', '-c', REMOVE_NETWORK, 'remove-network', netns, hostLink];
  // A run that died before its reaper could act leaves the slot's names behind: clear them.
  await sh(removeArgs[0]!, removeArgs.slice(1));
  const removeNetwork = reaper.cleanup(removeArgs);
  const remove = async () => {
    await removeNetwork();
    slot.release();
  };
  try {
    await sh('ip', ['netns', 'add', netns]);
    await sh('ip', ['link', 'add', 'name', hostLink, 'type', 'veth', 'peer', 'name', nodeLink]);
    await sh('ip', ['link', 'set', nodeLink, 'netns', netns]);
    await sh('ip', ['addr', 'add', `${hostIp}/30`, 'dev', hostLink]);
    await sh('ip', ['addr', 'add', `${tenantServersIp}/32`, 'dev', hostLink]);
    await sh('ip', ['link', 'set', hostLink, 'up']);
    await ip(['link', 'set', 'lo', 'up']);
    await ip(['addr', 'add', `${nodeIp}/30`, 'dev', nodeLink]);
    await ip(['link', 'set', nodeLink, 'up']);
    // The root namespace reaches pods through the link (probes of tests, the apiserver's replies).
    await sh('ip', ['route', 'add', podCidr, 'via', nodeIp, 'dev', hostLink]);
    await ip(['route', 'add', `${tenantServersIp}/32`, 'via', hostIp]);
    for (const cidr of new Set([POD_SUPERNET, ...blackholes])) await ip(['route', 'add', 'blackhole', cidr]);
    const sysctl = (key: string, value: string) => sh('ip', ['netns', 'exec', netns, 'sysctl', '-qw', `${key}=${value}`]);
    await sysctl('net.ipv4.ip_forward', '1');
    await sysctl('net.bridge.bridge-nf-call-iptables', '1');
  } catch (e) {
    await remove();
    throw e;
  }
  return { slot: n, netns, hostIp, tenantServersIp, nodeIp, podCidr, ip, remove };
}
