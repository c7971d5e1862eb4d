import { z } from 'zod';

export const leaseBuckets = {
  /** Leases of every sharded controller but the syncer's registrations: `<service>.<controller>.<lease>`. */
  controllers: 'controller-leases',
} as const;

/** A lease: only `holder` works the keys it covers until `expiresAt`. */
export const Lease = z.object({
  v: z.literal(1),
  /** Replica id, random per process unless set. */
  holder: z.string().min(1),
  renewedAt: z.string(),
  expiresAt: z.string(),
});
export type Lease = z.infer<typeof Lease>;
