import { isIP } from 'node:net';
import { Address4, Address6 } from 'ip-address';

// Where a tenant's virtual cluster API server may be (SSRF guard). Pure: the caller resolves names
// and asks again for every resolved address, at connect time.

/** A range of addresses, one family. */
export interface Cidr {
  family: 4 | 6;
  text: string;
  net: Address4 | Address6;
}

/** `host:port`: one endpoint denied while its address as a whole may be allowed (loopback in development). */
export interface Endpoint {
  host: string;
  port: number;
}

export interface ServerPolicy {
  /** Empty: any address outside `denied`; otherwise the server must match one of these. */
  allowed: { cidrs: Cidr[]; suffixes: string[] };
  /** Operator entries and netbroker's own infrastructure (host apiserver, NATS, its own addresses). */
  denied: { cidrs: Cidr[]; names: string[]; endpoints: Endpoint[] };
  /** Development only (`npm start`, tests): loopback addresses and `localhost` may be used. */
  allowLoopback: boolean;
}

export type ServerRefusal = { reason: 'ServerNotAllowed'; message: string };

const LOOPBACK = ['127.0.0.0/8', '::1/128'];
/** Never a tenant's API server: unspecified, link-local (cloud metadata 169.254.169.254, fd00:ec2::254), multicast, reserved. */
const ALWAYS_DENIED = [
  '0.0.0.0/8',
  '169.254.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '100.100.100.200/32',
  '::/128',
  'fe80::/10',
  'ff00::/8',
  'fd00:ec2::254/128',
];
const METADATA_NAMES = ['metadata.google.internal', 'metadata.goog', 'instance-data.ec2.internal'];

/** `10.0.0.0/8`, `fd00::/8` or a single address; throws on anything else. */
export function parseCidr(text: string): Cidr {
  const trimmed = text.trim();
  const withPrefix = trimmed.includes('/') ? trimmed : `${trimmed}/${trimmed.includes(':') ? 128 : 32}`;
  if (withPrefix.includes(':')) {
    if (!Address6.isValid(withPrefix)) throw new Error(`not a CIDR: ${JSON.stringify(text)}`);
    return { family: 6, text: withPrefix, net: new Address6(withPrefix) };
  }
  if (!Address4.isValid(withPrefix)) throw new Error(`not a CIDR: ${JSON.stringify(text)}`);
  return { family: 4, text: withPrefix, net: new Address4(withPrefix) };
}

const BUILT_IN = { always: ALWAYS_DENIED.map(parseCidr), loopback: LOOPBACK.map(parseCidr) };

/** An IPv6 address carrying an IPv4 one (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`) is judged as that IPv4 too. */
function embeddedV4(address: Address6): string | undefined {
  if (address.isInSubnet(new Address6('::ffff:0:0/96')) || address.isInSubnet(new Address6('64:ff9b::/96'))) return address.to4().correctForm();
  return undefined;
}

function inAny(ip: string, cidrs: readonly Cidr[]): Cidr | undefined {
  const v6 = ip.includes(':');
  const address = v6 ? new Address6(ip) : new Address4(ip);
  return cidrs.find((c) => (c.family === 6) === v6 && (v6 ? (address as Address6).isInSubnet(c.net as Address6) : (address as Address4).isInSubnet(c.net as Address4)));
}

const normalizeName = (name: string) => name.toLowerCase().replace(/\.$/, '');
const stripBrackets = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** `example.com` matches `.example.com` and `example.com`; `.example.com` matches only names under it. */
export function matchesSuffix(name: string, suffix: string): boolean {
  const n = normalizeName(name);
  const s = normalizeName(suffix);
  return s.startsWith('.') ? n.endsWith(s) : n === s || n.endsWith(`.${s}`);
}

const refuse = (message: string): ServerRefusal => ({ reason: 'ServerNotAllowed', message });

/**
 * Whether one address (an IP literal or a resolved one) may be connected to on `port`.
 * `nameAllowed`: the server's name matched an allowed suffix, so the allowed CIDRs need not hold it.
 */
