import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hostName, hostNamespace, isDns1123Label, isDns1123Subdomain, safeConcatName } from './names';

describe('safeConcatName (vcluster-compatible)', () => {
  it.each([
    [['web', 'x', 'default', 'x', 'vc'], 'web-x-default-x-vc'],
    // 63 characters exactly stays as it is.
    [['a'.repeat(47), 'x', 'ns', 'x', 'vcluster'], `${'a'.repeat(47)}-x-ns-x-vcluster`],
    // Longer: 52 characters, '-', 10 hex of sha256 of the full joined name (golden value).
    [['a'.repeat(60), 'x', 'default', 'x', 'vc'], `${'a'.repeat(52)}-4a7e6892d1`],
  ])('joins %j as %s', (parts, expected) => {
    expect(safeConcatName(...parts)).toBe(expected);
  });

  it('replaces ".-" left by the cut with "-"', () => {
    const name = safeConcatName(`${'b'.repeat(51)}.c`, 'x', 'default', 'x', 'vc');
    expect(name.slice(50, 52)).toBe('b-');
    expect(name).toHaveLength(62);
    expect(name).not.toContain('.-');
  });

  it('always yields at most 63 characters and is stable', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/), fc.stringMatching(/^[a-z0-9]{1,63}$/), (name, ns) => {
        const out = hostName({ name, namespace: ns, vcluster: 'vcluster' });
        expect(out.length).toBeLessThanOrEqual(63);
        expect(hostName({ name, namespace: ns, vcluster: 'vcluster' })).toBe(out);
      }),
    );
  });
});

describe('names', () => {
  it('builds host namespaces as <tenant>-<project>', () => {
    expect(hostNamespace('acme', 'web')).toBe('acme-web');
  });
  it.each([
    ['web', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['Web', false],
    ['-web', false],
    ['web-', false],
    ['we_b', false],
    ['', false],
  ])('isDns1123Label(%j) is %s', (s, ok) => {
    expect(isDns1123Label(s)).toBe(ok);
  });
  it.each([
    ['shop-tls', true],
    ['tls.example.com', true],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}`, true],
    ['a'.repeat(254), false],
    ['other/shop-tls', false],
    ['Shop-TLS', false],
    ['tls..example', false],
    ['.tls', false],
    ['', false],
  ])('isDns1123Subdomain(%j) is %s', (s, ok) => {
    expect(isDns1123Subdomain(s)).toBe(ok);
  });
});
