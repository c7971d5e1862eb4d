import { z } from 'zod';
import { Name } from './ipam';
import { EgressNetworkType, parseProjectKey, projectKey } from './projects';
import { listOf } from './paging';
import { dnsLabel } from './text';

// Cross-project access (Kube-DC model: projects meet only through external IPs). An exporting
// project exposes a Service on an EIP and grants consumer projects access; each accepted grant
// gives the consumer a `<service>-ext` entry. Records in KV, status, API shapes and facts.

export const exposureBuckets = {
  /** Key `<tenant>.<project>.<exposure>`: desired exposures, written by the api. */
  exposures: 'exposures',
  /** Key `<exporterTenant>.<exporterProject>.<exposure>.<consumerTenant>.<consumerProject>`. */
  grants: 'exposure-grants',
  /** Key as `exposures`: what the exposer observed and wrote. */
  status: 'exposure-status',
} as const;

export const exposureSubjects = {
  created: 'evt.exposure.created',
  deleted: 'evt.exposure.deleted',
  grantAdded: 'evt.grant.added',
  grantAccepted: 'evt.grant.accepted',
  grantRevoked: 'evt.grant.revoked',
  grantDeclined: 'evt.grant.declined',
} as const;

export const exposureKey = (tenant: string, project: string, exposure: string) => `${tenant}.${project}.${exposure}`;

/** The names in an exposure key; undefined unless it is `<tenant>.<project>.<exposure>`, all valid names. */
export function parseExposureKey(key: string): { tenant: string; project: string; name: string } | undefined {
  const tokens = key.split('.');
  if (tokens.length !== 3) return undefined;
  const [tenant, project, name] = tokens as [string, string, string];
  if (!parseProjectKey(projectKey(tenant, project)) || !ExposureName.safeParse(name).success) return undefined;
  return { tenant, project, name };
}
export const grantKey = (exporter: { tenant: string; project: string }, exposure: string, consumer: { tenant: string; project: string }) =>
  `${exporter.tenant}.${exporter.project}.${exposure}.${consumer.tenant}.${consumer.project}`;

/** Load balancer implementations netbroker can ask for a specific address (REFERENCE.md §6). One per install. */
export const LbProvider = z.enum(['plain', 'metallb', 'cilium', 'kube-vip', 'openstack', 'ovhcloud', 'kube-dc']);
export type LbProvider = z.infer<typeof LbProvider>;

export const ExposedPort = z
  .object({
    port: z.number().int().min(1).max(65_535),
    protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
  })
  .strict();
export type ExposedPort = z.infer<typeof ExposedPort>;

/** `project` (the same tenant) or `tenant/project` (any tenant); both names at most 61 characters. */
export const ProjectRef = z
  .string()
  .regex(new RegExp(`^(?:${dnsLabel(61)}/)?${dnsLabel(61)}$`), 'must be "project" or "tenant/project" (DNS-1123 labels of at most 61 characters)');
export type ProjectRef = z.infer<typeof ProjectRef>;

/** The Service to expose: `namespace/name` in the project's virtual cluster, or a bare name in its host namespace. */
export const ServiceRef = z
  .string()
  .regex(new RegExp(`^(?:${dnsLabel(63)}/)?${dnsLabel(63)}$`), 'must be "namespace/name" (virtual cluster) or "name" (host namespace), DNS-1123 labels');

/** An exposure's name: at most 40 characters, so that the names derived from it fit. */
export const ExposureName = Name.max(40, 'at most 40 characters, so that the names derived from it fit');
/** A ServiceRef whose name (the last segment) can be an exposure name: what `service` must be when `name` is absent. */
export const serviceRefWithExposureName = new RegExp(`^(?:${dnsLabel(63)}/)?${dnsLabel(40)}$`);

export const CreateExposureRequest = z
  .object({
    /** Unique in the project; default the Service's name (then at most 40 characters). */
    name: ExposureName.optional(),
    service: ServiceRef,
    /** A port and protocol listed twice count once. */
    ports: z.array(ExposedPort).min(1).max(32),
    /** The network the EIP comes from; default the project's egress network type. */
    pool: EgressNetworkType.optional(),
    /** Share the EIP of this exposure of the same project (its ports must not collide). */
    shareWith: Name.optional(),
    /** Name of the consumers' entries; default `<name>-ext`. */
    entryName: Name.optional(),
    /** `project` or `tenant/project`; a project listed twice counts once. */
    grants: z.array(ProjectRef).max(100).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.name === undefined && !serviceRefWithExposureName.test(body.service)) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'required when the Service name is longer than 40 characters' });
    }
  })
  // The refinement above, for the OpenAPI document.
  .meta({ anyOf: [{ required: ['name'] }, { properties: { service: { pattern: serviceRefWithExposureName.source } } }] });
