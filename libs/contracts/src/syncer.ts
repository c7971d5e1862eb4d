import { z } from 'zod';
import { Lease } from './leases';

export const syncerBuckets = {
  /** One key per registration (`<tenant>.<project>`): which syncer replica may sync it. */
  leases: 'syncer-leases',
  /** One key per registration: what its holder observed. */
  status: 'vcluster-status',
} as const;

/** A registration's lease: only `holder` runs its sync loop until `expiresAt`. */
export const SyncerLease = Lease;
export type SyncerLease = Lease;

export const VClusterPhase = z.enum(['Syncing', 'Unreachable', 'Failed']);
export type VClusterPhase = z.infer<typeof VClusterPhase>;

/** At most this many objects are listed in a status's `refused` and `dropped`, this many keys per object. */
export const SYNC_ISSUES_LISTED = 20;
export const SYNC_ISSUE_KEYS = 16;

/** A virtual object refused, or synced without some of its annotations, and why (never an annotation's value). */
export const SyncIssue = z.object({
  kind: z.string().min(1),
  namespace: z.string(),
  name: z.string().min(1),
  /** `AnnotationRefused`, `HostnameClaimed`, `HostObjectNotOwned`… for a refused object; `AnnotationDropped` otherwise. */
  reason: z.string().min(1),
  /** The annotation keys refused or dropped. */
  keys: z.array(z.string()).max(SYNC_ISSUE_KEYS).optional(),
});
export type SyncIssue = z.infer<typeof SyncIssue>;

/** The sync state of a registration, written by the replica holding its lease. */
export const VClusterStatus = z.object({
  v: z.literal(1),
  phase: VClusterPhase,
  /** `Synced`/`Syncing` when healthy; `Unreachable`, `ServiceCidrMismatch`, `KubeconfigUnreadable`… otherwise. */
  reason: z.string(),
  message: z.string(),
  holder: z.string(),
  /** When the sync loop last completed its first pass over both sides. */
  lastSyncAt: z.string().optional(),
  /** Virtual objects refused right now: blocked by a host object netbroker does not own, or by policy. */
  conflicts: z.number().int().min(0),
  /** The first refused objects (sorted by kind, namespace, name) with their reasons; `conflicts` counts them all. */
  refused: z.array(SyncIssue).max(SYNC_ISSUES_LISTED).optional(),
  /** The first objects synced without some of their annotations, with the keys dropped. */
  dropped: z.array(SyncIssue).max(SYNC_ISSUES_LISTED).optional(),
  /** How many objects are synced without some of their annotations. */
  droppedCount: z.number().int().min(0).optional(),
});
export type VClusterStatus = z.infer<typeof VClusterStatus>;
