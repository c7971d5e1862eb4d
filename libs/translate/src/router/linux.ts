import { createHash } from 'node:crypto';
import { deviceName, type Device, type ProjectPlan, type RouterPlan } from './compile';
import { parseInterface4, parseNet4 } from './ipv4';

// The Linux gateway realisation of a router plan: per project a router network namespace, a veth
// into the project's network, a veth pair per peering between the two routers, a veth into each
// attached private network, routes tagged with netbroker's protocol number, and one nftables
// table (`inet netbroker`) whose forward chain drops everything the plan does not allow. Pure:
// the agent (services/router-agent) compares this with what `ip -json` shows and applies the
// difference; `nftRuleset` is loaded whole with `nft -f` (atomic: a bad file leaves the old one).

/** The `proto` of every route netbroker writes (`ip route … proto 211`); others are never touched. */
export const ROUTE_PROTOCOL = 211;
/** The nftables table netbroker owns in each router namespace. */
export const NFT_TABLE = 'netbroker';
/** The alias every device netbroker creates carries (`ip link set … alias`): what it may delete. */
export const DEVICE_ALIAS_PREFIX = 'netbroker:';

const short = (text: string, n = 10) => createHash('sha256').update(text).digest('hex').slice(0, n);

/** Where a router's outside ends plug in: a network namespace (undefined: the agent's own) and a bridge there. */
export interface Segment {
  netns?: string;
  bridge: string;
}

export interface LinuxNaming {
  /** The router namespace of a project (default `nbr-<hash>`). */
  routerNamespace: (key: string) => string;
  /** Where a project's own network is (the router's `lan` end plugs into its bridge). */
  projectSegment: (key: string) => Segment;
  /** Where a private network is reached. */
  privateNetworkSegment: (network: string) => Segment;
}

export const routerNamespaceName = (key: string) => `nbr-${short(key)}`;

/**
 * One veth netbroker owns: `name` in the router namespace, `peer` in `peerNetns` (undefined: the
 * agent's own namespace), enslaved to `bridge` there, or (a peering link) carrying `peerAddress`.
 */
export interface VethSpec {
  name: string;
  /** The address with prefix on `name`. */
  address: string;
  peer: string;
  peerNetns: string | undefined;
  bridge?: string;
  peerAddress?: string;
  alias: string;
}

export interface RouteSpec {
  destination: string;
  via: string;
  dev: string;
}

/** The whole desired state of one router namespace. */
export interface RouterNamespaceSpec {
  key: string;
  netns: string;
  veths: VethSpec[];
  routes: RouteSpec[];
  nft: string;
}

/** Device names: IFNAMSIZ allows 15 characters. */
export const lanDevice = 'lan';
const linkDevice = (peering: string) => `nbl${short(peering)}`;
const networkDevice = (network: string) => `nbn${short(network)}`;
const outsideEnd = (key: string, what: string) => `nbo${short(`${key}/${what}`)}`;

export function devOf(d: Device): string {
  return d.kind === 'lan' ? lanDevice : d.kind === 'link' ? linkDevice(d.peering) : networkDevice(d.network);
}

/**
 * The spec of every router namespace of the plan. A peering's veth pair belongs to the side whose
 * key sorts first: it creates both ends (named alike, each in its router's namespace) and both
 * addresses, so the agent creates every device before any route.
 */
export function linuxSpecs(plan: RouterPlan, naming: LinuxNaming): RouterNamespaceSpec[] {
  return plan.projects.map((p) => specOf(p, naming));
}

function specOf(p: ProjectPlan, naming: LinuxNaming): RouterNamespaceSpec {
  const netns = naming.routerNamespace(p.key);
  const own = parseNet4(p.cidr)!;
  const lan = naming.projectSegment(p.key);
  const veths: VethSpec[] = [
    { name: lanDevice, address: `${p.gateway}/${own.prefix}`, peer: outsideEnd(p.key, 'lan'), peerNetns: lan.netns, bridge: lan.bridge, alias: `${DEVICE_ALIAS_PREFIX}lan` },
    ...p.attachments.map((a): VethSpec => {
      const seg = naming.privateNetworkSegment(a.network);
      return { name: networkDevice(a.network), address: `${a.address}/${parseNet4(a.cidr)!.prefix}`, peer: outsideEnd(p.key, a.network), peerNetns: seg.netns, bridge: seg.bridge, alias: `${DEVICE_ALIAS_PREFIX}network:${a.network}` };
    }),
    ...p.links
      .filter((l) => p.key < l.peer)
      .map((l): VethSpec => ({ name: linkDevice(l.peering), address: l.local, peer: linkDevice(l.peering), peerNetns: naming.routerNamespace(l.peer), peerAddress: remoteWithPrefix(l.local, l.remote), alias: `${DEVICE_ALIAS_PREFIX}link:${l.peering}` })),
  ];
  const routes = p.routes.map((r): RouteSpec => ({ destination: r.destination, via: r.via, dev: devOf(r.device) }));
  return { key: p.key, netns, veths, routes, nft: nftRuleset(p) };
}

const remoteWithPrefix = (local: string, remote: string) => `${remote}${local.slice(local.indexOf('/'))}`;

const set = (cidrs: string[]) => (cidrs.length === 1 ? cidrs[0]! : `{ ${cidrs.join(', ')} }`);

/**
 * The table, replaced whole: the `table` line first so that `delete` finds one on a fresh
 * namespace, all in one transaction. Policy drop; replies of allowed traffic pass; one counted
 * accept per forward rule; a counted drop last (`nft -j list` reads the counters).
 */
export function nftRuleset(p: ProjectPlan): string {
  const rules = p.forward
    .filter((f) => f.sources.length > 0 && f.destinations.length > 0)
    .map((f) => `    iifname "${devOf(f.from)}" ip saddr ${set(f.sources)} ip daddr ${set(f.destinations)} counter accept comment "${deviceName(f.from)}"`);
  return [
    `table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
    '  chain forward {',
    '    type filter hook forward priority filter; policy drop;',
    '    ct state established,related accept',
    ...rules,
    '    counter drop comment "not in the plan"',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The interface address of a spec as `ip addr` reports it (`local` and `prefixlen`). */
export function splitAddress(text: string): { local: string; prefixlen: number } | undefined {
  const parsed = parseInterface4(text);
  if (!parsed) return undefined;
  return { local: text.slice(0, text.indexOf('/')), prefixlen: parsed.net.prefix };
}
