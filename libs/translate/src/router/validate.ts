import {
  holdingStates,
  projectKey,
  routerFail,
  routerOk,
  type PeeringRecord,
  type PeeringSide,
  type PrivateNetworkSpec,
  type Route,
  type RouterResult,
} from '@netbroker/contracts';
import {
  contains,
  firstHost,
  formatAddress4,
  formatNet4,
  isIpv6Text,
  isUsableHost,
  linkPeerAddress,
  overlaps,
  parseAddress4,
  parseInterface4,
  parseNet4,
  type Net4,
} from './ipv4';

// The router's refusals, decided on a snapshot of everything it owns: pure, so the same rules
// hold in the api's answer, the router's holder and the tests. A refusal writes nothing.

/** One project as the router sees it. */
export interface RouterProject {
  tenant: string;
  project: string;
  /** The project's CIDR; undefined until provisioned. */
  cidr?: string;
  routes: Route[];
  attachments: Array<{ network: string; address: string }>;
}

/** A range no route may point into (and, unless `linksAllowed`, no given link may use). */
export interface ReservedRange {
  name: string;
  cidr: string;
  /** Peering link networks may lie here (169.254.0.0/16, Kube-OVN's usual `localConnectIP` range). */
  linksAllowed?: boolean;
}

export interface RouterLimits {
  /** Static routes per project (Neutron's historical `router_route` quota is 30). */
  maxRoutes: number;
  maxPeeringsPerProject: number;
}

export interface RouterSnapshot {
  /** By project key (`<tenant>.<project>`). */
  projects: ReadonlyMap<string, RouterProject>;
  privateNetworks: ReadonlyMap<string, PrivateNetworkSpec>;
  peerings: readonly PeeringRecord[];
  /** The install's ranges (pod, Service, EIP and link pools, presets) plus FIXED_RESERVED. */
  reserved: readonly ReservedRange[];
  limits: RouterLimits;
}

/** Never routable, whatever the install: this network, loopback, link-local, multicast, class E. */
export const FIXED_RESERVED: readonly ReservedRange[] = [
  { name: 'this network (0.0.0.0/8)', cidr: '0.0.0.0/8' },
  { name: 'loopback', cidr: '127.0.0.0/8' },
  { name: 'link-local', cidr: '169.254.0.0/16', linksAllowed: true },
  { name: 'multicast', cidr: '224.0.0.0/4' },
  { name: 'reserved (240.0.0.0/4)', cidr: '240.0.0.0/4' },
];

export const DEFAULT_ROUTER_LIMITS: RouterLimits = { maxRoutes: 30, maxPeeringsPerProject: 50 };

export const sideKey = (side: PeeringSide) => projectKey(side.tenant, side.project);

/** Peerings that hold the pair and reserve the peer's CIDR, with the other side, for a project. */
export function peeringsOf(s: RouterSnapshot, key: string): Array<{ peering: PeeringRecord; peer: string }> {
  return s.peerings
    .filter((p) => holdingStates.includes(p.state))
    .flatMap((p) => (sideKey(p.requester) === key ? [{ peering: p, peer: sideKey(p.accepter) }] : sideKey(p.accepter) === key ? [{ peering: p, peer: sideKey(p.requester) }] : []));
}

const cidrOf = (s: RouterSnapshot, key: string): Net4 | undefined => {
  const text = s.projects.get(key)?.cidr;
  return text === undefined ? undefined : parseNet4(text);
};

/** The attached private networks of a project, parsed, with the router's own address on each. */
function connectedNetworks(s: RouterSnapshot, p: RouterProject): Array<{ name: string; net: Net4; gateway?: number; own?: number }> {
  return p.attachments.flatMap((a) => {
    const spec = s.privateNetworks.get(a.network);
    const net = spec && parseNet4(spec.cidr);
    return net ? [{ name: a.network, net, gateway: parseAddress4(spec.gateway), own: parseAddress4(a.address) }] : [];
  });
}

/** Every link network of a project's holding peerings. */
function linkNetworks(s: RouterSnapshot, key: string): Array<{ id: string; net: Net4 }> {
  return peeringsOf(s, key).flatMap(({ peering }) => {
    const net = peering.link && parseNet4(peering.link.cidr);
    return net ? [{ id: peering.id, net }] : [];
  });
}

