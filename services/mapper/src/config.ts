import { tenantAccessEnv } from '@netbroker/kube';
import { serviceEnv } from '@netbroker/runtime';
import { z } from 'zod';

export const MapperConfig = z.object({
  ...serviceEnv,
  ...tenantAccessEnv,
  /** Kubeconfig of the host cluster; empty: the in-cluster service account. */
  KUBECONFIG: z.string().optional(),
  /** Opens the sealed kubeconfigs of registered virtual clusters (32 bytes, base64). */
  NETBROKER_ENCRYPTION_KEY: z.string().min(1),
  /** Mappings reconciled at once. */
  CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /** Every mapping is looked at again this often, whatever happened (level-triggered safety net). */
  RESYNC_INTERVAL_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** A project's lease: its mappings are worked by one replica; another takes over this long after the holder died. */
  LEASE_SECONDS: z.coerce.number().min(1).max(300).default(15),
  /** This replica's lease holder id; default random per process. */
  REPLICA_ID: z.string().min(1).optional(),
});
export type MapperConfig = z.infer<typeof MapperConfig>;
