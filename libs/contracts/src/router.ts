import { z } from 'zod';
import { Cidr, IpAddress } from './addresses';
import { Name } from './ipam';
import { Condition } from './projects';
import { text } from './text';

// Private-network routes and VPC peering: what the router owns. Static routes are the Neutron /
// OVHcloud `host_routes` model (`destination` via `nexthop`); peerings the Kube-OVN one
// (`vpcPeerings` + derived static routes), non-transitive and overlap-free. IPv4 only in v1.

export const routerBuckets = {
  /** Key `<tenant>.<project>`: the project's static routes and attached private networks. */
  routes: 'router-routes',
  /** Key `<peering id>`. */
  peerings: 'router-peerings',
  /** Key `<network name>`: private networks the operator defined. */
  privateNetworks: 'router-private-networks',
} as const;

export const routerSubjects = {
  routesChanged: 'evt.route.changed',
  peeringRequested: 'evt.peering.requested',
  peeringAccepted: 'evt.peering.accepted',
  peeringStateChanged: 'evt.peering.state-changed',
  peeringDeleted: 'evt.peering.deleted',
} as const;

/** Why a route or peering was refused. A closed set: clients switch on it, and it is the API's `code`. */
export const RouterErrorReason = z.enum([
  /** Not an IPv4 CIDR / address where one is needed. */
  'invalid-route',
  /** IPv6 routes and peerings are not supported in v1 (Kube-OVN's IPv6 peering is broken: kube-ovn #1961, #4447). */
  'ipv6-unsupported',
  /** `0.0.0.0/0`: the default route belongs to the project's egress. */
  'default-route',
  'overlaps-own-cidr',
  /** The destination overlaps a network the project is connected to (an attached private network). */
  'overlaps-connected',
  /** A route's destination overlaps a peer's CIDR, or a peering would make two reachable networks overlap. */
  'overlaps-peer',
  /** Pod, Service, EIP or link pools, platform presets, 0/8, 127/8, 169.254/16, 224/4, 240/4. */
  'reserved-range',
  /** The next hop is in neither the project's CIDR nor an attached private network. */
  'nexthop-not-connected',
  /** The next hop is a peer's link address: transit through a peer is refused. */
  'nexthop-on-peer-link',
  /** The next hop is its network's own network, broadcast or router address. */
  'invalid-nexthop',
  /** One destination with two next hops. */
  'conflicting-route',
  'route-quota',
  'self-peering',
  /** A peering between the two projects exists already (either direction). */
  'duplicate-peering',
  'peering-quota',
  /** The project has no CIDR yet (not provisioned). */
  'project-not-ready',
  'link-pool-exhausted',
  /** `localConnectIP` is not a host address of a /30 or /31 that is free of every other network. */
  'invalid-link-address',
  'unknown-project',
  'unknown-peering',
  'unknown-private-network',
  /** The private network does not list the project's tenant. */
  'private-network-not-allowed',
  /** The private network is still attached to projects (or a route still goes through the attachment being removed). */
  'private-network-in-use',
  /** A private network whose gateway is not a host of its CIDR, or whose CIDR overlaps a project or another network. */
  'invalid-private-network',
  /** The address asked for on a private network is not a free host address there (not its gateway, not another router's). */
  'invalid-attachment-address',
  /** No free host address is left on the private network. */
  'private-network-full',
  /** Only the accepter accepts; a peering is accepted once. */
  'not-acceptable',
]);
export type RouterErrorReason = z.infer<typeof RouterErrorReason>;

export interface RouterError {
  reason: RouterErrorReason;
  message: string;
  /** The index of the offending route in the request, when one route is at fault. */
  index?: number;
}

export type RouterResult<T> = { ok: true; value: T } | { ok: false; error: RouterError };
export const routerOk = <T>(value: T): RouterResult<T> => ({ ok: true, value });
export const routerFail = (reason: RouterErrorReason, message: string, index?: number): { ok: false; error: RouterError } => ({
  ok: false,
  error: index === undefined ? { reason, message } : { reason, message, index },
});

/** A static route: traffic to `destination` goes to `nexthop`, which must be on a connected network. */
export const Route = z.object({ destination: Cidr, nexthop: IpAddress }).strict();
export type Route = z.infer<typeof Route>;

/** The body of `PUT …/routes`, `…/routes:add`, `…/routes:remove`. The count limit is the install's (`maxRoutes`). */
export const RoutesRequest = z.object({ routes: z.array(Route).max(1_000) }).strict();
export type RoutesRequest = z.infer<typeof RoutesRequest>;

