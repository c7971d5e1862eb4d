import { z } from 'zod';
import { ConfigError } from './config-error';
import { natsEnv } from './nats-env';

export { ConfigError, isConfigError } from './config-error';

/**
 * Parses the environment with a zod object schema whose keys are the variable names.
 * Parsed once, in main.ts; the result is passed down, never read again from process.env.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => {
      const key = issue.path.join('.') || '(environment)';
      const value = typeof issue.path[0] === 'string' ? env[issue.path[0]] : undefined;
      return value === undefined ? `${key}: ${issue.message} (not set)` : `${key}: ${issue.message}`;
    }),
  );
}

/** Common environment helpers: numbers and booleans arrive as strings. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/**
 * The variables every netbroker service reads: spread into its schema
 * (`z.object({ ...serviceEnv, MY_SETTING: … })`).
 */
export const serviceEnv = {
  /** NATS_URL, its credentials and TLS, as files: nats-env.ts, docs/security.md "NATS credentials". */
  ...natsEnv,
  /** The /healthz /readyz /metrics endpoint (0: any free port). */
  OPS_PORT: env.port(0),
  OPS_HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: env.logLevel(),
  /** Replicas of KV buckets and streams: 3 on a NATS cluster. */
  NATS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
};
