import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { V1Service } from '@kubernetes/client-node';
import type { NodeNetwork } from './node-network';
import type { Reaper } from './reaper';

const run = promisify(execFile);

/**
 * An L4 load balancer in a network namespace of its own beside the node, as a cloud or MetalLB
 * in front of a cluster would be: the node routes the EIP ranges to it; it DNATs each
 * LoadBalancer Service's ingress address and port to the node's NodePort and masquerades, so the
 * answer comes back through it. That is what makes a pod → `<service>-ext` ClusterIP → EIP →
 * exposed pod path work on one node (two translations, each in its own namespace's conntrack).
 * Link: node `198.19.N.5` ↔ balancer `198.19.N.6`. Nothing else is routed: the balancer has no
 * default route and blackholes its EIP ranges.
 */
export interface NodeLoadBalancer {
  readonly netns: string;
  /** Replaces the whole rule set (iptables-restore of its nat table) with the given Services'. */
  program(services: V1Service[]): Promise<void>;
  remove(): Promise<void>;
}

export async function createNodeLoadBalancer(network: NodeNetwork, reaper: Reaper, eipRanges: string[]): Promise<NodeLoadBalancer> {
  const n = network.slot;
  const netns = `netbroker-lb-${n}`;
  const nodeSide = `nblb${n}n`;
  const lbSide = `nblb${n}l`;
  const nodeIp = `198.19.${n}.5`;
  const lbIp = `198.19.${n}.6`;
  const sh = async (args: string[]) => (await run(args[0]!, args.slice(1))).stdout;
  const removeArgs = ['bash', '-c', '[ -e "/run/netns/$1" ] && ip netns del "$1"; exit 0', 'remove-lb', netns];
  await sh(removeArgs);
  const remove = reaper.cleanup(removeArgs);
  try {
    await sh(['ip', 'netns', 'add', netns]);
    await network.ip(['link', 'add', 'name', nodeSide, 'type', 'veth', 'peer', 'name', lbSide, 'netns', netns]);
    await network.ip(['addr', 'add', `${nodeIp}/30`, 'dev', nodeSide]);
    await network.ip(['link', 'set', nodeSide, 'up']);
    const lb = (args: string[]) => sh(['ip', '-n', netns, ...args]);
    await lb(['link', 'set', 'lo', 'up']);
    await lb(['addr', 'add', `${lbIp}/30`, 'dev', lbSide]);
    await lb(['link', 'set', lbSide, 'up']);
    await lb(['route', 'add', network.podCidr, 'via', nodeIp]);
    for (const cidr of eipRanges) {
      await network.ip(['route', 'replace', cidr, 'via', lbIp]);
      await lb(['route', 'add', 'blackhole', cidr]);
    }
    await sh(['ip', 'netns', 'exec', netns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  } catch (e) {
    await remove();
    throw e;
  }

  const program = async (services: V1Service[]) => {
    const rules: string[] = [];
    for (const svc of services) {
      const ip = svc.status?.loadBalancer?.ingress?.[0]?.ip;
      if (svc.spec?.type !== 'LoadBalancer' || !ip) continue;
      for (const port of svc.spec.ports ?? []) {
        if (!port.nodePort) continue;
        const proto = (port.protocol ?? 'TCP').toLowerCase();
        rules.push(`-A PREROUTING -d ${ip}/32 -p ${proto} --dport ${port.port} -j DNAT --to-destination ${nodeIp}:${port.nodePort}`);
      }
    }
    const table = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ...rules, `-A POSTROUTING -o ${lbSide} -j SNAT --to-source ${lbIp}`, 'COMMIT', ''];
    const child = run('ip', ['netns', 'exec', netns, 'iptables-restore']);
    child.child.stdin!.end(table.join('\n'));
    await child;
  };
  await program([]);
  return { netns, program, remove };
}
