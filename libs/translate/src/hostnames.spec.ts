import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hostnameAllowed, hostnameClaimKey, hostnameFromClaimKey, normalizeHostname } from './hostnames';

describe('hostnameAllowed', () => {
  it.each([
    ['shop.example.com', [], true],
    ['anything.test', [], true],
    ['example.com', ['example.com'], true],
    ['a.example.com', ['example.com'], true],
    ['a.b.example.com', ['example.com'], true],
    ['A.Example.COM.', ['example.com'], true],
    ['badexample.com', ['example.com'], false],
    ['example.com.evil.net', ['example.com'], false],
    ['a.example.org', ['example.com'], false],
    ['a.example.org', ['example.com', 'example.org'], true],
    ['a.example.com', ['.example.com'], true],
    ['a.example.com', ['*.example.com'], true],
    ['a.example.com', ['Example.Com.'], true],
    ['*.example.com', ['example.com'], true],
    ['*.a.example.com', ['example.com'], true],
    // The wildcard covers b.example.com too, which is not under a.example.com.
    ['*.example.com', ['a.example.com'], false],
    ['*.com', ['example.com'], false],
    ['a.*.example.com', ['example.com'], false],
    ['**.example.com', ['example.com'], false],
    ['a.example.com', [''], false],
    ['a.example.com', ['*'], false],
  ])('%s under %j: %s', (host, suffixes, allowed) => {
    expect(hostnameAllowed(host, suffixes)).toBe(allowed);
  });
});

describe('hostnameClaimKey', () => {
  it.each([
    ['shop.example.com', 'shop.example.com'],
    ['Shop.Example.COM.', 'shop.example.com'],
    ['*.example.com', '_2a.example.com'],
    ['my-app.example.com', 'my-app.example.com'],
    ['under_score.example.com', 'under_5fscore.example.com'],
    ['.leading', '_2eleading'],
    ['trailing..', 'trailing_2e'],
    ['a..b', 'a._2eb'],
    ['a/b=c', 'a_2fb_3dc'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['bücher.example', 'b_c3_bccher.example'],
  ])('keys %s as %s', (host, key) => {
    expect(hostnameClaimKey(host)).toBe(key);
    expect(hostnameFromClaimKey(key)).toBe(normalizeHostname(host));
  });

  const validKey = (key: string) => /^[-/_=.a-zA-Z0-9]+$/.test(key) && !key.startsWith('.') && !key.endsWith('.') && !key.includes('..');

  it('round-trips every string to its normalised form through a valid NATS KV key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), (host) => {
        fc.pre(normalizeHostname(host) !== '');
        const key = hostnameClaimKey(host);
        expect(validKey(key)).toBe(true);
        expect(hostnameFromClaimKey(key)).toBe(normalizeHostname(host));
      }),
    );
  });

  it('gives distinct host names distinct keys', () => {
    const host = fc.stringMatching(/^(\*\.)?[a-z0-9_.*-]{1,20}$/);
    fc.assert(
      fc.property(host, host, (a, b) => {
        fc.pre(normalizeHostname(a) !== normalizeHostname(b));
        expect(hostnameClaimKey(a)).not.toBe(hostnameClaimKey(b));
      }),
    );
  });
});
