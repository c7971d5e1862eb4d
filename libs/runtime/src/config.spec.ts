import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { env, isConfigError, loadConfig } from './config';

const schema = z.object({
  NATS_URL: z.string().url(),
  HTTP_PORT: env.port(8080),
  LOG_LEVEL: env.logLevel(),
  DEBUG_SQL: env.bool(false),
});

describe('loadConfig', () => {
  it('applies defaults and coerces strings', () => {
    expect(loadConfig(schema, { NATS_URL: 'nats://127.0.0.1:4222', DEBUG_SQL: '1' })).toEqual({
      NATS_URL: 'nats://127.0.0.1:4222',
      HTTP_PORT: 8080,
      LOG_LEVEL: 'info',
      DEBUG_SQL: true,
    });
  });

  it('lists every bad or missing variable in one error', () => {
    let error: unknown;
    try {
      loadConfig(schema, { HTTP_PORT: '99999', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error)).toBe(true);
    if (!isConfigError(error)) return;
    expect(error.problems).toHaveLength(3);
    expect(error.problems.find((p) => p.startsWith('NATS_URL'))).toMatch(/not set/);
    expect(error.problems.some((p) => p.startsWith('HTTP_PORT'))).toBe(true);
    expect(error.problems.some((p) => p.startsWith('LOG_LEVEL'))).toBe(true);
    expect(error.message).toContain('NATS_URL');
  });
});
