import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

// Conditional GETs (RFC 9110 §8.8.3, §13.1.2): every 200 answer to a GET of the API's own reads
// carries a strong ETag, the hash of the exact body bytes; a request whose If-None-Match names it
// is answered 304 with no body. Strong, not weak: the tag changes with any byte of the body, and
// the body is sent as it was hashed (no compression or re-encoding after this hook), so equal tags
// mean byte-identical answers. The portal's polling and the CLI's --wait send it back.

/** The answers that carry an ETag: GETs under /v1 and /admin (not the docs, not static files). */
export const carriesEtag = (method: string, url: string): boolean => method === 'GET' && /^\/(v1|admin)(\/|\?|$)/.test(url);

/** What a cache may do with them: keep them for this user only, and ask again each time. */
export const ETAG_CACHE_CONTROL = 'private, no-cache';

/** A strong entity tag: 128 bits of the SHA-256 of the body, base64url, quoted. */
export const etagOf = (body: string | Buffer): string => `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;

const entityTag = /(?:W\/)?"([\x21\x23-\x7e\x80-\xff]*)"/g;

/**
 * Whether an If-None-Match header matches `etag`: `*`, or a list of entity tags one of which has
 * the same opaque tag (the weak comparison RFC 9110 prescribes for If-None-Match: `W/` is ignored).
 */
export function ifNoneMatchMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return [...value.matchAll(entityTag)].some((m) => `"${m[1]}"` === opaque);
}

/**
 * The onSend hook: a 200 answer to a GET under /v1 or /admin gets `ETag`, `Cache-Control:
 * private, no-cache` and `Vary: Authorization` (two tokens may read one URL); when the request's
 * If-None-Match matches, the answer becomes 304 with the same headers and no body.
 */
export async function etagOnSend(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (!carriesEtag(req.method, req.url) || reply.statusCode !== 200 || !(typeof payload === 'string' || Buffer.isBuffer(payload))) return payload;
  const etag = etagOf(payload);
  reply.header('etag', etag).header('cache-control', ETAG_CACHE_CONTROL).header('vary', 'Authorization');
  if (!ifNoneMatchMatches(req.headers['if-none-match'], etag)) return payload;
  reply.code(304).removeHeader('content-type');
  return null;
}
