import { LbProvider } from '@netbroker/contracts';
import { tenantAccessEnv } from '@netbroker/kube';
import { serviceEnv } from '@netbroker/runtime';
import type { LbConfig } from '@netbroker/translate';
import { z } from 'zod';

const optional = z.string().min(1).optional();

export const ExposerConfig = z.object({
  ...serviceEnv,
  ...tenantAccessEnv,
  /** Kubeconfig of the host cluster; empty: the in-cluster service account. */
  KUBECONFIG: z.string().optional(),
  /** Opens the sealed kubeconfigs of consumers' virtual clusters (32 bytes, base64). */
  NETBROKER_ENCRYPTION_KEY: z.string().min(1),
  /** Address pools exposure EIPs come from, by network type. */
  EIP_POOL_CLOUD: z.string().default('egress-cloud'),
  EIP_POOL_PUBLIC: z.string().default('egress-public'),
  /** The load balancer implementation of the host cluster: how a Service asks for its EIP. */
  LB_PROVIDER: LbProvider.default('plain'),
  /** spec.loadBalancerClass of exposure Services (any provider). */
  LB_CLASS: optional,
  /** MetalLB `metallb.io/address-pool`. */
  LB_ADDRESS_POOL: optional,
  /** OpenStack `loadbalancer.openstack.org/class`. */
  LB_OPENSTACK_CLASS: optional,
  /** OVHcloud `loadbalancer.ovhcloud.com/class` (default octavia) and `/flavor`. */
  LB_OVH_CLASS: optional,
  LB_OVH_FLAVOR: optional,
  /** Namespace of `<service>-ext` entries inside consumers' virtual clusters. */
  ENTRY_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63).default('default'),
  /** Exporting projects reconciled at once. */
  CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** Every exporting project is looked at again this often (source Services changing, lost events). */
  RESYNC_INTERVAL_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** An exporting project's lease: one replica works it; another takes over this long after the holder died. */
  LEASE_SECONDS: z.coerce.number().min(1).max(300).default(15),
  /** This replica's lease holder id; default random per process. */
  REPLICA_ID: z.string().min(1).optional(),
});
export type ExposerConfig = z.infer<typeof ExposerConfig>;

/** The load balancer settings of the install. */
export const lbConfig = (c: ExposerConfig): LbConfig => ({
  provider: c.LB_PROVIDER,
  loadBalancerClass: c.LB_CLASS,
  addressPool: c.LB_ADDRESS_POOL,
  openstackClass: c.LB_OPENSTACK_CLASS,
  ovhClass: c.LB_OVH_CLASS,
  ovhFlavor: c.LB_OVH_FLAVOR,
});
