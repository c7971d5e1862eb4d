// Ingress host names: normalisation, per-tenant suffix allowlists and NATS KV claim keys. Pure.

/** Host names compare case-insensitively and without the root dot. */
export const normalizeHostname = (host: string): string => host.toLowerCase().replace(/\.$/, '');

/** An allowlist entry is a domain: a leading `*.` or `.` adds nothing (`*.example.com` = `example.com`). */
const normalizeSuffix = (suffix: string): string => normalizeHostname(suffix).replace(/^\*?\./, '');

/** `*` only as the whole leftmost label, as Kubernetes accepts it (`*.example.com`). */
const wildcardWellPlaced = (host: string): boolean => !host.includes('*') || (host.startsWith('*.') && host.lastIndexOf('*') === 0);

/**
 * Whether a tenant may claim `host` under its suffix allowlist. An empty list allows every name;
 * suffix `example.com` allows `example.com`, `a.example.com` and `*.example.com` (every name the
 * wildcard covers is under the suffix), never `badexample.com`; `*.example.com` is not allowed by
 * suffix `a.example.com`, which covers only part of it.
 */
export function hostnameAllowed(host: string, suffixes: readonly string[]): boolean {
  if (suffixes.length === 0) return true;
  const name = normalizeHostname(host);
  if (!wildcardWellPlaced(name)) return false;
  return suffixes
    .map(normalizeSuffix)
    .some((suffix) => suffix !== '' && !suffix.includes('*') && (name === suffix || name.endsWith(`.${suffix}`)));
}

/** Characters kept as they are in a claim key; every other one is written `_` + two hex digits per UTF-8 byte. */
const PLAIN = /^[-a-z0-9]$/;

function claimKeyChar(ch: string, previous: string | undefined, last: boolean): string {
  // A NATS key may not start or end with `.`, nor hold an empty token (`..`).
  const plainDot = ch === '.' && previous !== undefined && previous !== '.' && !last;
  if (PLAIN.test(ch) || plainDot) return ch;
  return [...Buffer.from(ch, 'utf8')].map((b) => `_${b.toString(16).padStart(2, '0')}`).join('');
}

/**
 * The NATS KV key token of a host name claim (allowed: `[-/_=.a-zA-Z0-9]`): the normalised name
 * with letters, digits, `-` and inner dots kept and everything else escaped as `_XX` (UTF-8 hex),
 * so `*.example.com` becomes `_2a.example.com`. Reversible with `hostnameFromClaimKey`.
 */
export function hostnameClaimKey(host: string): string {
  const chars = [...normalizeHostname(host)];
  return chars.map((ch, i) => claimKeyChar(ch, chars[i - 1], i === chars.length - 1)).join('');
}

/** The normalised host name a claim key was made from. */
export const hostnameFromClaimKey = (key: string): string =>
  key.replace(/(?:_[0-9a-f]{2})+/g, (run) => Buffer.from(run.replaceAll('_', ''), 'hex').toString('utf8'));