const routeKey = (r: Route) => `${r.destination} ${r.nexthop}`;

/**
 * A project's whole route list, checked: exact duplicates merged (first place kept), then every
 * refusal with the index of the route at fault. The answer is the list to store.
 */
export function validateRoutes(s: RouterSnapshot, key: string, routes: readonly Route[]): RouterResult<Route[]> {
  const project = s.projects.get(key);
  if (!project) return routerFail('unknown-project', `project ${key} does not exist`);
  const own = cidrOf(s, key);
  if (!own) return routerFail('project-not-ready', `project ${project.project} has no CIDR yet; add routes once it is provisioned`);
  const connected = connectedNetworks(s, project);
  const links = linkNetworks(s, key);
  const peers = peeringsOf(s, key).flatMap(({ peer }) => {
    const net = cidrOf(s, peer);
    return net ? [{ peer, net }] : [];
  });

  const merged: Route[] = [];
  const seen = new Set<string>();
  const byDestination = new Map<string, string>();
  for (const [index, route] of routes.entries()) {
    if (seen.has(routeKey(route))) continue;
    const refused = checkRoute(s, route, index, { own, connected, links, peers });
    if (refused) return refused;
    const other = byDestination.get(route.destination);
    if (other !== undefined) return routerFail('conflicting-route', `${route.destination} has two next hops (${other} and ${route.nexthop}); one destination takes one next hop`, index);
    byDestination.set(route.destination, route.nexthop);
    seen.add(routeKey(route));
    merged.push({ destination: route.destination, nexthop: route.nexthop });
  }
  if (merged.length > s.limits.maxRoutes) return routerFail('route-quota', `${merged.length} routes; a project may have at most ${s.limits.maxRoutes}`);
  return routerOk(merged);
}

interface RouteContext {
  own: Net4;
  connected: ReturnType<typeof connectedNetworks>;
  links: ReturnType<typeof linkNetworks>;
  peers: Array<{ peer: string; net: Net4 }>;
}

function checkRoute(s: RouterSnapshot, route: Route, index: number, c: RouteContext) {
  if (isIpv6Text(route.destination) || isIpv6Text(route.nexthop)) return routerFail('ipv6-unsupported', `${route.destination} via ${route.nexthop}: IPv6 routes are not supported yet`, index);
  const destination = parseNet4(route.destination);
  const nexthop = parseAddress4(route.nexthop);
  if (!destination) return routerFail('invalid-route', `${route.destination} is not an IPv4 network (a.b.c.d/n, host bits zero)`, index);
  if (nexthop === undefined) return routerFail('invalid-route', `${route.nexthop} is not an IPv4 address`, index);
  if (destination.prefix === 0) return routerFail('default-route', '0.0.0.0/0 is refused: the default route belongs to the project\'s egress', index);
  if (overlaps(destination, c.own)) return routerFail('overlaps-own-cidr', `${route.destination} overlaps the project's own CIDR ${formatNet4(c.own)}`, index);
  const attached = c.connected.find((n) => overlaps(destination, n.net));
  if (attached) return routerFail('overlaps-connected', `${route.destination} overlaps the attached private network ${attached.name} (${formatNet4(attached.net)}), which is reached directly`, index);
  const peer = c.peers.find((p) => overlaps(destination, p.net));
  if (peer) return routerFail('overlaps-peer', `${route.destination} overlaps ${formatNet4(peer.net)} of the peered project ${peer.peer.replace('.', '/')}; its route comes from the peering`, index);
  const reserved = s.reserved.find((r) => {
    const net = parseNet4(r.cidr);
    return net !== undefined && overlaps(destination, net);
  });
  if (reserved) return routerFail('reserved-range', `${route.destination} overlaps the reserved range ${reserved.cidr} (${reserved.name})`, index);

  const link = c.links.find((l) => contains(l.net, nexthop));
  if (link) return routerFail('nexthop-on-peer-link', `${route.nexthop} is on the link of peering ${link.id}: traffic does not transit a peer`, index);
  if (contains(c.own, nexthop)) {
    if (!isUsableHost(c.own, nexthop) || nexthop === firstHost(c.own)) {
      return routerFail('invalid-nexthop', `${route.nexthop} is the network, broadcast or router address of ${formatNet4(c.own)}`, index);
    }
    return undefined;
  }
  const on = c.connected.find((n) => contains(n.net, nexthop));
  if (!on) return routerFail('nexthop-not-connected', `${route.nexthop} is in neither the project's CIDR ${formatNet4(c.own)} nor an attached private network`, index);
  if (!isUsableHost(on.net, nexthop) || nexthop === on.own) {
    return routerFail('invalid-nexthop', `${route.nexthop} is the network, broadcast or this router's own address of ${on.name}`, index);
  }
  return undefined;
}

