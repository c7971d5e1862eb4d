import { describe, expect, it } from 'vitest';
import { requestIndex } from './commands';

describe('requestIndex', () => {
  const error = (index?: number) => ({ reason: 'reserved-range' as const, message: 'm', ...(index !== undefined ? { index } : {}) });
  it.each([
    ['replace keeps it', 'replace', 3, 2, 3],
    ['add: a request route, counted from the request', 'add', 5, 2, 3],
    ['add: a route that was there before has none', 'add', 1, 2, undefined],
    ['remove: none', 'remove', 0, 2, undefined],
    ['no index stays none', 'add', undefined, 2, undefined],
  ] as const)('%s', (_what, mode, index, current, want) => {
    expect(requestIndex(error(index), mode, current).index).toBe(want);
  });
});
