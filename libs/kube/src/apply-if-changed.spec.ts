import { describe, expect, it } from 'vitest';
import { APPLIED_HASH, canonicalJson, isSubset, withAppliedHash } from './apply-if-changed';

describe('withAppliedHash', () => {
  const manifest = (ports: Array<Record<string, unknown>>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports } });
  const hashOf = (m: ReturnType<typeof manifest>) => (withAppliedHash(m).metadata as { annotations?: Record<string, string> }).annotations?.[APPLIED_HASH];

  it('hashes the same desired state the same whatever the key order (cache vs typed client)', () => {
    const fromCache = manifest([{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }]);
    const fromModel = manifest([{ port: 80, name: 'http', targetPort: 8080, protocol: 'TCP' }]);
    expect(hashOf(fromCache)).toBe(hashOf(fromModel));
  });

  it('hashes another desired state differently, array order included', () => {
    const one = manifest([{ port: 80 }, { port: 443 }]);
    expect(hashOf(one)).not.toBe(hashOf(manifest([{ port: 80 }])));
    expect(hashOf(one)).not.toBe(hashOf(manifest([{ port: 443 }, { port: 80 }])));
  });

  it('writes canonical JSON: keys sorted at every depth, arrays kept in order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });
});

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
