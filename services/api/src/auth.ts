import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TenantRecord } from '@netbroker/contracts';
import { problem } from './problems';
import type { ApiView } from './view';

export type Auth = 'admin' | 'tenant' | 'public';

export type Principal = { kind: 'admin' } | { kind: 'tenant'; tenant: TenantRecord; tokenId: string };
export type TenantPrincipal = Extract<Principal, { kind: 'tenant' }>;

export const TOKEN_PREFIX = 'nbt_';

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A new tenant token: `nbt_` + 32 random bytes (base64url). Only its hash is stored. */
export function newTenantToken(): { token: string; hash: string; id: string } {
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: sha256Hex(token), id: `tok_${randomBytes(8).toString('hex')}` };
}

/** Constant-time comparison of two secrets of any length: equal-length digests are compared. */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

const unauthenticated = (detail: string) => problem('unauthenticated', detail, { headers: { 'www-authenticate': 'Bearer realm="netbroker"' } });

/** Who is calling: the admin token, or a tenant token whose tenant still exists (in the view, read after the request's barrier). 401 otherwise. */
export function authenticate(header: string | undefined, adminToken: string, view: Pick<ApiView, 'principal'>): Principal {
  if (header === undefined) throw unauthenticated('a bearer token is required');
  const match = /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/.exec(header.trim());
  if (!match) throw unauthenticated('the Authorization header must be "Bearer <token>"');
  const token = match[1]!;
  if (sameSecret(token, adminToken)) return { kind: 'admin' };
  if (!token.startsWith(TOKEN_PREFIX)) throw unauthenticated('the token is not valid');
  const found = view.principal(sha256Hex(token));
  if (!found) throw unauthenticated('the token is not valid');
  return { kind: 'tenant', tenant: found.tenant, tokenId: found.token.id };
}

/** Admin routes only for the admin token, tenant routes only for tenant tokens. */
export function authorize(auth: Auth, principal: Principal): void {
  if (auth === 'admin' && principal.kind !== 'admin') throw problem('forbidden', 'this route needs the admin token');
  if (auth === 'tenant' && principal.kind !== 'tenant') throw problem('forbidden', 'this route needs a tenant token; admins act through /admin');
}

/** Who did it, for facts: never the token itself. */
export const actorOf = (principal: Principal): string => (principal.kind === 'admin' ? 'admin' : `tenant:${principal.tenant.name}/token:${principal.tokenId}`);

/**
 * Who asked, for the router's records and facts: `tenant:<name>` or `admin`. Not the token id:
 * a peering's `createdBy` and `acceptedBy` are read by the other side's tenant too.
 */
export const routerActor = (principal: Principal): string => (principal.kind === 'admin' ? 'admin' : `tenant:${principal.tenant.name}`);