/** Neutron's `add_extraroutes`: the union, duplicates merged. */
export const addRoutes = (current: readonly Route[], add: readonly Route[]): Route[] => [...current, ...add];

/** Neutron's `remove_extraroutes`: a route not present is not an error. */
export function removeRoutes(current: readonly Route[], remove: readonly Route[]): Route[] {
  const gone = new Set(remove.map(routeKey));
  return current.filter((r) => !gone.has(routeKey(r)));
}

/** A peering's two sides, checked: both exist and are provisioned, and whatever either reaches stays overlap-free. */
export interface PeeringCheck {
  requester: string;
  accepter: string;
  /** Given link address (`address/prefix` on a /30 or /31), when not from the link pool. */
  localConnectIP?: string;
  /** The peering being accepted (its own record is not a duplicate of itself). */
  id?: string;
}

/** Networks a project reaches besides its own: its peers, static route destinations and attached networks. */
function reachedBy(s: RouterSnapshot, key: string, except: string | undefined): Array<{ what: string; net: Net4 }> {
  const project = s.projects.get(key)!;
  const reached: Array<{ what: string; net: Net4 }> = [];
  for (const { peering, peer } of peeringsOf(s, key)) {
    const net = cidrOf(s, peer);
    if (net && peering.id !== except) reached.push({ what: `its peer ${peer.replace('.', '/')}`, net });
  }
  for (const r of project.routes) {
    const net = parseNet4(r.destination);
    if (net) reached.push({ what: `its static route to ${r.destination}`, net });
  }
  for (const n of connectedNetworks(s, project)) reached.push({ what: `its private network ${n.name}`, net: n.net });
  return reached;
}

export function validatePeering(s: RouterSnapshot, c: PeeringCheck): RouterResult<{ requesterCidr: string; accepterCidr: string }> {
  if (c.requester === c.accepter) return routerFail('self-peering', 'a project cannot peer with itself');
  for (const key of [c.requester, c.accepter]) {
    if (!s.projects.has(key)) return routerFail('unknown-project', `project ${key.replace('.', '/')} does not exist`);
  }
  const duplicate = peeringsOf(s, c.requester).find(({ peer, peering }) => peer === c.accepter && peering.id !== c.id);
  if (duplicate) return routerFail('duplicate-peering', `${c.requester.replace('.', '/')} and ${c.accepter.replace('.', '/')} are already peered (peering ${duplicate.peering.id}, ${duplicate.peering.state})`);
  const texts = [s.projects.get(c.requester)!.cidr, s.projects.get(c.accepter)!.cidr];
  if (texts.some((t) => t !== undefined && isIpv6Text(t))) return routerFail('ipv6-unsupported', 'IPv6 peerings are not supported yet');
  const [r, a] = [cidrOf(s, c.requester), cidrOf(s, c.accepter)];
  if (!r || !a) return routerFail('project-not-ready', `${(!r ? c.requester : c.accepter).replace('.', '/')} has no CIDR yet; peer once it is provisioned`);
  if (overlaps(r, a)) return routerFail('overlaps-peer', `the two projects' CIDRs overlap (${formatNet4(r)} and ${formatNet4(a)})`);
  for (const [side, other, otherNet] of [[c.requester, c.accepter, a], [c.accepter, c.requester, r]] as const) {
    const clash = reachedBy(s, side, c.id).find((x) => overlaps(x.net, otherNet));
    if (clash) return routerFail('overlaps-peer', `${other.replace('.', '/')}'s CIDR ${formatNet4(otherNet)} overlaps ${formatNet4(clash.net)}, ${clash.what} (of ${side.replace('.', '/')})`);
  }
  for (const key of [c.requester, c.accepter]) {
    const count = peeringsOf(s, key).filter(({ peering }) => peering.id !== c.id).length;
    if (count >= s.limits.maxPeeringsPerProject) return routerFail('peering-quota', `${key.replace('.', '/')} has ${count} peerings; at most ${s.limits.maxPeeringsPerProject}`);
  }
  if (c.localConnectIP !== undefined) {
    const refused = checkGivenLink(s, c.localConnectIP, c.id);
    if (refused) return refused;
  }
  return routerOk({ requesterCidr: formatNet4(r), accepterCidr: formatNet4(a) });
}

