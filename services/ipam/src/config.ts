import { serviceEnv } from '@netbroker/runtime';
import { PoolSpec } from '@netbroker/contracts';
import { z } from 'zod';

const cidrList = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((c) => c.trim()).filter(Boolean));

const poolList = z
  .string()
  .default('[]')
  .transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of pool specs' });
      return z.NEVER;
    }
  })
  .pipe(z.array(PoolSpec));

export const IpamConfig = z.object({
  ...serviceEnv,
  /** The host cluster's own pod and service CIDRs: reserved in every pool. */
  HOST_POD_CIDRS: cidrList,
  HOST_SERVICE_CIDRS: cidrList,
  /** Pools created at start when absent (JSON array of pool specs); the admin API manages the rest. */
  IPAM_POOLS: poolList,
  /**
   * The lease of each pool's allocating holder (renewed every third). A SIGKILLed holder's pools
   * are taken over once it expires; allocations wait for a holder for twice this, then fail.
   */
  LEASE_SECONDS: z.coerce.number().min(1).max(300).default(5),
  /** This replica's lease holder id (random per process unless set). */
  REPLICA_ID: z.string().min(1).optional(),
});
export type IpamConfig = z.infer<typeof IpamConfig>;
