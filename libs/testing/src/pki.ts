import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIPv4 } from 'node:net';

// X.509 certificates for test servers with node:crypto alone (it signs, but builds no
// certificates): a small DER writer for the few fields TLS clients and servers check. No openssl.

const tlv = (tag: number, content: Buffer): Buffer => {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
};
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
/** A non-negative INTEGER in DER's shortest form: no redundant leading zero, a zero before a high bit. */
function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1]! < 0x80) start++;
  const minimal = bytes.subarray(start);
  return tlv(0x02, minimal[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal);
}
const bitString = (bytes: Buffer, unusedBits = 0) => tlv(0x03, Buffer.concat([Buffer.from([unusedBits]), bytes]));
const octetString = (bytes: Buffer) => tlv(0x04, bytes);
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
const explicit = (n: number, content: Buffer) => tlv(0xa0 + n, content);
const TRUE = tlv(0x01, Buffer.from([0xff]));

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [a! * 40 + b!];
  for (const n of rest) {
    const base128 = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) base128.unshift((v & 0x7f) | 0x80);
    bytes.push(...base128);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(d: Date): Buffer {
  const two = (n: number) => String(n).padStart(2, '0');
  const text = `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [TRUE] : []), octetString(value));
const KEY_USAGE = { ca: bitString(Buffer.from([0x06]), 1), leaf: bitString(Buffer.from([0x80]), 7) }; // keyCertSign+cRLSign; digitalSignature
const EXT_KEY_USAGE = { server: '1.3.6.1.5.5.7.3.1', client: '1.3.6.1.5.5.7.3.2' };

function subjectAltNames(hosts: readonly string[]): Buffer {
  const entries = hosts.map((h) => (isIPv4(h) ? tlv(0x87, Buffer.from(h.split('.').map(Number))) : tlv(0x82, Buffer.from(h, 'ascii'))));
  return seq(...entries);
}

const pem = (label: string, der: Buffer) => `-----BEGIN ${label}-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;

/** A certificate and its key, both PEM; `key` also as a KeyObject to sign with. */
export interface Certificate {
  certPem: string;
  keyPem: string;
  key: KeyObject;
  cn: string;
}

export interface CertificateSpec {
  cn: string;
  /** A CA (signs others) or a leaf for TLS servers (`hosts` go in subjectAltName) or clients. */
  kind: 'ca' | 'server' | 'client';
  /** IPv4 addresses and DNS names of a server certificate. */
  hosts?: readonly string[];
  /** The signer; none: self-signed. */
  issuer?: Certificate;
  /** Valid from an hour before this instant for a day. */
  now: Date;
  /** Big-endian; 16 random bytes when unset. */
  serial?: Buffer;
}

/** An ECDSA P-256 certificate, signed with SHA-256 by its issuer (or itself). */
export function issueCertificate(spec: CertificateSpec): Certificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serial = spec.serial ?? randomBytes(16);
  const hour = 3_600_000;
  const extensions = [
    extension('2.5.29.19', true, spec.kind === 'ca' ? seq(TRUE) : seq()),
    extension('2.5.29.15', true, spec.kind === 'ca' ? KEY_USAGE.ca : KEY_USAGE.leaf),
    ...(spec.kind === 'ca' ? [] : [extension('2.5.29.37', false, seq(oid(EXT_KEY_USAGE[spec.kind])))]),
    ...(spec.hosts?.length ? [extension('2.5.29.17', false, subjectAltNames(spec.hosts))] : []),
  ];
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ECDSA_SHA256,
    name(spec.issuer?.cn ?? spec.cn),
    seq(utcTime(new Date(spec.now.getTime() - hour)), utcTime(new Date(spec.now.getTime() + 24 * hour))),
    name(spec.cn),
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, spec.issuer?.key ?? privateKey);
  return {
    certPem: pem('CERTIFICATE', seq(tbs, ECDSA_SHA256, bitString(signature))),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    key: privateKey,
    cn: spec.cn,
  };
}
