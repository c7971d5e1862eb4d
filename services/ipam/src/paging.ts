import { fail, Name, ok, pageLimits, type Allocation, type PoolStatus, type Result } from '@netbroker/contracts';
import { parseCidr } from '@netbroker/ipam';

/**
 * A stable order of the records of a list, and its `continue` token: the base64url of the last
 * record's position (its sort key as text). A token names a position, not a record, so a page
 * resumes strictly after it even when that record is gone.
 */
export interface PageOrder<T, P> {
  position(item: T): P;
  compare(a: P, b: P): number;
  /** The position as text; base64url-encoded into the token. */
  text(position: P): string;
  /** The position of a token's text, or why it is none. */
  read(text: string): Result<P>;
}

export interface PageAsked {
  limit?: number;
  continue?: string;
}

export interface Paged<T> {
  items: T[];
  continue?: string;
}

const TOKEN = /^[A-Za-z0-9_-]{1,1024}$/;

export const encodeContinue = <T, P>(order: PageOrder<T, P>, position: P): string => Buffer.from(order.text(position), 'utf8').toString('base64url');

/** The position a token encodes; a token this service did not issue is `invalid-request`. */
export function decodeContinue<T, P>(order: PageOrder<T, P>, token: string): Result<P> {
  const refuse = (why: string) => fail('invalid-request', `continue token '${token.slice(0, 64)}' is not one the ipam issued: ${why}; start again without it`);
  if (!TOKEN.test(token)) return refuse('not base64url');
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (Buffer.from(text, 'utf8').toString('base64url') !== token) return refuse('not base64url of UTF-8 text');
  const position = order.read(text);
  return position.ok ? position : refuse(position.error.message);
}

/**
 * The page of `items` (any order) after the token's position: at most `limit` (default
 * pageLimits.default), sorted, with `continue` when more follow.
 */
export function pageOf<T, P>(order: PageOrder<T, P>, items: Iterable<T>, asked: PageAsked): Result<Paged<T>> {
  let after: P | undefined;
  if (asked.continue !== undefined) {
    const decoded = decodeContinue(order, asked.continue);
    if (!decoded.ok) return decoded;
    after = decoded.value;
  }
  const limit = asked.limit ?? pageLimits.default;
  const rest = [...items]
    .map((item) => ({ item, at: order.position(item) }))
    .filter(({ at }) => after === undefined || order.compare(at, after) > 0)
    .sort((a, b) => order.compare(a.at, b.at));
  const page = rest.slice(0, limit);
  const last = page[page.length - 1];
  return ok({ items: page.map((p) => p.item), ...(rest.length > limit && last ? { continue: encodeContinue(order, last.at) } : {}) });
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function readName(text: string): Result<string> {
  const name = Name.safeParse(text);
  return name.success ? ok(name.data) : fail('invalid-request', `'${text}' is not a pool name`);
}

/** Pools by name; the position is the name. */
export const poolOrder: PageOrder<PoolStatus, string> = {
  position: (p) => p.pool.name,
  compare: byText,
  text: (name) => name,
  read: readName,
};

export interface AllocationPosition {
  pool: string;
  cidr: string;
  start: bigint;
  length: number;
}

function allocationAt(pool: string, cidr: string): Result<AllocationPosition> {
  const parsed = parseCidr(cidr);
  if (!parsed.ok) return parsed;
  return ok({ pool, cidr, start: parsed.value.value, length: parsed.value.length });
}

/**
 * Allocations by pool name, then first address, then prefix length (a pool is of one family and
 * its allocations never overlap, so this is a total order); the position's text is `<pool>/<cidr>`.
 */
export const allocationOrder: PageOrder<Allocation, AllocationPosition> = {
  position: (a) => {
    const at = allocationAt(a.pool, a.cidr);
    if (!at.ok) throw new Error(`allocation ${a.pool}/${a.cidr} has no valid CIDR: ${at.error.message}`);
    return at.value;
  },
  compare: (a, b) => byText(a.pool, b.pool) || (a.start < b.start ? -1 : a.start > b.start ? 1 : a.length - b.length),
  text: (p) => `${p.pool}/${p.cidr}`,
  read: (text) => {
    const slash = text.indexOf('/');
    if (slash < 0) return fail('invalid-request', 'no pool/CIDR in it');
    const pool = readName(text.slice(0, slash));
    return pool.ok ? allocationAt(pool.value, text.slice(slash + 1)) : pool;
  },
};
