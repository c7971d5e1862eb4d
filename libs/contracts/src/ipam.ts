import { z } from 'zod';

/** Why an address operation was refused. A closed set: clients switch on it. */
export const IpamErrorReason = z.enum([
  'exhausted',
  'overlaps-reserved',
  'overlaps-allocated',
  'outside-pool',
  'invalid-cidr',
  'wrong-family',
  'prefix-too-large',
  'prefix-too-small',
  'not-allocated',
  'unknown-pool',
  'invalid-request',
  'pool-in-use',
  /**
   * Not a refusal: the answer was larger than the connection's max payload, so the ipam sent this
   * instead (its log says how large). Ask for smaller pages (`limit`).
   */
  'reply-too-large',
  /** Not a refusal: the address manager failed on the request (its log says why); retrying may help. */
  'internal',
]);
export type IpamErrorReason = z.infer<typeof IpamErrorReason>;

/** Named sets of reserved ranges (REFERENCE.md §5, plus ranges that are never routable). */
export const PresetName = z.enum(['ovh-mks-free', 'ovh-mks-standard', 'non-routable']);
export type PresetName = z.infer<typeof PresetName>;

/** An inclusive address range with any alignment, e.g. 203.0.113.10 – 203.0.113.90. */
export const AddressRange = z.object({ start: z.string(), end: z.string() }).strict();
export type AddressRange = z.infer<typeof AddressRange>;

// --- Names -----------------------------------------------------------------------------------

export const ipamSubjects = {
  allocate: 'cmd.ipam.address.allocate',
  release: 'cmd.ipam.address.release',
  lookup: 'cmd.ipam.address.lookup',
  putPool: 'cmd.ipam.pool.put',
  deletePool: 'cmd.ipam.pool.delete',
  listPools: 'cmd.ipam.pool.list',
  poolMap: 'cmd.ipam.pool.map',
  allocated: 'evt.ipam.allocated',
  released: 'evt.ipam.released',
} as const;

/**
 * The subject only the holder of a pool's lease serves (queue group `ipam-holder`): every ipam
 * replica forwards `cmd.ipam.address.allocate` of the pool there. Pool names are DNS-1123 labels,
 * so one subject token.
 */
export const poolAllocateSubject = (pool: string): string => `cmd.ipam.pool.${pool}.allocate`;

export const ipamBuckets = { pools: 'ipam-pools', allocations: 'ipam-allocations' } as const;

/** DNS-1123 label: pool, tenant and project names. */
export const Name = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending alphanumeric');

// --- Records (KV) ----------------------------------------------------------------------------

/** `prefix` pools hand out blocks (project CIDRs, link subnets); `address` pools single addresses (EIPs). */
export const PoolKind = z.enum(['prefix', 'address']);

export const PoolSpec = z
  .object({
    name: Name,
    kind: PoolKind,
    /** CIDRs the pool hands out from; may be several, all one family. */
    prefixes: z.array(z.string()).default([]),
    /** Unaligned inclusive ranges that also belong to the pool (EIP pools). */
    ranges: z.array(AddressRange).default([]),
    /** Never handed out: CIDRs or unaligned ranges. Parts outside the pool are ignored. */
    reserved: z.array(z.union([z.string(), AddressRange])).default([]),
    /** Named reserved sets; only the entries of the pool's family apply. */
    presets: z.array(PresetName).default([]),
    /** Largest block that may be asked for (16: asking for a /8 is 'prefix-too-large'). */
    minPrefixLength: z.number().int().min(0).max(128).optional(),
    /** Smallest block that may be asked for (29: asking for a /30 is 'prefix-too-small'). */
    maxPrefixLength: z.number().int().min(0).max(128).optional(),
    /** Block handed out when none is asked for: 24 for IPv4 and 64 for IPv6 unless set. */
    defaultPrefixLength: z.number().int().min(0).max(128).optional(),
  })
  .strict();
export type PoolSpec = z.infer<typeof PoolSpec>;

export const PoolRecord = PoolSpec.extend({ v: z.literal(1) });
export type PoolRecord = z.infer<typeof PoolRecord>;

/** Who holds an allocation and what for (`cidr`, `egress`, `exposure:<id>`, `link:<peering>`…). */
export const Owner = z
  .object({
    tenant: z.string().min(1).max(63),
    project: z.string().min(1).max(63).optional(),
    purpose: z.string().min(1).max(128),
  })
  .strict();
export type Owner = z.infer<typeof Owner>;

export const Allocation = z.object({
  v: z.literal(1),
  pool: Name,
  cidr: z.string(),
  owner: Owner,
  requestId: z.string().min(1).max(128),
  allocatedAt: z.string(),
});
export type Allocation = z.infer<typeof Allocation>;

