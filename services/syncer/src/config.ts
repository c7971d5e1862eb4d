import { AnnotationPolicy } from '@netbroker/contracts';
import { tenantAccessEnv } from '@netbroker/kube';
import { serviceEnv } from '@netbroker/runtime';
import { z } from 'zod';

/** `ANNOTATION_POLICY`: JSON of an AnnotationPolicy (docs/security-annotations.md); unset or empty: the safe defaults. */
const annotationPolicy = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (s === undefined || s.trim() === '') return {};
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object (see docs/security-annotations.md)' });
      return z.NEVER;
    }
  })
  .pipe(AnnotationPolicy);

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
  /**
   * Which tenant annotations reach host Ingresses and Services, per kind (`deny` with the built-in
   * rules by default, or `allow` lists), the hosts an `auth-url` may name, the Traefik/Kong
   * objects tenants may reference: docs/security-annotations.md. A bad value stops the start.
   */
  ANNOTATION_POLICY: annotationPolicy,
});
export type SyncerConfig = z.infer<typeof SyncerConfig>;
