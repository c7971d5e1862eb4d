import { serviceEnv } from '@netbroker/runtime';
import { z } from 'zod';

const list = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s) => s.split(',').map((c) => c.trim()).filter(Boolean));

const labelMap = (fallback: string) =>
  list(fallback).transform((pairs, ctx) => {
    const entries = pairs.map((p) => p.split('=', 2));
    if (entries.some((e) => e.length !== 2 || !e[0])) ctx.addIssue({ code: 'custom', message: 'must be k=v pairs separated by commas' });
    return Object.fromEntries(entries) as Record<string, string>;
  });

export const ProvisionerConfig = z.object({
  ...serviceEnv,
  /** Kubeconfig of the host cluster; empty: the in-cluster service account. */
  KUBECONFIG: z.string().optional(),
  DEFAULT_PROJECT_POOL: z.string().default('projects'),
  EGRESS_POOL_CLOUD: z.string().default('egress-cloud'),
  EGRESS_POOL_PUBLIC: z.string().default('egress-public'),
  /** Destinations project egress never reaches directly: other projects, private ranges. */
  INTERNAL_CIDRS: list('10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,fc00::/7'),
  DNS_NAMESPACE: z.string().default('kube-system'),
  DNS_POD_LABELS: labelMap('k8s-app=kube-dns'),
  CONCURRENCY: z.coerce.number().int().min(1).max(64).default(8),
  /** Every project is looked at again this often, whatever happened (level-triggered safety net). */
  RESYNC_INTERVAL_MS: z.coerce.number().int().min(1_000).default(300_000),
  /** A shard's lease: another replica takes its projects over this long after its holder died. */
  LEASE_SECONDS: z.coerce.number().min(1).max(300).default(15),
  /** This replica's lease holder id; default random per process. */
  REPLICA_ID: z.string().min(1).optional(),
});
export type ProvisionerConfig = z.infer<typeof ProvisionerConfig>;