// --- Requests and replies --------------------------------------------------------------------

/** Why an operation was refused: a closed reason plus a sentence naming the offending value. */
export const IpamError = z.object({
  reason: IpamErrorReason,
  message: z.string(),
  /**
   * With reason `internal`: no ipam replica could take the request in time (none held the pool
   * within the failover bound). Not a refusal: asking again with the same request id may succeed,
   * and answers the same allocation if one was made. Optional, so a reader without it still reads
   * an `internal` failure.
   */
  unavailable: z.literal(true).optional(),
});
export type IpamError = z.infer<typeof IpamError>;

/**
 * A value, or why there is none: errors are values, bad input never throws. The address code
 * (libs/ipam, the ipam service) answers these, and every ipam reply has this shape.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; error: IpamError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = (reason: IpamErrorReason, message: string): { ok: false; error: IpamError } => ({ ok: false, error: { reason, message } });

/** No replica could take the request now (see IpamError.unavailable): not a refusal, retry later. */
export const unavailable = (message: string): { ok: false; error: IpamError } => ({ ok: false, error: { reason: 'internal', message, unavailable: true } });

/** The reply schema of an operation answering `value`: it parses to a `Result` (ipam.spec.ts checks each). */
const reply = <T extends z.ZodType>(value: T) =>
  z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), value }), z.object({ ok: z.literal(false), error: IpamError })]);

/**
 * Allocate from a pool: a block of `prefixLength` (pool default when absent), exactly `cidr`, or
 * for address pools one address. The same `requestId` always answers the same allocation.
 */
export const AllocateRequest = z
  .object({
    v: z.literal(1),
    requestId: z.string().min(1).max(128),
    pool: Name,
    owner: Owner,
    prefixLength: z.number().int().min(0).max(128).optional(),
    cidr: z.string().optional(),
    /** Only check: answer what would be allocated now, write nothing. */
    dryRun: z.boolean().optional(),
  })
  .strict();
export type AllocateRequest = z.infer<typeof AllocateRequest>;
export const AllocateReply = reply(Allocation);
export type AllocateReply = z.infer<typeof AllocateReply>;

/** Release one allocation (`pool` + `cidr`), or every allocation of an owner. Releasing twice is harmless. */
export const ReleaseRequest = z
  .object({
    v: z.literal(1),
    pool: Name.optional(),
    cidr: z.string().optional(),
    owner: Owner.partial({ purpose: true }).optional(),
  })
  .strict()
  .refine((r) => (r.pool !== undefined && r.cidr !== undefined) || r.owner !== undefined, 'give pool and cidr, or owner');
export type ReleaseRequest = z.infer<typeof ReleaseRequest>;
export const ReleaseReply = reply(z.object({ released: z.array(Allocation) }));
export type ReleaseReply = z.infer<typeof ReleaseReply>;

// --- Pages ----------------------------------------------------------------------------------------

/** Records per page when a list request gives no `limit`, and the most it may ask for. */
export const pageLimits = { default: 500, max: 1000 } as const;

/**
 * What a list request (`lookup`, `pool.list`) adds to ask for one page: at most `limit` records,
 * after the position `continue` encodes. Both optional: a request without them is the first page.
 */
export const PageRequest = {
  limit: z.number().int().min(1).max(pageLimits.max).optional(),
  /**
   * The `continue` of the previous page, as it came: opaque (base64url). It names a position, not a
   * record, so it stays valid when that record is released; one the ipam cannot read is refused
   * `invalid-request`.
   */
  continue: z.string().regex(/^[A-Za-z0-9_-]{1,1024}$/, 'must be the continue token of a previous page').optional(),
};

/** What a page reply adds: present when more records follow; pass it as `continue` for the next page. */
export const PageReply = { continue: z.string().optional() };

/**
 * One page of allocations, in a stable order: by pool name, then by address (then prefix length).
 * Walking the pages with `continue` gives each allocation that exists throughout the walk exactly
 * once; one made or released meanwhile appears if it sorts after the page being read.
 */
export const LookupRequest = z
  .object({ v: z.literal(1), pool: Name.optional(), owner: Owner.partial({ purpose: true }).optional(), ...PageRequest })
  .strict();
export type LookupRequest = z.infer<typeof LookupRequest>;
export const LookupReply = reply(z.object({ allocations: z.array(Allocation), ...PageReply }));
export type LookupReply = z.infer<typeof LookupReply>;

export const Utilisation = z.object({
  total: z.string(),
  used: z.string(),
  reserved: z.string(),
  free: z.string(),
  largestFreePrefixLength: z.number().nullable(),
  freeFragments: z.number(),
  allocations: z.number(),
});
export type Utilisation = z.infer<typeof Utilisation>;

