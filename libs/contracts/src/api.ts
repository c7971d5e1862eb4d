import { z } from 'zod';
import { listOf } from './paging';
import { Cidr, IpAddress } from './addresses';
import { AddressRange, IpamErrorReason, Name, PoolKind, poolMapCells, poolMapLimits, PoolSpec, PoolStatus } from './ipam';
import { AddressesPerPool, EgressNetworkType, ProjectSpec, ProjectStatus, Quotas, SealedSecret, SecretRef, VClusterOptions } from './projects';
import { RouterErrorReason, routerHttpStatus } from './router';
import { VClusterStatus } from './syncer';
import { text } from './text';

// The HTTP API of services/api: request bodies, resources, problems and the facts it publishes.
// The OpenAPI document is generated from these schemas; nothing here is written twice.

// --- Problems (RFC 9457) ---------------------------------------------------------------------

/** Every `code` a problem+json answer of the API can carry. A closed set: clients switch on it. */
export const ProblemCode = z.enum([
  // request shape
  'malformed-json',
  'bad-request',
  'invalid-body',
  'invalid-parameter',
  'payload-too-large',
  'unsupported-media-type',
  'method-not-allowed',
  'uri-too-long',
  // who may do what
  'unauthenticated',
  'forbidden',
  'rate-limited',
  'quota-exceeded',
  // resources
  'not-found',
  'unknown-reference',
  'already-exists',
  'conflict',
  'name-too-long',
  'tenant-not-empty',
  'project-deleting',
  'invalid-kubeconfig',
  'idempotency-key-reused',
  'idempotency-key-in-progress',
  // service mappings
  'invalid-mapping',
  'import-not-allowed',
  // cross-project exposures
  'port-collision',
  'pool-mismatch',
  'self-grant',
  // address space: the ipam service's refusals, passed through (it never answers not-allocated here;
  // reply-too-large is its failure, not a refusal)
  ...IpamErrorReason.exclude(['not-allocated', 'internal', 'reply-too-large']).options,
  // routes, private networks and peerings: the router's refusals, passed through (status: routerHttpStatus)
  ...RouterErrorReason.options,
  // the server
  'dependency-unavailable',
  'ipam-unavailable',
  /** The router did not answer within the api's bound (ROUTER_TIMEOUT_MS): nothing was decided. */
  'unavailable',
  'internal',
]);
export type ProblemCode = z.infer<typeof ProblemCode>;

/**
 * The HTTP status of each code: one place, used by the server and by the OpenAPI document.
 *
 * 422 is kept for requests that can never succeed as written, and the OpenAPI document states
 * why (the schemas, plus the embedded documents named on their operations). A request the
 * document accepts but the current state refuses — the pool's family, bounds and reserved ranges,
 * the tenant's name length, an Idempotency-Key bound to another request — is 409 (403 for quotas,
 * 404 for a named object that does not exist).
 */
export const problemStatus: Record<ProblemCode, number> = {
  'malformed-json': 400,
  'bad-request': 400,
  'invalid-body': 422,
  'invalid-parameter': 422,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'method-not-allowed': 405,
  'uri-too-long': 414,
  unauthenticated: 401,
  forbidden: 403,
  'rate-limited': 429,
  'quota-exceeded': 403,
  'not-found': 404,
  // The body names an object that does not exist (the target of the request does): 409, not 404.
  'unknown-reference': 409,
  'already-exists': 409,
  conflict: 409,
  // `<tenant>-<project>` over 63 characters: depends on the tenant's name, not on the body alone.
  'name-too-long': 409,
  'tenant-not-empty': 409,
  'project-deleting': 409,
  'invalid-kubeconfig': 422,
  // The key is bound to an earlier request (the Idempotency-Key draft suggests 422; the refusal
  // depends on that earlier request, not on this one, hence 409).
  'idempotency-key-reused': 409,
  'idempotency-key-in-progress': 409,
  'invalid-mapping': 422,
  'import-not-allowed': 403,
  'port-collision': 409,
  'pool-mismatch': 409,
  'self-grant': 409,
  'invalid-cidr': 422,
  // The block does not fit the pool as it is configured now (an admin may change the pool).
  'wrong-family': 409,
  'prefix-too-large': 409,
  'prefix-too-small': 409,
  'outside-pool': 409,
  'overlaps-reserved': 409,
  // The block is taken *now*: the state conflicts, the same request may succeed later.
  'overlaps-allocated': 409,
  exhausted: 409,
  'unknown-pool': 409,
  'pool-in-use': 409,
  'invalid-request': 422,
  'dependency-unavailable': 503,
  // The address manager gave no answer in time, or none listens (with Retry-After); when it
  // fails inside, the answer is 500 internal: neither is the tenant's doing.
  'ipam-unavailable': 503,
  // The router's refusals: the router's table (404 what the caller cannot see, 409 a state
  // conflict, 422 the rest).
  ...(Object.fromEntries(RouterErrorReason.options.map((r) => [r, routerHttpStatus(r)])) as Record<RouterErrorReason, number>),
  unavailable: 503,
  internal: 500,
};

