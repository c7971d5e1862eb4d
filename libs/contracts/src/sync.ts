import { z } from 'zod';
import { Name } from './ipam';

// The syncer's own KV state.

export const syncBuckets = {
  /** Ingress host names, one key per name (`hostnameClaimKey(host)` of libs/translate), written with create(). */
  hostnameClaims: 'hostname-claims',
} as const;

/** A host name belongs to the first project that syncs an Ingress using it, until none of its Ingresses does. */
export const HostnameClaim = z.object({
  v: z.literal(1),
  /** The normalised host name (`normalizeHostname`). */
  host: z.string().min(1),
  tenant: Name,
  project: Name,
  vcluster: z.string().min(1),
  claimedAt: z.string(),
});
export type HostnameClaim = z.infer<typeof HostnameClaim>;