/** A project's router record (KV `router-routes`): its static routes and attached private networks. */
export const ProjectRoutesRecord = z.object({
  v: z.literal(1),
  tenant: Name,
  project: Name,
  routes: z.array(Route),
  /** Attached private networks, each with the router's own address on it. */
  attachments: z.array(z.object({ network: Name, address: IpAddress })),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type ProjectRoutesRecord = z.infer<typeof ProjectRoutesRecord>;

/** A private network the operator defines (vRack VLAN, an on-prem range behind an appliance). */
export const PrivateNetworkSpec = z
  .object({
    name: Name,
    cidr: Cidr,
    /** The network's gateway (the appliance): never handed to a project router. */
    gateway: IpAddress,
    /** Tenants whose projects may attach; empty: none. */
    tenants: z.array(Name).max(1_000).default([]),
    description: text(0, 256).optional(),
  })
  .strict();
export type PrivateNetworkSpec = z.infer<typeof PrivateNetworkSpec>;

export const PrivateNetworkRecord = PrivateNetworkSpec.extend({ v: z.literal(1) });
export type PrivateNetworkRecord = z.infer<typeof PrivateNetworkRecord>;

export const PeeringState = z.enum(['PendingAcceptance', 'Programming', 'Active', 'Degraded', 'Failed', 'Deleting']);
export type PeeringState = z.infer<typeof PeeringState>;

export const PeeringSide = z.object({ tenant: Name, project: Name }).strict();
export type PeeringSide = z.infer<typeof PeeringSide>;

/** A peering's link network: a /30 or /31, one address for each side (Kube-OVN's `localConnectIP`, with its prefix). */
export const PeeringLink = z.object({
  cidr: Cidr,
  /** `address/prefix` on the requester's side and on the accepter's. */
  requester: z.string(),
  accepter: z.string(),
  /** Whether the link came from the ipam link pool (released with the peering) or was given. */
  allocated: z.boolean(),
});
export type PeeringLink = z.infer<typeof PeeringLink>;

/** A project condition's shape, with the peering's own types (`Programmed`, `Ready`…). */
export const PeeringCondition = Condition.extend({ type: z.string() });
export type PeeringCondition = z.infer<typeof PeeringCondition>;

/** A peering (KV `router-peerings`, key its id). */
export const PeeringRecord = z.object({
  v: z.literal(1),
  id: z.string(),
  requester: PeeringSide,
  accepter: PeeringSide,
  state: PeeringState,
  /** Set once accepted (allocated or given). */
  link: PeeringLink.optional(),
  /** The requester's `localConnectIP`, when given (`address/prefix`). */
  localConnectIP: z.string().optional(),
  conditions: z.array(PeeringCondition).default([]),
  createdAt: z.string(),
  createdBy: z.string(),
  acceptedAt: z.string().optional(),
  acceptedBy: z.string().optional(),
});
export type PeeringRecord = z.infer<typeof PeeringRecord>;

/** `POST /v1/peerings`. The accepter's tenant defaults to the requester's. */
export const CreatePeeringRequest = z
  .object({
    project: Name,
    peer: z.object({ tenant: Name.optional(), project: Name }).strict(),
    /** An address with prefix on a /30 or /31 (e.g. `198.19.0.1/30`); default: one from the link pool. */
    localConnectIP: z.string().max(64).optional(),
  })
  .strict();
export type CreatePeeringRequest = z.infer<typeof CreatePeeringRequest>;

/** Peering states in which the peering is programmed (routes and links exist). */
export const programmedStates: readonly PeeringState[] = ['Programming', 'Active', 'Degraded'];
/** Peering states that hold the pair (a second peering between them is a duplicate) and reserve the peer's CIDR. */
export const holdingStates: readonly PeeringState[] = ['PendingAcceptance', 'Programming', 'Active', 'Degraded', 'Deleting'];

// --- The router's commands (request/reply) -----------------------------------------------------

/**
 * Every write of router records goes through this one subject, served only by the replica holding
 * the router's writer lease: one writer decides on one snapshot, so two racing peerings whose
 * peers overlap cannot both pass (exactly one wins). The api is the only caller.
 */
export const routerCommandSubject = 'cmd.router.write';

/** Who asked: `tenant:<name>` or `admin`, carried into the records and the facts. */
const Actor = z.string().min(1).max(256);
/**
 * The same on every attempt of one request: the writer answers a repeat with its first answer
 * (kept in memory for its last 10,000 commands), so a retry after a lost reply is not refused as a
 * duplicate of what it made.
 */
const RequestId = z.string().min(1).max(128).optional();
const PeeringId = z.string().regex(/^pr-[0-9a-f]{12}$/, 'a peering id (pr- and 12 hex digits)');

export const RouterCommand = z.discriminatedUnion('op', [
  /** A project's static routes: the whole list (`replace`, PUT) or Neutron's `add` / `remove`. */
  z.object({ requestId: RequestId, op: z.literal('routes'), actor: Actor, tenant: Name, project: Name, mode: z.enum(['replace', 'add', 'remove']), routes: z.array(Route).max(1_000) }).strict(),
  /** Attach a project's router to a private network; `address` default: the first free host. */
  z.object({ requestId: RequestId, op: z.literal('attach'), actor: Actor, tenant: Name, project: Name, network: Name, address: IpAddress.optional() }).strict(),
  z.object({ requestId: RequestId, op: z.literal('detach'), actor: Actor, tenant: Name, project: Name, network: Name }).strict(),
  /** From the requester's tenant; same-tenant peerings are accepted at once. */
  z.object({ requestId: RequestId, op: z.literal('peering.create'), actor: Actor, tenant: Name, project: Name, peer: PeeringSide, localConnectIP: z.string().max(64).optional() }).strict(),
  /** `tenant`: the tenant asking; only the accepter's tenant accepts. */
  z.object({ requestId: RequestId, op: z.literal('peering.accept'), actor: Actor, tenant: Name, id: PeeringId }).strict(),
  /** Either side's tenant may delete. */
  z.object({ requestId: RequestId, op: z.literal('peering.delete'), actor: Actor, tenant: Name, id: PeeringId }).strict(),
  z.object({ requestId: RequestId, op: z.literal('network.put'), actor: Actor, spec: PrivateNetworkSpec }).strict(),
  z.object({ requestId: RequestId, op: z.literal('network.delete'), actor: Actor, name: Name }).strict(),
]);
export type RouterCommand = z.infer<typeof RouterCommand>;

/** Not a refusal: the router could not answer (no writer within the bound, or a bug). Nothing was decided. */
export const RouterFailureReason = z.enum(['invalid-request', 'unavailable', 'internal']);
export type RouterFailureReason = z.infer<typeof RouterFailureReason>;

export const RouterReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), routes: ProjectRoutesRecord.optional(), peering: PeeringRecord.optional(), network: PrivateNetworkRecord.optional() }),
  z.object({ ok: z.literal(false), error: z.object({ reason: z.union([RouterErrorReason, RouterFailureReason]), message: z.string(), index: z.number().int().optional() }) }),
]);
export type RouterReply = z.infer<typeof RouterReply>;