export const problemTypeBase = 'https://netbroker.dev/problems/';
export const problemType = (code: ProblemCode) => `${problemTypeBase}${code}`;

export const FieldError = z.object({
  /** Where: `name`, `quotas.maxProjects`, `query.limit`, `(root)` for the body as a whole. */
  path: z.string(),
  message: z.string(),
  /** A machine-readable reason where a route gives one (`forbidden-field`, `server-not-allowed`…). */
  reason: z.string().optional(),
});
export type FieldError = z.infer<typeof FieldError>;

/** One problem+json shape for every error the API answers. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: ProblemCode,
  detail: z.string(),
  errors: z.array(FieldError).optional(),
  /** Only on `internal`: the id the server logged the error under. */
  correlationId: z.string().optional(),
});
export type Problem = z.infer<typeof Problem>;

// --- Admin: tenants --------------------------------------------------------------------------

/** A tenant name leaves room for `-<project>` in a 63-character host namespace. */
export const TenantName = Name.max(61, 'at most 61 characters, so that <tenant>-<project> fits in 63');
/** A project name: `<tenant>-<project>` is a host namespace (63), so at most 61 with a 1-character tenant. */
export const ProjectName = Name.max(61, 'at most 61 characters, and <tenant>-<project> at most 63');

/** `Idempotency-Key` (every POST): 1-255 visible ASCII characters. */
export const IdempotencyKey = z.string().regex(/^[!-~]{1,255}$/, 'must be 1-255 visible ASCII characters');

