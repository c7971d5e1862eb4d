// IPv4 arithmetic for the router: networks as inclusive ranges of 32-bit numbers. Pure.
// (The router is IPv4-only in v1; an IPv6 text parses to undefined and the caller says so.)

export interface Net4 {
  /** First and last address, as unsigned 32-bit numbers. */
  start: number;
  end: number;
  prefix: number;
}

const OCTETS = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export const isIpv6Text = (text: string) => text.includes(':');

export function parseAddress4(text: string): number | undefined {
  const m = OCTETS.exec(text);
  if (!m) return undefined;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

export const formatAddress4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

const sizeOf = (prefix: number) => 2 ** (32 - prefix);

/** `a.b.c.d/p`, host bits masked (the caller decides whether host bits are allowed). */
function split(text: string): { address: number; prefix: number } | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseAddress4(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (address === undefined || !/^(3[0-2]|[12]?\d)$/.test(prefixText)) return undefined;
  return { address, prefix: Number(prefixText) };
}

const netOf = (address: number, prefix: number): Net4 => {
  const size = sizeOf(prefix);
  const start = address - (address % size);
  return { start, end: start + size - 1, prefix };
};

/** A network in network form (`10.0.0.0/24`); undefined for anything else, host bits set included. */
export function parseNet4(text: string): Net4 | undefined {
  const parts = split(text);
  if (!parts) return undefined;
  const net = netOf(parts.address, parts.prefix);
  return net.start === parts.address ? net : undefined;
}

/** An interface address with its prefix (`198.19.0.1/30`): the address and its network. */
export function parseInterface4(text: string): { address: number; net: Net4 } | undefined {
  const parts = split(text);
  return parts && { address: parts.address, net: netOf(parts.address, parts.prefix) };
}

export const formatNet4 = (net: Net4) => `${formatAddress4(net.start)}/${net.prefix}`;
export const overlaps = (a: Net4, b: Net4) => a.start <= b.end && b.start <= a.end;
export const contains = (net: Net4, address: number) => net.start <= address && address <= net.end;

/** Addresses a host may use: all of a /31 or /32, else all but the network and broadcast address. */
export const isUsableHost = (net: Net4, address: number) =>
  contains(net, address) && (net.prefix >= 31 || (address !== net.start && address !== net.end));

/** The first usable address: a project router's own address on its network (its gateway). */
export const firstHost = (net: Net4) => (net.prefix >= 31 ? net.start : net.start + 1);

/** The other end of a point-to-point link (/30: the other usable host; /31: the other address). */
export function linkPeerAddress(net: Net4, address: number): number | undefined {
  if (net.prefix === 31) return address === net.start ? net.end : net.start;
  if (net.prefix === 30 && isUsableHost(net, address)) return address === net.start + 1 ? net.start + 2 : net.start + 1;
  return undefined;
}
