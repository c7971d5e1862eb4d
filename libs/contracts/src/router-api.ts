import { z } from 'zod';
import { IpAddress } from './addresses';
import { Project } from './api';
import { Name } from './ipam';
import { listOf } from './paging';
import { PeeringCondition, PeeringSide, PeeringState, PrivateNetworkSpec, Route, type RouterErrorReason } from './router';

// The api's views of the router's records (services/api): what tenants and admins read about
// static routes, private networks and peerings. The records themselves, the commands and the
// refusal reasons are the router's (./router.ts); the api only reads the records and sends the
// commands.

/** A peering's id in a path: `pr-` and 12 hex digits (anything else names nothing: 404). */
export const PeeringId = z.string().regex(/^pr-[0-9a-f]{12}$/, 'a peering id (pr- and 12 hex digits)');

/** A private network attached to a project's router, with the router's own address on it. */
export const Attachment = z.object({ network: Name, address: z.string() });
export type Attachment = z.infer<typeof Attachment>;

/** `GET|PUT /v1/projects/{project}/routes`, `…/routes:add|remove`, attachments: the project's routing. */
export const ProjectRoutes = z.object({
  routes: z.array(Route),
  attachments: z.array(Attachment),
});
export type ProjectRoutes = z.infer<typeof ProjectRoutes>;

/** `PUT /v1/projects/{project}/attachments/{network}`: the router's address on the network (default: the first free host). */
export const AttachRequest = z.object({ address: IpAddress.optional() }).strict();
export type AttachRequest = z.infer<typeof AttachRequest>;

/** A private network as a tenant it admits sees it (not the list of tenants). */
export const TenantPrivateNetwork = z.object({
  name: Name,
  cidr: z.string(),
  gateway: z.string(),
  description: z.string().optional(),
});
export type TenantPrivateNetwork = z.infer<typeof TenantPrivateNetwork>;
export const TenantPrivateNetworkList = z.object({ items: z.array(TenantPrivateNetwork) });
export type TenantPrivateNetworkList = z.infer<typeof TenantPrivateNetworkList>;

/** A private network as the admin sees it. */
export const PrivateNetwork = TenantPrivateNetwork.extend({ tenants: z.array(Name) });
export type PrivateNetwork = z.infer<typeof PrivateNetwork>;
export const PrivateNetworkList = z.object({ items: z.array(PrivateNetwork) });
export type PrivateNetworkList = z.infer<typeof PrivateNetworkList>;

/** `PUT /admin/private-networks/{name}`: the spec, its name in the path. */
export const PutPrivateNetworkRequest = PrivateNetworkSpec.omit({ name: true }).strict();
export type PutPrivateNetworkRequest = z.infer<typeof PutPrivateNetworkRequest>;

/** A peering as either side's tenant sees it. */
export const Peering = z.object({
  id: z.string(),
  requester: PeeringSide,
  accepter: PeeringSide,
  state: PeeringState,
  /** Once accepted: the link network and each side's `address/prefix` on it. */
  link: z.object({ cidr: z.string(), requester: z.string(), accepter: z.string() }).optional(),
  conditions: z.array(PeeringCondition),
  createdAt: z.string(),
  createdBy: z.string(),
  acceptedAt: z.string().optional(),
  acceptedBy: z.string().optional(),
});
export type Peering = z.infer<typeof Peering>;
export const PeeringList = listOf(Peering);
export type PeeringList = z.infer<typeof PeeringList>;

/** A project's network as `GET /v1/projects/{project}` shows it: counts and names, the details at their own routes. */
export const ProjectNetwork = z.object({
  /** How many static routes (`GET …/routes` lists them). */
  routes: z.number().int(),
  attachments: z.array(Attachment),
  /** `peer` is `tenant/project`. */
  peerings: z.array(z.object({ id: z.string(), peer: z.string(), state: PeeringState })),
});
export type ProjectNetwork = z.infer<typeof ProjectNetwork>;

/** `GET /v1/projects/{project}`: the project with its network. */
export const ProjectDetail = Project.extend({ network: ProjectNetwork });
export type ProjectDetail = z.infer<typeof ProjectDetail>;

/**
 * The router's refusals each command can answer (its `code` through the API; the status is
 * `routerHttpStatus`). What the OpenAPI document lists per operation.
 */
const routeReasons = [
  'unknown-project',
  'project-not-ready',
  'invalid-route',
  'ipv6-unsupported',
  'default-route',
  'overlaps-own-cidr',
  'overlaps-connected',
  'overlaps-peer',
  'reserved-range',
  'nexthop-not-connected',
  'nexthop-on-peer-link',
  'invalid-nexthop',
  'conflicting-route',
  'route-quota',
] as const satisfies readonly RouterErrorReason[];

const peeringReasons = [
  'unknown-project',
  'project-not-ready',
  'self-peering',
  'duplicate-peering',
  'ipv6-unsupported',
  'overlaps-peer',
  'peering-quota',
  'invalid-link-address',
  'link-pool-exhausted',
] as const satisfies readonly RouterErrorReason[];

export const routerReasonsOf = {
  routes: routeReasons,
  attach: [
    'unknown-project',
    'project-not-ready',
    'unknown-private-network',
    'private-network-not-allowed',
    'overlaps-own-cidr',
    'overlaps-connected',
    'overlaps-peer',
    'invalid-attachment-address',
    'private-network-full',
  ],
  detach: ['unknown-project', 'unknown-private-network', 'private-network-in-use'],
  'peering.create': peeringReasons,
  'peering.accept': ['unknown-peering', 'not-acceptable', ...peeringReasons],
  'peering.delete': ['unknown-peering'],
  'network.put': ['invalid-private-network', 'ipv6-unsupported', 'reserved-range', 'private-network-in-use'],
  'network.delete': ['unknown-private-network', 'private-network-in-use'],
} as const satisfies Record<string, readonly RouterErrorReason[]>;
