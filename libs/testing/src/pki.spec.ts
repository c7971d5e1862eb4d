import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { issueCertificate } from './pki';

describe('issueCertificate', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const ca = issueCertificate({ cn: 'test CA', kind: 'ca', now });

  it('makes a self-signed CA', () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=test CA');
    expect(cert.verify(cert.publicKey)).toBe(true);
  });

  it('issues a server certificate for its addresses and names, signed by the CA, valid a day', () => {
    const cert = new X509Certificate(issueCertificate({ cn: 'nats', kind: 'server', hosts: ['127.0.0.1', 'localhost'], issuer: ca, now }).certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.2')).toBeUndefined();
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(now.getTime());
    expect(new Date(cert.validTo).getTime()).toBe(now.getTime() + 24 * 3_600_000);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('issues a client certificate for client authentication only', () => {
    const cert = new X509Certificate(issueCertificate({ cn: 'svc', kind: 'client', issuer: ca, now }).certPem);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.verify(new X509Certificate(issueCertificate({ cn: 'other CA', kind: 'ca', now }).certPem).publicKey)).toBe(false);
  });

  it.each([
    ['a leading zero byte', '00017f'],
    ['leading zero bytes before a high bit', '000080ff'],
    ['a high bit', '80'],
    ['zero', '00'],
  ])('writes the serial number in shortest DER whatever it is: %s', (_, hex) => {
    const cert = new X509Certificate(issueCertificate({ cn: 'svc', kind: 'client', issuer: ca, now, serial: Buffer.from(hex, 'hex') }).certPem);
    expect(BigInt(`0x${cert.serialNumber}`)).toBe(BigInt(`0x${hex}`));
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
  });
});