export function addressRefusal(ip: string, port: number, policy: ServerPolicy, nameAllowed = false): ServerRefusal | undefined {
  const address = stripBrackets(ip);
  if (!isIP(address)) return refuse('the address is not an IP address');
  const v4 = address.includes(':') ? embeddedV4(new Address6(address)) : undefined;
  for (const candidate of v4 ? [address, v4] : [address]) {
    if (inAny(candidate, BUILT_IN.always)) return refuse('link-local, multicast, unspecified and cloud metadata addresses are never allowed');
    if (!policy.allowLoopback && inAny(candidate, BUILT_IN.loopback)) return refuse('loopback addresses are not allowed');
    if (inAny(candidate, policy.denied.cidrs)) return refuse('the address belongs to netbroker or the host cluster, or the operator denied it');
    if (policy.denied.endpoints.some((e) => stripBrackets(e.host) === candidate && e.port === port)) {
      return refuse('the endpoint is netbroker or the host cluster');
    }
  }
  const { allowed } = policy;
  if (nameAllowed || (allowed.cidrs.length === 0 && allowed.suffixes.length === 0)) return undefined;
  if ([address, ...(v4 ? [v4] : [])].some((candidate) => inAny(candidate, allowed.cidrs))) return undefined;
  return refuse('the address is outside the ranges this installation allows for virtual clusters');
}

/** The outcome of looking at a server URL before any name is resolved. */
export type ServerCheck =
  | { ok: true; host: string; port: number; /** An IP literal: no resolution. */ literal: boolean; nameAllowed: boolean }
  | { ok: false; refusal: ServerRefusal };

/**
 * Whether `server` (an https URL, already sanitised) may be reached at all: IP literals are judged
 * whole; names by the deny list and the allowed suffixes, their addresses later at connect time.
 */
export function checkServer(server: string, policy: ServerPolicy): ServerCheck {
  const url = new URL(server);
  const host = stripBrackets(url.hostname);
  const port = url.port ? Number(url.port) : 443;
  if (isIP(host)) {
    const refusal = addressRefusal(host, port, policy);
    return refusal ? { ok: false, refusal } : { ok: true, host, port, literal: true, nameAllowed: false };
  }
  const name = normalizeName(host);
  if (!policy.allowLoopback && matchesSuffix(name, 'localhost')) return { ok: false, refusal: refuse('localhost is not allowed') };
  if (METADATA_NAMES.includes(name)) return { ok: false, refusal: refuse('cloud metadata names are never allowed') };
  if (policy.denied.names.some((denied) => matchesSuffix(name, denied))) return { ok: false, refusal: refuse('the name belongs to netbroker or the host cluster, or the operator denied it') };
  if (policy.denied.endpoints.some((e) => normalizeName(e.host) === name && e.port === port)) return { ok: false, refusal: refuse('the endpoint is netbroker or the host cluster') };
  const { allowed } = policy;
  const nameAllowed = allowed.suffixes.some((suffix) => matchesSuffix(name, suffix));
  if (!nameAllowed && allowed.suffixes.length > 0 && allowed.cidrs.length === 0) {
    return { ok: false, refusal: refuse('the name is outside the domains this installation allows for virtual clusters') };
  }
  return { ok: true, host: name, port, literal: false, nameAllowed };
}

/** `host:port` or `[v6]:port`, undefined when `text` is not one. */
export function parseEndpoint(text: string): Endpoint | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+):(\d{1,5})$/i.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? { host: normalizeName(stripBrackets(match[1]!)), port } : undefined;
}

/**
 * One operator list (comma-separated) into policy entries: CIDRs or addresses, `host:port`
 * endpoints, or DNS names (a leading dot: only names under it). Throws on anything else.
 */
export function parsePolicyEntries(list: string): { cidrs: Cidr[]; names: string[]; endpoints: Endpoint[] } {
  const out = { cidrs: [] as Cidr[], names: [] as string[], endpoints: [] as Endpoint[] };
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const endpoint = parseEndpoint(raw);
    if (isIP(stripBrackets(raw)) || raw.includes('/')) out.cidrs.push(parseCidr(stripBrackets(raw)));
    else if (endpoint) out.endpoints.push(endpoint);
    else if (/^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(raw)) out.names.push(normalizeName(raw));
    else throw new Error(`not a CIDR, host:port or DNS name: ${JSON.stringify(raw)}`);
  }
  return out;
}