const HostnameSuffix = z
  .string()
  .min(1)
  .max(253)
  .regex(/^\.?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a lower-case DNS name, e.g. apps.example.com');

export const CreateTenantRequest = z
  .object({
    name: TenantName,
    displayName: text(1, 256).optional(),
    quotas: Quotas.optional(),
    hostnameSuffixes: z.array(HostnameSuffix).max(100).optional(),
    projectPool: Name.optional(),
  })
  .strict();
export type CreateTenantRequest = z.infer<typeof CreateTenantRequest>;

/** A merge patch: absent fields stay, `null` clears an optional field, `quotas` merge field by field. */
export const UpdateTenantRequest = z
  .object({
    displayName: text(1, 256).nullable().optional(),
    quotas: z
      .object({
        maxProjects: z.number().int().min(0).max(100_000).optional(),
        maxAddressesPerPool: AddressesPerPool.optional(),
      })
      .strict()
      .optional(),
    hostnameSuffixes: z.array(HostnameSuffix).max(100).optional(),
    projectPool: Name.nullable().optional(),
    /** Host namespaces (besides each project's own) the tenant's projects may map Services from. */
    importNamespaces: z.array(Name).max(100).optional(),
  })
  .strict();
export type UpdateTenantRequest = z.infer<typeof UpdateTenantRequest>;

export const Tenant = z.object({
  name: Name,
  displayName: z.string().optional(),
  uid: z.string(),
  createdAt: z.string(),
  quotas: Quotas,
  hostnameSuffixes: z.array(z.string()),
  projectPool: Name.optional(),
  importNamespaces: z.array(z.string()),
});
export type Tenant = z.infer<typeof Tenant>;

export const TenantList = listOf(Tenant);
export type TenantList = z.infer<typeof TenantList>;

// --- Admin: tenant tokens --------------------------------------------------------------------

export const CreateTokenRequest = z.object({ name: text(1, 128) }).strict();

/** What token ids look like (`tok_` + 16 hex digits). */
export const TokenId = z.string().regex(/^tok_[0-9a-f]{16}$/, 'must be a token id, tok_ and 16 hex digits');
export type CreateTokenRequest = z.infer<typeof CreateTokenRequest>;

export const TokenInfo = z.object({ id: z.string(), name: z.string(), createdAt: z.string() });
export type TokenInfo = z.infer<typeof TokenInfo>;

/** The only answer that ever carries the token: it is stored as a SHA-256 hash. */
export const CreatedToken = TokenInfo.extend({ token: z.string() });
export type CreatedToken = z.infer<typeof CreatedToken>;

export const TokenList = listOf(TokenInfo);
export type TokenList = z.infer<typeof TokenList>;

// --- Admin: address pools (proxied to the ipam service) --------------------------------------

/** An inclusive address range as the API accepts it: two addresses. */
export const AddressRangeBody = z.object({ start: IpAddress, end: IpAddress }).strict();

/**
 * A pool spec without its name (the name is in the path): every address checked for syntax, at
 * least one prefix or range. The rules across fields are the address manager's (422
 * `invalid-request`): one family per pool, a range ends at or after its start, and
 * minPrefixLength ≤ defaultPrefixLength ≤ maxPrefixLength ≤ 32 for IPv4.
 */
export const PutPoolBody = PoolSpec.omit({ name: true })
  .extend({
    prefixes: z.array(Cidr).max(1_000).default([]),
    ranges: z.array(AddressRangeBody).max(1_000).default([]),
    reserved: z.array(z.union([Cidr, AddressRangeBody])).max(1_000).default([]),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.prefixes.length === 0 && body.ranges.length === 0) ctx.addIssue({ code: 'custom', path: ['prefixes'], message: 'give at least one prefix or range' });
  })
  .meta({
    description:
      'At least one prefix or range. Across fields the address manager decides (422 invalid-request): one family per pool, a range ends at or after its start, minPrefixLength ≤ defaultPrefixLength ≤ maxPrefixLength ≤ 32 for IPv4.',
    // The refinement above, for the OpenAPI document.
    anyOf: [
      { required: ['prefixes'], properties: { prefixes: { minItems: 1 } } },
      { required: ['ranges'], properties: { ranges: { minItems: 1 } } },
    ],
  });
export type PutPoolBody = z.infer<typeof PutPoolBody>;

export const PoolList = z.object({ items: z.array(PoolStatus) });
export type PoolList = z.infer<typeof PoolList>;

// --- Address pools as a tenant sees them, and the map of a pool ---------------------------------

/**
 * A pool a tenant may look at (its project pool, the egress pools, any pool it holds an address
 * in): what it is and how full, in addresses (decimal strings: IPv6 is big). `own` is the
 * tenant's part of `used`; nothing names another tenant.
 */
export const TenantPool = z.object({
  name: Name,
  kind: PoolKind,
  family: z.union([z.literal(4), z.literal(6)]),
  prefixes: z.array(z.string()),
  ranges: z.array(AddressRange),
  utilisation: z.object({ total: z.string(), used: z.string(), own: z.string(), reserved: z.string(), free: z.string() }),
});
export type TenantPool = z.infer<typeof TenantPool>;

export const TenantPoolList = z.object({ items: z.array(TenantPool) });
export type TenantPoolList = z.infer<typeof TenantPoolList>;

/** The query of a pool's map: which window, in how many cells, listing how many blocks. */
export const PoolMapQuery = z
  .object({
    cidr: Cidr.optional().meta({
      description: "The window: a CIDR of the pool's family that overlaps the pool (else 422 invalid-parameter). Default: the smallest prefix covering the pool.",
    }),
    cells: z.coerce
      .number()
      .pipe(z.literal(poolMapCells))
      .optional()
      .meta({ type: 'integer', enum: [...poolMapCells], description: 'Cells of the map, 4^j (default 4096); fewer when the window is smaller than that many addresses.' }),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(poolMapLimits.max)
      .optional()
      .meta({ description: `Blocks listed at most, largest first (default ${poolMapLimits.default}).` }),
  })
  .strict();
export type PoolMapQuery = z.infer<typeof PoolMapQuery>;

// --- Tenant: projects ------------------------------------------------------------------------