/** A given `localConnectIP`: a host address of a /30 or /31 whose network is free of every other network. */
function checkGivenLink(s: RouterSnapshot, text: string, except: string | undefined) {
  const given = isIpv6Text(text) ? undefined : parseInterface4(text);
  if (!given || (given.net.prefix !== 30 && given.net.prefix !== 31) || linkPeerAddress(given.net, given.address) === undefined) {
    return routerFail('invalid-link-address', `localConnectIP ${text} must be a host address with its prefix on a /30 or /31, e.g. 169.254.0.1/30`);
  }
  const net = given.net;
  const hits = (cidr: string | undefined) => {
    const other = cidr === undefined || isIpv6Text(cidr) ? undefined : parseNet4(cidr);
    return other !== undefined && overlaps(net, other);
  };
  const clash =
    [...s.projects.values()].find((p) => hits(p.cidr))?.cidr ??
    [...s.privateNetworks.values()].find((n) => hits(n.cidr))?.cidr ??
    s.peerings.find((p) => p.id !== except && holdingStates.includes(p.state) && hits(p.link?.cidr))?.link?.cidr ??
    s.reserved.find((r) => !r.linksAllowed && hits(r.cidr))?.cidr;
  if (clash !== undefined) return routerFail('invalid-link-address', `localConnectIP ${text}: its network ${formatNet4(net)} overlaps ${clash}`);
  return undefined;
}

/** The two sides' link addresses (`address/prefix`) of a link network and the requester's address. */
export function linkSides(linkCidr: string, requesterAddress?: string): { requester: string; accepter: string } | undefined {
  const net = parseNet4(linkCidr);
  if (!net || (net.prefix !== 30 && net.prefix !== 31)) return undefined;
  const mine = requesterAddress === undefined ? firstHost(net) : parseAddress4(requesterAddress);
  if (mine === undefined || !contains(net, mine)) return undefined;
  const theirs = linkPeerAddress(net, mine);
  if (theirs === undefined) return undefined;
  return { requester: `${formatAddress4(mine)}/${net.prefix}`, accepter: `${formatAddress4(theirs)}/${net.prefix}` };
}

/** Attaching a project's router to a private network: the tenant may, nothing overlaps, the address is a free host (default: the first). */
export function validateAttachment(s: RouterSnapshot, key: string, network: string, tenant: string, address?: string): RouterResult<{ network: string; address: string }> {
  const project = s.projects.get(key);
  if (!project?.cidr) return routerFail(project ? 'project-not-ready' : 'unknown-project', project ? `project ${project.project} has no CIDR yet` : `project ${key} does not exist`);
  const spec = s.privateNetworks.get(network);
  if (!spec) return routerFail('unknown-private-network', `private network ${network} does not exist`);
  if (!spec.tenants.includes(tenant)) return routerFail('private-network-not-allowed', `private network ${network} does not admit tenant ${tenant}`);
  const net = parseNet4(spec.cidr)!;
  const attached = project.attachments.find((a) => a.network === network);
  if (attached && (address === undefined || attached.address === address)) return routerOk(attached);
  const own = cidrOf(s, key)!;
  if (overlaps(net, own)) return routerFail('overlaps-own-cidr', `private network ${network} (${spec.cidr}) overlaps the project's CIDR ${formatNet4(own)}`);
  const clash = reachedBy(s, key, undefined).find((x) => overlaps(x.net, net) && x.what !== `its private network ${network}`);
  if (clash) return routerFail('overlaps-peer', `private network ${network} (${spec.cidr}) overlaps ${formatNet4(clash.net)}, ${clash.what}`);
  const taken = new Set<number>([parseAddress4(spec.gateway)!]);
  for (const p of s.projects.values()) for (const a of p.attachments) if (a.network === network && p !== project) taken.add(parseAddress4(a.address)!);
  if (address !== undefined) {
    const wanted = isIpv6Text(address) ? undefined : parseAddress4(address);
    if (wanted === undefined || !contains(net, wanted) || !isUsableHost(net, wanted) || taken.has(wanted)) {
      return routerFail('invalid-attachment-address', `${address} is not a free host address of ${network} (${spec.cidr}): not its gateway ${spec.gateway}, nor another router's`);
    }
    return routerOk({ network, address });
  }
  for (let a = firstHost(net); a <= net.end; a++) if (isUsableHost(net, a) && !taken.has(a)) return routerOk({ network, address: formatAddress4(a) });
  return routerFail('private-network-full', `no free host address is left on ${network} (${spec.cidr})`);
}

