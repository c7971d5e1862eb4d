import { describe, expect, it } from 'vitest';
import { decodeContinue, encodeContinue, pageOf, type ListQuery } from './paging';

const keys = ['a', 'b', 'c', 'd', 'e'];
const after = (k: string) => encodeContinue(k);

describe('pageOf', () => {
  it.each<[string, readonly string[], ListQuery, string[], string | undefined]>([
    ['the first page, more remain', keys, { limit: 2 }, ['a', 'b'], 'b'],
    ['a middle page', keys, { limit: 2, continue: after('b') }, ['c', 'd'], 'd'],
    ['the last page, exactly full: no token', keys, { limit: 1, continue: after('d') }, ['e'], undefined],
    ['a page ending on the last key: no token', keys, { limit: 5 }, keys, undefined],
    ['the default limit (50) holds all five', keys, {}, keys, undefined],
    ['limit 1 from the start', keys, { limit: 1 }, ['a'], 'a'],
    ['an empty list', [], { limit: 3 }, [], undefined],
    ['a token past the end', keys, { continue: after('z') }, [], undefined],
    ['a token of a key deleted since: resumes after its position', ['a', 'c', 'd'], { limit: 1, continue: after('b') }, ['c'], 'c'],
    ['a token that decodes to no key of the list resumes by order', keys, { continue: after('bb') }, ['c', 'd', 'e'], undefined],
  ])('%s', (_name, list, query, page, next) => {
    const got = pageOf(list, query);
    expect(got.keys).toEqual(page);
    expect(got.next.continue === undefined ? undefined : decodeContinue(got.next.continue)).toBe(next);
  });

  it('walks every key exactly once, in order, for every page size', () => {
    const many = Array.from({ length: 23 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    for (const limit of [1, 2, 5, 22, 23, 24]) {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = pageOf(many, { limit, ...(token ? { continue: token } : {}) });
        seen.push(...page.keys);
        token = page.next.continue;
      } while (token);
      expect(seen).toEqual(many);
    }
  });
});
