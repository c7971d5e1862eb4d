import { z } from 'zod';

export const syncerBuckets = {
  /** One key per registration (`<tenant>.<project>`): which syncer replica may sync it. */
  leases: 'syncer-leases',
  /** One key per registration: what its holder observed. */
  status: 'vcluster-status',
} as const;

/** A registration's lease: only `holder` runs its sync loop until `expiresAt`. */
export const SyncerLease = z.object({
  v: z.literal(1),
  /** Replica id, random per process. */
  holder: z.string().min(1),
  renewedAt: z.string(),
  expiresAt: z.string(),
});
export type SyncerLease = z.infer<typeof SyncerLease>;

export const VClusterPhase = z.enum(['Syncing', 'Unreachable', 'Failed']);
export type VClusterPhase = z.infer<typeof VClusterPhase>;

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
  /** Host objects the virtual cluster wants but netbroker does not own. */
  conflicts: z.number().int().min(0),
});
export type VClusterStatus = z.infer<typeof VClusterStatus>;