/** Detaching: refused while a static route's next hop is on that network (Neutron refuses removing an interface routes need). */
export function validateDetach(s: RouterSnapshot, key: string, network: string): RouterResult<null> {
  const project = s.projects.get(key);
  if (!project) return routerFail('unknown-project', `project ${key} does not exist`);
  const spec = s.privateNetworks.get(network);
  const net = spec && parseNet4(spec.cidr);
  const using = net && project.routes.find((r) => {
    const hop = parseAddress4(r.nexthop);
    return hop !== undefined && contains(net, hop);
  });
  if (using) return routerFail('private-network-in-use', `the route to ${using.destination} goes through ${using.nexthop} on ${network}; remove it first`);
  return routerOk(null);
}

/** An operator's private network: IPv4, the gateway a host of it, not overlapping a project, another network or a reserved range; a change keeps every attachment valid. */
export function validatePrivateNetwork(s: RouterSnapshot, spec: PrivateNetworkSpec): RouterResult<null> {
  if (isIpv6Text(spec.cidr)) return routerFail('ipv6-unsupported', 'IPv6 private networks are not supported yet');
  const net = parseNet4(spec.cidr);
  if (!net) return routerFail('invalid-private-network', `${spec.cidr} is not an IPv4 network (a.b.c.d/n, host bits zero)`);
  const gateway = isIpv6Text(spec.gateway) ? undefined : parseAddress4(spec.gateway);
  if (gateway === undefined || !isUsableHost(net, gateway)) return routerFail('invalid-private-network', `gateway ${spec.gateway} is not a host address of ${spec.cidr}`);
  const project = [...s.projects.values()].find((p) => p.cidr !== undefined && !isIpv6Text(p.cidr) && overlaps(net, parseNet4(p.cidr)!));
  if (project) return routerFail('invalid-private-network', `${spec.cidr} overlaps project ${project.tenant}/${project.project} (${project.cidr})`);
  const other = [...s.privateNetworks.values()].find((n) => n.name !== spec.name && overlaps(net, parseNet4(n.cidr)!));
  if (other) return routerFail('invalid-private-network', `${spec.cidr} overlaps private network ${other.name} (${other.cidr})`);
  const reserved = s.reserved.find((r) => overlaps(net, parseNet4(r.cidr)!));
  if (reserved) return routerFail('reserved-range', `${spec.cidr} overlaps the reserved range ${reserved.cidr} (${reserved.name})`);
  for (const p of s.projects.values()) {
    for (const a of p.attachments.filter((x) => x.network === spec.name)) {
      const address = parseAddress4(a.address)!;
      if (!spec.tenants.includes(p.tenant)) return routerFail('private-network-in-use', `project ${p.tenant}/${p.project} is attached; detach it before removing tenant ${p.tenant}`);
      if (!contains(net, address) || address === gateway) return routerFail('private-network-in-use', `project ${p.tenant}/${p.project} is attached at ${a.address}, which ${spec.cidr} with gateway ${spec.gateway} no longer allows`);
    }
  }
  return routerOk(null);
}

/** A given `localConnectIP` (`address/prefix` on a /30 or /31) as the link: its network and both sides' addresses. */
export function givenLink(text: string): { cidr: string; requester: string; accepter: string } | undefined {
  const given = isIpv6Text(text) ? undefined : parseInterface4(text);
  if (!given) return undefined;
  const cidr = formatNet4(given.net);
  const sides = linkSides(cidr, formatAddress4(given.address));
  return sides && { cidr, ...sides };
}
