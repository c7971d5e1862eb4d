import { describe, expect, it } from 'vitest';
import type { ApiRequest } from './calls';
import type { Answer } from './http';
import { isRetried, MAX_ATTEMPTS, retryAfterMs, retryDelay, retryReason } from './retry';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const problem = (status: number, code: string, retryAfter?: string): Answer => ({
  kind: 'problem',
  status,
  problem: { type: `https://netbroker.dev/problems/${code}`, title: code, status, code, detail: code } as never,
  ...(retryAfter !== undefined ? { retryAfter } : {}),
});
const noAnswer: Answer = { kind: 'network', message: 'POST http://127.0.0.1:1/v1/projects: ECONNRESET (socket hang up)' };

describe('whether and when a POST is sent again', () => {
  it.each<[string, Answer, number, number | undefined]>([
    ['no answer, after the first attempt', noAnswer, 1, 500],
    ['no answer, after the second', noAnswer, 2, 1_000],
    ['no answer, after the third', noAnswer, 3, 2_000],
    ['no answer, after the last attempt', noAnswer, MAX_ATTEMPTS, undefined],
    ['a 503 problem', problem(503, 'unavailable'), 1, 500],
    ['a 503 problem with Retry-After: 2', problem(503, 'unavailable', '2'), 1, 2_000],
    ['a 429 with Retry-After: 3', problem(429, 'rate-limited', '3'), 2, 3_000],
    ['a 429 with Retry-After: 0 (never sooner than the backoff)', problem(429, 'rate-limited', '0'), 2, 1_000],
    ['a 429 with Retry-After as an HTTP date', problem(429, 'rate-limited', new Date(NOW + 4_000).toUTCString()), 1, 4_000],
    ['a 429 with an unreadable Retry-After (the backoff)', problem(429, 'rate-limited', 'soon'), 1, 500],
    ['a 429 asking for longer than 30 s (the answer stands)', problem(429, 'rate-limited', '31'), 1, undefined],
    ['a 503 after the last attempt', problem(503, 'unavailable', '1'), MAX_ATTEMPTS, undefined],
    ['409: the same key still being processed', problem(409, 'idempotency-key-in-progress'), 1, 500],
    ['409: the key with another request', problem(409, 'idempotency-key-reused'), 1, undefined],
    ['409: a conflict', problem(409, 'already-exists'), 1, undefined],
    ['a 422', problem(422, 'invalid-body'), 1, undefined],
    ['a 404', problem(404, 'not-found'), 1, undefined],
    ['a 500 (internal: the API may have acted; the answer stands)', problem(500, 'internal'), 1, undefined],
    ["a proxy's 503 page", { kind: 'http', status: 503, text: 'Service Unavailable' }, 1, 500],
    ["a proxy's 502 page", { kind: 'http', status: 502, text: 'Bad Gateway' }, 1, undefined],
    ['a success', { kind: 'ok', status: 201, body: {} }, 1, undefined],
  ])('%s → %s ms', (_what, answer, attempt, delay) => {
    expect(retryDelay(answer, attempt, NOW)).toBe(delay);
  });

  it.each<[string | undefined, number | undefined]>([
    ['5', 5_000],
    [' 12 ', 12_000],
    [new Date(NOW - 1_000).toUTCString(), 0],
    ['-1', undefined],
    ['1.5', undefined],
    [undefined, undefined],
  ])('Retry-After %j is %s ms', (value, ms) => {
    expect(retryAfterMs(value, NOW)).toBe(ms);
  });

  it.each<[ApiRequest, boolean]>([
    [{ call: 'createProject', body: {} }, true],
    [{ call: 'createPeering', body: {} }, true],
    [{ call: 'acceptPeering', params: { id: 'pr-1' } }, true],
    [{ call: 'createTenantToken', params: { tenant: 'acme' }, body: {} }, true],
    [{ call: 'getProject', params: { project: 'web' } }, false],
    [{ call: 'deleteProject', params: { project: 'web' } }, false],
    [{ call: 'putPool', params: { pool: 'p' }, body: {} }, false],
  ])('%j: with an Idempotency-Key and retried: %s', (request, retried) => {
    expect(isRetried(request)).toBe(retried);
  });

  it('says why it retries', () => {
    expect(retryReason(noAnswer)).toBe('no answer (POST http://127.0.0.1:1/v1/projects: ECONNRESET (socket hang up))');
    expect(retryReason(problem(503, 'unavailable'))).toBe('503 unavailable');
  });
});
