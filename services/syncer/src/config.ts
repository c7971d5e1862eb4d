import { tenantAccessEnv } from '@netbroker/kube';
import { serviceEnv } from '@netbroker/runtime';
import { z } from 'zod';

export const SyncerConfig = z.object({
  ...serviceEnv,
  ...tenantAccessEnv,
  /** Kubeconfig of the host cluster; empty: the in-cluster service account. */
  KUBECONFIG: z.string().optional(),
  /** Opens the sealed kubeconfigs of registered virtual clusters (32 bytes, base64). */
  NETBROKER_ENCRYPTION_KEY: z.string().min(1),
  /** Objects reconciled at once per virtual cluster. */
  CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /** A registration's lease: another replica takes it over this long after its holder died. */
  LEASE_SECONDS: z.coerce.number().min(1).max(300).default(6),
  /** This replica's lease holder id; default random per process. */
  REPLICA_ID: z.string().min(1).optional(),
  /** The host's service CIDR: a virtual cluster's must lie inside it (ClusterIP back-sync). */
  HOST_SERVICE_CIDR: z.string().min(1).default('10.96.0.0/16'),
  /** How often a held registration is looked at again (reachability, status). */
  PROBE_SECONDS: z.coerce.number().min(0.1).max(300).default(2),
});
export type SyncerConfig = z.infer<typeof SyncerConfig>;
