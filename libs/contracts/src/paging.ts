import { z } from 'zod';

/** The most items one page of an API list holds, and how many it holds when the caller does not say. */
export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 50;

/**
 * The query of every API list: `?limit=` items per page and the previous page's `?continue=`.
 * A token is opaque to callers; any token of this alphabet resumes after the position it encodes.
 */
export const ListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_PAGE).optional(),
    /** The previous page's `continue` (opaque; any token of this alphabet resumes after the position it encodes). */
    continue: z.string().regex(/^[A-Za-z0-9_-]{1,512}$/, 'must be the continue token of a previous page').optional(),
  })
  .strict();
export type ListQuery = z.infer<typeof ListQuery>;

/** One page of a list: the items, and `continue` when there are more (pass it as `?continue=`). */
export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    /** Present when there are more: pass it as `?continue=` for the next page. */
    continue: z.string().optional(),
  });

/** The `continue` token: the sort key of the last item of the page, base64url-encoded. */
export const encodeContinue = (after: string): string => Buffer.from(after, 'utf8').toString('base64url');
export const decodeContinue = (token: string): string => Buffer.from(token, 'base64url').toString('utf8');

/**
 * The page of `sortKeys` (sorted ascending, unique) after the query's `continue`, at most its
 * `limit` (default DEFAULT_PAGE), and in `next` the token of the next page when more remain
 * (spread it into the list: `{ items, ...page.next }`). Pure.
 */
export function pageOf(sortKeys: readonly string[], query: ListQuery): { keys: string[]; next: { continue?: string } } {
  const limit = query.limit ?? DEFAULT_PAGE;
  const after = query.continue !== undefined ? decodeContinue(query.continue) : undefined;
  const rest = after === undefined ? sortKeys : sortKeys.filter((k) => k > after);
  const keys = rest.slice(0, limit);
  const last = keys[keys.length - 1];
  return { keys, next: rest.length > limit && last !== undefined ? { continue: encodeContinue(last) } : {} };
}
