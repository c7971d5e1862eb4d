import { Name } from '@netbroker/contracts';
import { serviceEnv } from '@netbroker/runtime';
import { z } from 'zod';

const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((c) => c.trim()).filter(Boolean));

export const Backend = z.enum(['linux', 'kube-ovn']);
export type Backend = z.infer<typeof Backend>;

export const RouterConfig = z.object({
  ...serviceEnv,
  /**
   * Where plans are realised: `linux` (router-agents on gateway nodes report back), `kube-ovn`
   * (the project VPCs' `Vpc` objects on the host cluster), or both, comma-separated. A peering is
   * Active once every backend has it programmed.
   */
  BACKENDS: z
    .string()
    .default('linux')
    .transform((s) => [...new Set(s.split(',').map((c) => c.trim()).filter(Boolean))])
    .pipe(z.array(Backend).min(1, 'name at least one backend: linux, kube-ovn')),
  /** Kubeconfig of the host cluster for the kube-ovn backend; empty: the in-cluster service account. */
  KUBECONFIG: z.string().optional(),
  /** The Kube-OVN `Vpc` of a project: `{tenant}`, `{project}` replaced (Kube-DC names it after the project namespace). */
  KUBE_OVN_VPC: z.string().min(1).max(253).default('{tenant}-{project}'),
  /** The ipam prefix pool peering links come from, and the link size (30, or 31 for point-to-point). */
  LINK_POOL: Name.default('links'),
  LINK_PREFIX_LENGTH: z.coerce.number().int().min(30).max(31).default(30),
  /** Ranges no route may point into besides the ipam's address and link pools: the host's pod and Service CIDRs, presets. */
  HOST_POD_CIDRS: list,
  HOST_SERVICE_CIDRS: list,
  RESERVED_CIDRS: list,
  /** Static routes per project (Neutron's default quota) and peerings per project. */
  MAX_ROUTES: z.coerce.number().int().min(0).max(1_000).default(30),
  MAX_PEERINGS_PER_PROJECT: z.coerce.number().int().min(0).max(1_000).default(50),
  /** An agent whose last report is older than this is not waited for (3 × the agents' resync). */
  AGENT_STALE_MS: z.coerce.number().int().min(1_000).default(90_000),
  /** Every peering and project is looked at again this often. */
  RESYNC_INTERVAL_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** The writer lease: one replica answers commands; another takes over this long after the holder died. */
  LEASE_SECONDS: z.coerce.number().min(1).max(300).default(5),
  REPLICA_ID: z.string().min(1).optional(),
});
export type RouterConfig = z.infer<typeof RouterConfig>;
