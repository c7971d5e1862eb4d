import { describe, expect, it } from 'vitest';
import { addressRefusal, checkServer, parsePolicyEntries, type ServerPolicy } from './server-policy';

function policy(opts: { allowed?: string; denied?: string; allowLoopback?: boolean } = {}): ServerPolicy {
  const allowed = parsePolicyEntries(opts.allowed ?? '');
  const denied = parsePolicyEntries(opts.denied ?? '');
  return { allowed: { cidrs: allowed.cidrs, suffixes: allowed.names }, denied, allowLoopback: opts.allowLoopback ?? false };
}

describe('checkServer', () => {
  const production = policy({ denied: '10.96.0.1,nats.netbroker.svc,.netbroker.svc' });
  it.each([
    ['loopback', 'https://127.0.0.1:6443'],
    ['loopback written in decimal', 'https://2130706433:6443'],
    ['loopback written in hex', 'https://0x7f.1:6443'],
    ['IPv6 loopback', 'https://[::1]:6443'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]:6443'],
    ['NAT64 metadata', 'https://[64:ff9b::a9fe:a9fe]'],
    ['cloud metadata', 'https://169.254.169.254'],
    ['AWS IPv6 metadata', 'https://[fd00:ec2::254]'],
    ['link-local', 'https://169.254.10.1'],
    ['IPv6 link-local', 'https://[fe80::1]'],
    ['the unspecified address', 'https://0.0.0.0:6443'],
    ['multicast', 'https://224.0.0.1'],
    ['localhost', 'https://localhost:6443'],
    ['a name under localhost', 'https://evil.localhost'],
    ['the GCE metadata name', 'https://metadata.google.internal'],
    ['the host apiserver (operator entry)', 'https://10.96.0.1:443'],
    ['a denied name', 'https://nats.netbroker.svc:4222'],
    ['a name under a denied suffix', 'https://api.netbroker.svc'],
  ])('refuses %s', (_name, server) => {
    expect(checkServer(server, production)).toMatchObject({ ok: false, refusal: { reason: 'ServerNotAllowed' } });
  });

  it.each([
    ['a private address', 'https://10.20.0.5:6443', { host: '10.20.0.5', port: 6443, literal: true }],
    ['a public name', 'https://vc.example.com', { host: 'vc.example.com', port: 443, literal: false }],
    ['a name with a trailing dot, in capitals', 'https://VC.Example.com.:8443', { host: 'vc.example.com', port: 8443, literal: false }],
  ])('allows %s when no allowlist is set', (_name, server, expected) => {
    expect(checkServer(server, production)).toMatchObject({ ok: true, ...expected });
  });

  it('allows loopback in development, except the endpoints of netbroker itself', () => {
    const dev = policy({ allowLoopback: true, denied: '127.0.0.1:6443,127.0.0.1:4222' });
    expect(checkServer('https://127.0.0.1:7443', dev)).toMatchObject({ ok: true });
    expect(checkServer('https://localhost:7443', dev)).toMatchObject({ ok: true });
    expect(checkServer('https://127.0.0.1:6443', dev)).toMatchObject({ ok: false });
    expect(checkServer('https://127.0.0.1:4222', dev)).toMatchObject({ ok: false });
    expect(checkServer('https://169.254.169.254', dev)).toMatchObject({ ok: false });
  });

  it('with an allowlist, takes only its ranges and names', () => {
    const strict = policy({ allowed: '10.20.0.0/16,.vcluster.example.com' });
    expect(checkServer('https://10.20.1.1', strict)).toMatchObject({ ok: true });
    expect(checkServer('https://10.21.1.1', strict)).toMatchObject({ ok: false });
    expect(checkServer('https://a.vcluster.example.com', strict)).toMatchObject({ ok: true, nameAllowed: true });
    expect(checkServer('https://vcluster.example.com.evil.com', strict)).toMatchObject({ ok: true, nameAllowed: false });
    const namesOnly = policy({ allowed: '.vcluster.example.com' });
    expect(checkServer('https://vcluster.example.com.evil.com', namesOnly)).toMatchObject({ ok: false });
    expect(checkServer('https://evilvcluster.example.com', namesOnly)).toMatchObject({ ok: false });
  });
});

describe('addressRefusal (each resolved address, at connect time)', () => {
  it('refuses a name that resolved to loopback or metadata even when the name was allowed', () => {
    const p = policy({ allowed: '.example.com' });
    expect(addressRefusal('127.0.0.1', 443, p, true)).toMatchObject({ reason: 'ServerNotAllowed' });
    expect(addressRefusal('169.254.169.254', 443, p, true)).toMatchObject({ reason: 'ServerNotAllowed' });
    expect(addressRefusal('10.20.0.1', 443, p, true)).toBeUndefined();
  });

  it('refuses an address outside the allowed ranges for a name that matched no allowed suffix', () => {
    const p = policy({ allowed: '10.20.0.0/16,.example.com' });
    expect(addressRefusal('10.30.0.1', 443, p, false)).toMatchObject({ reason: 'ServerNotAllowed' });
    expect(addressRefusal('10.20.0.1', 443, p, false)).toBeUndefined();
  });

  it('refuses a denied endpoint but not another port of the same address', () => {
    const p = policy({ allowLoopback: true, denied: '127.0.0.1:4222,[::1]:4222' });
    expect(addressRefusal('127.0.0.1', 4222, p)).toBeDefined();
    expect(addressRefusal('::1', 4222, p)).toBeDefined();
    expect(addressRefusal('127.0.0.1', 4223, p)).toBeUndefined();
  });
});

describe('parsePolicyEntries', () => {
  it('reads CIDRs, addresses, endpoints and names', () => {
    const parsed = parsePolicyEntries(' 10.0.0.0/8, 192.0.2.1 ,fd00::/8, [::1]:4222, nats:4222, .svc.cluster.local,Example.com ');
    expect(parsed.cidrs.map((c) => c.text)).toEqual(['10.0.0.0/8', '192.0.2.1/32', 'fd00::/8']);
    expect(parsed.endpoints).toEqual([{ host: '::1', port: 4222 }, { host: 'nats', port: 4222 }]);
    expect(parsed.names).toEqual(['.svc.cluster.local', 'example.com']);
  });

  it.each(['10.0.0.0/33', 'http://x', 'a b', 'host:99999'])('refuses %s', (entry) => {
    expect(() => parsePolicyEntries(entry)).toThrow();
  });
});
