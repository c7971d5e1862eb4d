import { describe, expect, it } from 'vitest';
import { ApiError, unlessAbsent } from './api';

const problem = (status: number) => new ApiError(status, { type: 'about:blank', title: 'Error', status, code: status === 404 ? 'not-found' : 'internal', detail: 'no' });

describe('unlessAbsent', () => {
  it('answers what the read answers', async () => {
    await expect(unlessAbsent(Promise.resolve(7))).resolves.toBe(7);
  });

  it('answers undefined when the API says 404', async () => {
    await expect(unlessAbsent(Promise.reject(problem(404)))).resolves.toBeUndefined();
  });

  it.each([[problem(500)], [new Error('offline')]])('throws any other failure (%s)', async (e) => {
    await expect(unlessAbsent(Promise.reject(e))).rejects.toBe(e);
  });
});
