import { tenantAccessEnv } from '@netbroker/kube';
import { env, serviceEnv } from '@netbroker/runtime';
import { Name } from '@netbroker/contracts';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

export const ApiConfig = z.object({
  ...serviceEnv,
  ...tenantAccessEnv,
  HTTP_HOST: z.string().default('127.0.0.1'),
  /** 0: any free port (the bound URL is logged). */
  HTTP_PORT: env.port(8080),
  NETBROKER_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  /** base64 of 32 bytes: seals kubeconfigs and replayed answers at rest. */
  NETBROKER_ENCRYPTION_KEY: z
    .string()
    .refine((s) => /^[A-Za-z0-9+/]+={0,2}$/.test(s) && Buffer.from(s, 'base64').length === 32, 'must be 32 bytes, base64-encoded'),
  DEFAULT_PROJECT_POOL: Name.default('projects'),
  EGRESS_POOL_CLOUD: Name.default('egress-cloud'),
  EGRESS_POOL_PUBLIC: Name.default('egress-public'),
  /** Per tenant: sustained requests per second, and the burst above it. */
  RATE_LIMIT_PER_SECOND: positiveInt(50),
  RATE_LIMIT_BURST: positiveInt(100),
  BODY_LIMIT_BYTES: positiveInt(65_536),
  /**
   * How old this replica's view may be when a GET is answered from it without a read barrier
   * (view.ts). 0: every request takes a barrier. A GET that would answer 404 or 401 always does.
   */
  READ_STALENESS_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  /**
   * How long a route, attachment, peering or private network write waits for the router
   * (`cmd.router.write`), retrying while nobody answers (a failover of its writer), before it
   * answers 503 `unavailable`.
   */
  ROUTER_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /**
   * The built web portal served under /ui/ (`npm run build` writes it to dist/portal). Default: the
   * portal beside the api's bundle (dist/portal), else the repository's dist/portal.
   */
  PORTAL_DIR: z.string().min(1).optional(),
});
export type ApiConfig = z.infer<typeof ApiConfig>;