export const PutPoolRequest = z.object({ v: z.literal(1), pool: PoolSpec }).strict();
export type PutPoolRequest = z.infer<typeof PutPoolRequest>;
export const PoolStatus = z.object({ pool: PoolRecord, utilisation: Utilisation });
export type PoolStatus = z.infer<typeof PoolStatus>;
export const PutPoolReply = reply(PoolStatus);
export type PutPoolReply = z.infer<typeof PutPoolReply>;

export const DeletePoolRequest = z.object({ v: z.literal(1), name: Name }).strict();
export type DeletePoolRequest = z.infer<typeof DeletePoolRequest>;
export const DeletePoolReply = reply(z.object({ deleted: z.boolean() }));
export type DeletePoolReply = z.infer<typeof DeletePoolReply>;

/** One page of pools, by name (the page rules of LookupRequest). */
export const ListPoolsRequest = z.object({ v: z.literal(1), ...PageRequest }).strict();
export type ListPoolsRequest = z.infer<typeof ListPoolsRequest>;
export const ListPoolsReply = reply(z.object({ pools: z.array(PoolStatus), ...PageReply }));
export type ListPoolsReply = z.infer<typeof ListPoolsReply>;

// --- The map of a pool ------------------------------------------------------------------------

/** How many cells a map may have: 4^j for j = 0..6 (a square of 2^j × 2^j cells). */
export const poolMapCells = [1, 4, 16, 64, 256, 1024, 4096] as const;
/** Blocks a map lists when the request gives no `limit`, and the most it may ask for. */
export const poolMapLimits = { default: 256, max: 1000 } as const;

/**
 * The picture of part of a pool (`cidr`, the window; default the smallest prefix covering the
 * pool), tallied from the allocator's own trie: per cell, how much is allocated, reserved and
 * free. With `viewer` (a tenant) the map also tallies what that tenant holds (`own`) and lists
 * only its blocks, without a tenant name; without it, the admin's map, every block named.
 */
export const PoolMapRequest = z
  .object({
    v: z.literal(1),
    pool: Name,
    cidr: z.string().optional(),
    cells: z.literal(poolMapCells).optional(),
    /** 0 lists no block (the picture only). */
    limit: z.number().int().min(0).max(poolMapLimits.max).optional(),
    viewer: z.string().min(1).max(63).optional(),
  })
  .strict();
export type PoolMapRequest = z.infer<typeof PoolMapRequest>;

/** Per cell, thousandths (0..1000) of the cell's addresses; a non-zero amount is at least 1. */
const Thousandths = z.array(z.number().int().min(0).max(1000));

/** An allocation inside the window the caller may name: tenants see only their own (no `tenant`). */
export const PoolMapBlock = z.object({
  cidr: z.string(),
  tenant: z.string().optional(),
  project: z.string().optional(),
  purpose: z.string().optional(),
});
export type PoolMapBlock = z.infer<typeof PoolMapBlock>;

/**
 * The map of a window of a pool. Cell i is the i-th /cellPrefixLength of the window in address
 * order. Per cell, allocated + reserved + free + outside the pool is 1000 (outside is what is
 * left); `own` (tenant callers only) is the part of `allocated` that is the caller's, and when
 * both the caller and others hold part of a cell, each part shows (at least 1).
 */
export const PoolMap = z.object({
  pool: Name,
  family: z.union([z.literal(4), z.literal(6)]),
  /** CIDR of the window shown, e.g. `10.0.0.0/8`. */
  window: z.string(),
  cellPrefixLength: z.number().int().min(0).max(128),
  /** 4^j, at most 4096; fewer when the window is too small (a /24 of IPv4 has 256 cells of /32). */
  cells: z.number().int().min(1).max(4096),
  allocated: Thousandths,
  own: Thousandths.optional(),
  reserved: Thousandths,
  free: Thousandths,
  /** Addresses in the window, as decimal strings (IPv6 is big). */
  totals: z.object({ size: z.string(), allocated: z.string(), own: z.string().optional(), reserved: z.string(), free: z.string() }),
  /** Largest first, then by address; at most `limit`. */
  blocks: z.array(PoolMapBlock),
  /** More blocks than listed. */
  truncated: z.boolean(),
});
export type PoolMap = z.infer<typeof PoolMap>;
export const PoolMapReply = reply(PoolMap);
export type PoolMapReply = z.infer<typeof PoolMapReply>;

// --- Facts -----------------------------------------------------------------------------------

export const IpamEvent = z.object({ v: z.literal(1), allocation: Allocation, revision: z.number() });
export type IpamEvent = z.infer<typeof IpamEvent>;