export type CreateExposureRequest = z.infer<typeof CreateExposureRequest>;

export const AddGrantRequest = z.object({ project: ProjectRef }).strict();
export type AddGrantRequest = z.infer<typeof AddGrantRequest>;

/** Desired state, written by the api (KV `exposures`). */
export const ExposureRecord = z.object({
  v: z.literal(1),
  tenant: Name,
  project: Name,
  projectUid: z.string(),
  name: Name,
  service: z.string(),
  ports: z.array(ExposedPort.required()),
  pool: EgressNetworkType,
  /** Exposures of a project with the same key share one EIP (the first exposure's name). */
  eipKey: Name,
  entryName: Name,
  createdAt: z.string(),
  createdBy: z.string(),
});
export type ExposureRecord = z.infer<typeof ExposureRecord>;

export const GrantState = z.enum(['pending', 'accepted']);
export type GrantState = z.infer<typeof GrantState>;

/** One consumer's access to one exposure (KV `exposure-grants`). Same-tenant grants are accepted at once. */
export const GrantRecord = z.object({
  v: z.literal(1),
  exporter: z.object({ tenant: Name, project: Name, uid: z.string() }),
  exposure: Name,
  consumer: z.object({ tenant: Name, project: Name, uid: z.string().optional() }),
  state: GrantState,
  grantedBy: z.string(),
  grantedAt: z.string(),
  acceptedBy: z.string().optional(),
  acceptedAt: z.string().optional(),
});
export type GrantRecord = z.infer<typeof GrantRecord>;

export const ConsumerStatus = z.object({
  /** `tenant/project`. */
  project: z.string(),
  ready: z.boolean(),
  reason: z.string(),
  message: z.string(),
});
export type ConsumerStatus = z.infer<typeof ConsumerStatus>;

/** Observed state, written by the exposer (KV `exposure-status`). */
export const ExposureStatus = z.object({
  v: z.literal(1),
  ready: z.boolean(),
  reason: z.string(),
  message: z.string(),
  /** The EIP allocated for the exposure. */
  eip: z.string().optional(),
  /** What the load balancer reports (`status.loadBalancer.ingress`). */
  address: z.string().optional(),
  loadBalancerService: z.string().optional(),
  consumers: z.array(ConsumerStatus),
  /** The NetworkPolicy's peers (ipBlocks) now: exactly the accepted consumers' egress EIPs and CIDRs. */
  policyPeers: z.array(z.string()),
  /** `<tenant>.<project>` of consumers whose virtual cluster holds an entry: what a cleanup must visit. */
  virtualEntries: z.array(z.string()).default([]),
  observedAt: z.string(),
});
export type ExposureStatus = z.infer<typeof ExposureStatus>;

// --- API resources ---------------------------------------------------------------------------

export const GrantView = z.object({
  /** `tenant/project`. */
  project: z.string(),
  state: GrantState,
  grantedAt: z.string(),
  acceptedAt: z.string().optional(),
});
export type GrantView = z.infer<typeof GrantView>;

export const ExposureResourceStatus = ExposureStatus.omit({ v: true, virtualEntries: true, observedAt: true }).extend({ observedAt: z.string().optional() });

export const Exposure = z.object({
  name: z.string(),
  service: z.string(),
  ports: z.array(ExposedPort.required()),
  pool: EgressNetworkType,
  /** Exposures sharing this exposure's EIP have the same key. */
  eipKey: z.string(),
  entryName: z.string(),
  createdAt: z.string(),
  grants: z.array(GrantView),
  status: ExposureResourceStatus,
});
export type Exposure = z.infer<typeof Exposure>;
export const ExposureList = listOf(Exposure);
export type ExposureList = z.infer<typeof ExposureList>;

/** What a consumer project is offered or has accepted. */
export const Import = z.object({
  /** `tenant/project` of the exporter. */
  exporter: z.string(),
  exposure: z.string(),
  state: GrantState,
  /** The Service name the consumer gets (host namespace, and its virtual cluster). */
  entryName: z.string(),
  ports: z.array(ExposedPort.required()),
  address: z.string().optional(),
  ready: z.boolean(),
  reason: z.string(),
  message: z.string(),
  grantedAt: z.string(),
  acceptedAt: z.string().optional(),
});
export type Import = z.infer<typeof Import>;
export const ImportList = listOf(Import);
export type ImportList = z.infer<typeof ImportList>;

/** Audit facts: every change of an exposure or grant, with who did it. */
export const ExposureEvent = z.object({
  v: z.literal(1),
  exporter: z.object({ tenant: Name, project: Name, uid: z.string() }),
  exposure: Name,
  consumer: z.object({ tenant: Name, project: Name }).optional(),
  actor: z.string(),
  reason: z.string().optional(),
});
export type ExposureEvent = z.infer<typeof ExposureEvent>;
