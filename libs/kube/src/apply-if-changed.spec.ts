import { describe, expect, it } from 'vitest';
import { isSubset } from './apply-if-changed';

describe('isSubset', () => {
  it.each([
    ['equal scalars', 1, 1, true],
    ['different scalars', 1, 2, false],
    ['fields the server added', { a: 1 }, { a: 1, b: 2 }, true],
    ['a field the server lacks', { a: 1, b: 2 }, { a: 1 }, false],
    ['undefined fields as absent', { a: 1, b: undefined }, { a: 1 }, true],
    ['defaults inside list items', { ports: [{ port: 80 }] }, { ports: [{ port: 80, protocol: 'TCP' }] }, true],
    ['a list item more on the server', { ports: [{ port: 80 }] }, { ports: [{ port: 80 }, { port: 81 }] }, false],
    ['a changed list item', { ports: [{ port: 80 }] }, { ports: [{ port: 81 }] }, false],
    ['an object against a list', { a: {} }, { a: [] }, false],
  ])('%s', (_name, want, have, expected) => {
    expect(isSubset(want, have)).toBe(expected);
  });
});