/** The HTTP status of a refusal: 404 for what the caller cannot see, 409 for a state conflict, 422 for the rest. */
export function routerHttpStatus(reason: RouterErrorReason | RouterFailureReason): number {
  switch (reason) {
    case 'unknown-project':
    case 'unknown-peering':
    case 'unknown-private-network':
      return 404;
    case 'duplicate-peering':
    case 'private-network-in-use':
    case 'not-acceptable':
    case 'project-not-ready':
      return 409;
    case 'invalid-request':
      return 400;
    case 'unavailable':
      return 503;
    case 'internal':
      return 500;
    default:
      return 422;
  }
}

// --- What the Linux agents report ---------------------------------------------------------------

/** Bucket of the agents' reports, key the agent's id (its node). */
export const routerAgentBucket = 'router-agent-status';

/** One gateway agent's last apply: what is programmed there, and what failed. Rewritten every apply and resync (a heartbeat). */
export const RouterAgentStatus = z.object({
  v: z.literal(1),
  agent: z.string(),
  /** Peerings whose link and routes are in place on both routers here. */
  peerings: z.array(z.string()),
  /** Projects whose router namespace is as planned. */
  routers: z.array(z.string()),
  /** Router namespaces not as planned, with why. */
  failed: z.array(z.object({ project: z.string(), message: z.string() })),
  appliedAt: z.string(),
});
export type RouterAgentStatus = z.infer<typeof RouterAgentStatus>;

/** A peering's id: `pr-` and 12 hex digits. */
export const isPeeringId = (id: string) => PeeringId.safeParse(id).success;

/** `evt.route.changed`: a project's routes or attachments changed. */
export const RouteEvent = z.object({ v: z.literal(1), tenant: Name, project: Name, routes: z.number().int(), attachments: z.array(Name), actor: z.string() });
export type RouteEvent = z.infer<typeof RouteEvent>;

/** `evt.peering.*`: a peering requested, accepted, changing state or deleted. */
export const PeeringEvent = z.object({ v: z.literal(1), id: z.string(), requester: PeeringSide, accepter: PeeringSide, state: PeeringState, reason: z.string().optional(), actor: z.string() });
export type PeeringEvent = z.infer<typeof PeeringEvent>;
