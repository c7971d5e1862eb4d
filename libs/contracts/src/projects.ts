import { z } from 'zod';
import { Name } from './ipam';

export const projectSubjects = {
  created: 'evt.project.created',
  deleteRequested: 'evt.project.delete-requested',
  provisioned: 'evt.project.provisioned',
  failed: 'evt.project.failed',
  deleted: 'evt.project.deleted',
} as const;

export const projectBuckets = {
  tenants: 'tenants',
  tokens: 'tenant-tokens',
  projects: 'projects',
  status: 'project-status',
  vclusters: 'vclusters',
  idempotency: 'idempotency-keys',
} as const;

/** `<tenant>.<project>`: the key of a project in every bucket, and the provisioner's work-queue key. */
export const projectKey = (tenant: string, project: string) => `${tenant}.${project}`;

const isName = (token: string): boolean => Name.safeParse(token).success;

/** The tenant and project of a project key; undefined unless it is `<tenant>.<project>`, both DNS-1123 labels. */
export function parseProjectKey(key: string): { tenant: string; project: string } | undefined {
  const tokens = key.split('.');
  if (tokens.length !== 2 || !tokens.every(isName)) return undefined;
  const [tenant, project] = tokens as [string, string];
  return { tenant, project };
}

/**
 * The key of the project a record belongs to, from the record's key `<tenant>.<project>.<…>`
 * (exposures, mappings, grants by their exporter); undefined when the key starts with no project.
 */
export function parentProjectKey(key: string): string | undefined {
  const tokens = key.split('.');
  if (tokens.length < 3 || tokens.some((t) => t === '')) return undefined;
  const parent = tokens.slice(0, 2).join('.');
  return parseProjectKey(parent) ? parent : undefined;
}

export const EgressNetworkType = z.enum(['cloud', 'public']);
export type EgressNetworkType = z.infer<typeof EgressNetworkType>;

// --- Tenants ---------------------------------------------------------------------------------

/** Pool name -> addresses. The keys are pool names, so no key can be `__proto__` or `constructor`. */
export const AddressesPerPool = z.record(Name, z.number().int().min(0));

export const Quotas = z
  .object({
    maxProjects: z.number().int().min(0).max(100_000).default(50),
    /** Addresses a tenant may hold per pool (a /24 counts 256), keyed by pool name. */
    maxAddressesPerPool: AddressesPerPool.default({}),
  })
  .strict();
export type Quotas = z.infer<typeof Quotas>;

export const TenantRecord = z.object({
  v: z.literal(1),
  name: Name,
  displayName: z.string().max(256).optional(),
  uid: z.string(),
  createdAt: z.string(),
  quotas: Quotas,
  /** Ingress host names this tenant may claim must end with one of these (empty: any). */
  hostnameSuffixes: z.array(z.string()).default([]),
  /** Pool project CIDRs come from (default: the install's default project pool). */
  projectPool: Name.optional(),
  /** Host namespaces (besides each project's own) this tenant's projects may map Services from (default: none). */
  importNamespaces: z.array(z.string()).default([]),
});
export type TenantRecord = z.infer<typeof TenantRecord>;

export const TokenRecord = z.object({
  v: z.literal(1),
  id: z.string(),
  tenant: Name,
  name: z.string().max(128),
  createdAt: z.string(),
});
export type TokenRecord = z.infer<typeof TokenRecord>;

// --- Projects --------------------------------------------------------------------------------

export const ProjectSpec = z
  .object({
    cidr: z.string().optional(),
    prefixLength: z.number().int().min(8).max(128).optional(),
    egressNetworkType: EgressNetworkType,
  })
  .strict();
export type ProjectSpec = z.infer<typeof ProjectSpec>;

/** Desired state, written by the api. */
export const ProjectRecord = z.object({
  v: z.literal(1),
  tenant: Name,
  name: Name,
  uid: z.string(),
  generation: z.number().int().min(1),
  createdAt: z.string(),
  spec: ProjectSpec,
  deletionRequestedAt: z.string().optional(),
});
export type ProjectRecord = z.infer<typeof ProjectRecord>;

export const ConditionType = z.enum(['CidrAllocated', 'NamespaceReady', 'EgressReady', 'Ready']);
export const Condition = z.object({
  type: ConditionType,
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string(),
});
export type Condition = z.infer<typeof Condition>;

/** Observed state, written by the provisioner. */
export const ProjectStatus = z.object({
  v: z.literal(1),
  uid: z.string(),
  observedGeneration: z.number().int(),
  phase: z.enum(['Pending', 'Ready', 'Failed', 'Deleting']),
  namespace: z.string().optional(),
  cidr: z.string().optional(),
  egressIp: z.string().optional(),
  conditions: z.array(Condition),
});
export type ProjectStatus = z.infer<typeof ProjectStatus>;

export const ProjectEvent = z.object({
  v: z.literal(1),
  tenant: Name,
  project: Name,
  uid: z.string(),
  generation: z.number().int(),
  actor: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type ProjectEvent = z.infer<typeof ProjectEvent>;

// --- Virtual clusters ------------------------------------------------------------------------

/** A secret sealed with AES-256-GCM (libs/runtime `sealSecret`): what is stored for an inline kubeconfig. */
export const SealedSecret = z.object({ alg: z.literal('aes-256-gcm'), iv: z.string(), tag: z.string(), data: z.string() });
export type SealedSecret = z.infer<typeof SealedSecret>;

export const SecretRef = z.object({ name: Name, key: z.string().min(1).max(253).default('config') }).strict();
export type SecretRef = z.infer<typeof SecretRef>;

export const VClusterOptions = z
  .object({
    /** Name used in host object names (`NAME-x-NAMESPACE-x-VCLUSTER`); default the project name. */
    name: Name.optional(),
    syncIngresses: z.boolean().default(false),
    syncNetworkPolicies: z.boolean().default(false),
    syncIngressClasses: z.boolean().default(false),
  })
  .strict();
export type VClusterOptions = z.infer<typeof VClusterOptions>;

/** A project's virtual cluster: its kubeconfig sealed inline, or a Secret in the project's host namespace. */
export const VClusterRecord = z.object({
  v: z.literal(1),
  tenant: Name,
  project: Name,
  projectUid: z.string(),
  generation: z.number().int().min(1),
  registeredAt: z.string(),
  kubeconfig: SealedSecret.optional(),
  secretRef: SecretRef.optional(),
  options: VClusterOptions,
});
export type VClusterRecord = z.infer<typeof VClusterRecord>;