export const CreateProjectRequest = z
  .object({
    name: ProjectName,
    cidr: Cidr.optional(),
    prefixLength: ProjectSpec.shape.prefixLength,
    egressNetworkType: EgressNetworkType,
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.cidr !== undefined && body.prefixLength !== undefined) {
      for (const path of ['cidr', 'prefixLength']) ctx.addIssue({ code: 'custom', path: [path], message: 'give cidr or prefixLength, not both' });
    }
  })
  // The refinement above, for the OpenAPI document.
  .meta({ not: { required: ['cidr', 'prefixLength'] } });
export type CreateProjectRequest = z.infer<typeof CreateProjectRequest>;

/** What a project shows of its observed state (the provisioner's ProjectStatus record). */
export const ProjectResourceStatus = ProjectStatus.omit({ v: true, uid: true, observedGeneration: true }).extend({
  observedGeneration: z.number().int().optional(),
});
export type ProjectResourceStatus = z.infer<typeof ProjectResourceStatus>;

export const Project = z.object({
  name: Name,
  tenant: Name,
  uid: z.string(),
  generation: z.number().int(),
  createdAt: z.string(),
  deletionRequestedAt: z.string().optional(),
  spec: ProjectSpec,
  status: ProjectResourceStatus,
});
export type Project = z.infer<typeof Project>;

export const ProjectList = listOf(Project);
export type ProjectList = z.infer<typeof ProjectList>;

// --- Tenant: virtual cluster registration ----------------------------------------------------

export const RegisterVClusterRequest = z
  .object({
    /** A kubeconfig (YAML or JSON) with a current context and a server. Stored sealed, never shown again. */
    kubeconfig: z.string().min(1).optional(),
    /** A Secret in the project's host namespace holding the kubeconfig (`key`: a Secret data key, as Kubernetes spells them). */
    secretRef: SecretRef.extend({ key: z.string().regex(/^[-._a-zA-Z0-9]{1,253}$/, 'must be a Secret data key').default('config') }).optional(),
    options: VClusterOptions.optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.kubeconfig === undefined) === (body.secretRef === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of kubeconfig and secretRef' });
    }
  })
  // The refinement above, for the OpenAPI document.
  .meta({ oneOf: [{ required: ['kubeconfig'] }, { required: ['secretRef'] }] });
export type RegisterVClusterRequest = z.infer<typeof RegisterVClusterRequest>;

export const VCluster = z.object({
  project: Name,
  /** The name used in host object names: options.name, or the project name. */
  name: Name,
  /** `sealed` when an inline kubeconfig is stored; the kubeconfig itself is never returned. */
  kubeconfig: z.literal('sealed').optional(),
  secretRef: SecretRef.optional(),
  options: VClusterOptions,
  generation: z.number().int(),
  registeredAt: z.string(),
  /** What the syncer holding the registration observed; absent until one has looked. */
  status: VClusterStatus.optional(),
});
export type VCluster = z.infer<typeof VCluster>;

// --- Idempotency-Key records (KV `idempotency-keys`) -----------------------------------------

/** The first answer to a POST with an Idempotency-Key, replayed for 24 h. The body is sealed: it may hold a token. */
export const IdempotencyRecord = z.object({
  v: z.literal(1),
  requestHash: z.string(),
  state: z.enum(['pending', 'done']),
  createdAt: z.string(),
  status: z.number().int().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: SealedSecret.optional(),
});
export type IdempotencyRecord = z.infer<typeof IdempotencyRecord>;

// --- Facts -----------------------------------------------------------------------------------

export const tenantSubjects = { created: 'evt.tenant.created', deleted: 'evt.tenant.deleted' } as const;
export const vclusterSubjects = { registered: 'evt.vcluster.registered', deregistered: 'evt.vcluster.deregistered' } as const;

export const TenantEvent = z.object({ v: z.literal(1), tenant: Name, uid: z.string(), actor: z.string() });
export type TenantEvent = z.infer<typeof TenantEvent>;

export const VClusterEvent = z.object({
  v: z.literal(1),
  tenant: Name,
  project: Name,
  projectUid: z.string(),
  generation: z.number().int(),
  source: z.enum(['kubeconfig', 'secretRef']).optional(),
  actor: z.string(),
});
export type VClusterEvent = z.infer<typeof VClusterEvent>;
