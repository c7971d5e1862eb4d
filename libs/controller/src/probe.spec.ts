import { describe, expect, it } from 'vitest';
import { ipInCidr, serviceCidrProbe } from './probe';

describe('ipInCidr', () => {
  it.each([
    ['an address inside', '10.96.0.1', '10.96.0.0/16', true],
    ['an address outside', '10.97.0.1', '10.96.0.0/16', false],
    ['IPv6 inside', 'fd00::1', 'fd00::/108', true],
    ['another family', '10.96.0.1', 'fd00::/108', false],
    ['garbage', 'None', '10.96.0.0/16', false],
  ])('%s', (_name, ip, cidr, expected) => {
    expect(ipInCidr(ip, cidr)).toBe(expected);
  });
});

describe('serviceCidrProbe', () => {
  it('accepts a virtual kubernetes Service inside the host service CIDR', () => {
    expect(serviceCidrProbe('10.96.0.1', '10.96.0.0/16')).toEqual({ ok: true });
  });

  it('fails with ServiceCidrMismatch outside it or without a ClusterIP', () => {
    expect(serviceCidrProbe('10.100.0.1', '10.96.0.0/16')).toMatchObject({ ok: false, phase: 'Failed', reason: 'ServiceCidrMismatch' });
    expect(serviceCidrProbe(undefined, '10.96.0.0/16')).toMatchObject({ ok: false, phase: 'Failed', reason: 'ServiceCidrMismatch' });
  });
});
