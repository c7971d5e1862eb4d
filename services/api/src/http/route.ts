import type { ProblemCode } from '@netbroker/contracts';
import { z } from 'zod';
import type { Auth, Principal, TenantPrincipal } from '../auth';
import type { ApiDeps } from '../deps';
import type { Reply } from '../idempotency';
import { fieldErrors, ipamProblem, problem } from '../problems';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Longest path segment the router reads (fastify's default); a longer one is 414 `uri-too-long`. */
export const MAX_PATH_SEGMENT = 100;

type PrincipalFor<A extends Auth> = A extends 'tenant' ? TenantPrincipal : A extends 'admin' ? { kind: 'admin' } : undefined;

export interface RouteContext<A extends Auth, P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: PrincipalFor<A>;
  deps: ApiDeps;
  /** The OpenAPI document (only the docs route reads it). */
  document: unknown;
}

/** An OpenAPI link: how this answer's values reach another operation's parameters. */
export interface LinkDoc {
  operationId: string;
  /** Parameter name → runtime expression, e.g. `{ project: '$response.body#/name' }`. */
  parameters: Record<string, string>;
}

/** Links to operations that take the same parameters, named after them: `links({ project: '$response.body#/name' }, 'getProject')`. */
export const links = (parameters: Record<string, string>, ...operationIds: string[]): Record<string, LinkDoc> =>
  Object.fromEntries(operationIds.map((operationId) => [operationId.charAt(0).toUpperCase() + operationId.slice(1), { operationId, parameters }]));

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Response headers worth documenting, e.g. `location`. */
  headers?: string[];
  /** What a client does next with this answer (also what drives schemathesis's stateful phase). */
  links?: Record<string, LinkDoc>;
}

interface RouteSpec<A extends Auth, P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** fastify syntax: `/v1/projects/:project`. */
  url: string;
  auth: A;
  operationId: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** A path that does not parse names nothing that exists (404), unless the route creates it (422). */
  invalidParams?: 'not-found' | 'invalid-parameter';
  responses: Record<number, ResponseDoc>;
  /** The route's own problem codes (the common ones are added from auth, method and body). */
  problems?: ProblemCode[];
  /** A valid body: shown in the docs, and used by tests that need any valid request. */
  example?: z.input<B>;
  handler: (ctx: RouteContext<A, z.output<P>, z.output<Q>, z.output<B>>) => Promise<Reply>;
}

export interface RawRequest {
  params: unknown;
  query: unknown;
  body: unknown;
}

/** A route of the table, its types erased: what the server, the OpenAPI document and the tests read. */
export interface Route {
  method: Method;
  url: string;
  auth: Auth;
  operationId: string;
  summary: string;
  tag: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  invalidParams?: 'not-found' | 'invalid-parameter';
  responses: Record<number, ResponseDoc>;
  problems: ProblemCode[];
  example?: unknown;
  handle(raw: RawRequest, principal: Principal | undefined, deps: ApiDeps, document: unknown): Promise<Reply>;
}

function principalFor<A extends Auth>(auth: A, principal: Principal | undefined): PrincipalFor<A> {
  if (auth === 'public') return undefined as PrincipalFor<A>;
  if (principal?.kind !== auth) throw problem('forbidden', 'not allowed with this token');
  return principal as PrincipalFor<A>;
}

/** One route: schemas checked before the handler runs, each failure a problem with every field listed. */
export function defineRoute<A extends Auth, P extends z.ZodType = z.ZodUndefined, Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(
  spec: RouteSpec<A, P, Q, B>,
): Route {
  const { handler, ...meta } = spec;
  return {
    ...meta,
    problems: spec.problems ?? [],
    async handle(raw, principal, deps, document) {
      const who = principalFor(spec.auth, principal);
      const params = spec.params ? spec.params.safeParse(raw.params) : undefined;
      if (params && !params.success) {
        if (spec.invalidParams === 'invalid-parameter') {
          throw problem('invalid-parameter', 'a path parameter is invalid', { errors: fieldErrors(params.error, 'path') });
        }
        throw problem('not-found', 'no such resource');
      }
      const query = spec.query ? spec.query.safeParse(raw.query ?? {}) : undefined;
      if (query && !query.success) throw problem('invalid-parameter', 'a query parameter is invalid', { errors: fieldErrors(query.error, 'query') });
      const body = spec.body ? spec.body.safeParse(raw.body) : undefined;
      if (body && !body.success) {
        const errors = fieldErrors(body.error);
        throw problem('invalid-body', `the body does not match the schema: ${errors.map((e) => e.path).join(', ')}`, { errors });
      }
      try {
        return await handler({
          params: params?.data as z.output<P>,
          query: query?.data as z.output<Q>,
          body: body?.data as z.output<B>,
          principal: who,
          deps,
          document,
        });
      } catch (e) {
        // Here, not at the edge: a refusal is a 4xx problem the idempotency layer replays.
        throw ipamProblem(e);
      }
    },
  };
}

/** The 200 response of every list. */
export const PAGE_DESCRIPTION = 'One page, in order; `continue` is present when there are more (pass it as `?continue=`)';

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, ...(headers ? { headers } : {}) });
export const noContent = (): Reply => ({ status: 204 });

/**
 * A path parameter of a route URL (`:project`). `::` is fastify's escaped colon, a literal `:` in
 * the path (`/v1/projects/:project/routes::add` serves `…/routes:add`).
 */
export const PATH_PARAM = /(?<!:):([A-Za-z0-9_]+)/g;

/** The names of a route URL's path parameters, in order. */
export const pathParamNames = (url: string): string[] => [...url.matchAll(PATH_PARAM)].map((m) => m[1]!);

/** A route URL with each parameter replaced by `fill(name)` and `::` read as the `:` it stands for. */
export const fillUrl = (url: string, fill: (name: string) => string): string =>
  url
    .split(PATH_PARAM)
    .map((part, i) => (i % 2 === 1 ? fill(part) : part.replaceAll('::', ':')))
    .join('');

/** Path parameters of one name each, for the route table. */
export const pathParams = <T extends z.ZodRawShape>(shape: T) => z.object(shape).strict();
