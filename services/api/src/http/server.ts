import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ClosedConnectionError, ConnectionError, DrainingConnectionError, NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { isBusUnavailable, isTransient } from '@netbroker/bus';
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { authenticate, authorize, TOKEN_PREFIX, type Principal } from '../auth';
import type { ApiDeps } from '../deps';
import { problemReply, type Reply } from '../idempotency';
import { isProblem, problem, ProblemError } from '../problems';
import { allowedMethods } from './allow';
import { etagOnSend } from './etag';
import { portal, portalDir } from './portal';
import { MAX_PATH_SEGMENT, type Route } from './route';

/** fastify's own errors (body parsing, limits) and NATS outages as problems; anything else is unknown. */
export function knownProblem(err: unknown, bodyLimit: number): ProblemError | undefined {
  if (isProblem(err)) return err;
  if (isBusUnavailable(err)) return new ProblemError('dependency-unavailable', 'the message bus (NATS) did not store the write in time (no quorum or an election); retry later', {}, { cause: err });
  for (const kind of [TimeoutError, ClosedConnectionError, DrainingConnectionError, ConnectionError, NoRespondersError, RequestError]) {
    if (err instanceof kind) return new ProblemError('dependency-unavailable', 'the message bus (NATS) is unavailable; retry later', {}, { cause: err });
  }
  // A read JetStream could not answer now (no leader, no quorum, API 503): no retry policy wraps reads.
  if (isTransient(err)) return new ProblemError('dependency-unavailable', 'JetStream could not answer the read now (an election, or no quorum); retry later', {}, { cause: err });
  const { code, statusCode } = (err ?? {}) as { code?: unknown; statusCode?: unknown };
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('payload-too-large', `the body is larger than ${bodyLimit} bytes`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem('unsupported-media-type', 'send the body as application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem('malformed-json', 'the body is not valid JSON');
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) return problem('bad-request', 'the request cannot be read');
  return undefined;
}

function send(reply: FastifyReply, answer: Reply): FastifyReply {
  reply.code(answer.status);
  const { 'content-type': type, ...headers } = answer.headers ?? {};
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  if (answer.body === undefined) return reply.send();
  return reply.type(type ?? 'application/json; charset=utf-8').send(JSON.stringify(answer.body));
}

const idempotencyKeyOf = (req: FastifyRequest): string | undefined => {
  const header = req.headers['idempotency-key'];
  return Array.isArray(header) ? header.join(',') : header;
};

/**
 * The HTTP server of the route table: authentication, rate limit and authorization before the
 * body is read; problem+json for every failure; the docs (static OpenAPI document) at /docs.
 */
export async function buildServer(deps: ApiDeps, routes: Route[], document: Record<string, unknown>) {
  const { config, view, limiter } = deps;
  const allow = allowedMethods(routes);
  /** No route for this method and path: 405 with `Allow` when the path has routes, else 404. */
  const unrouted = (req: FastifyRequest): ProblemError => {
    const path = req.url.split('?')[0]!;
    const methods = allow(path);
    if (methods.length === 0) return problem('not-found', `no route ${req.method} ${path.slice(0, 200)}`);
    return problem('method-not-allowed', `${req.method} is not served on ${path.slice(0, 200)}; it serves ${methods.join(', ')}`, {
      headers: { allow: methods.join(', ') },
    });
  };
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // The document lists every operation: HEAD is not one of them (405, like any other method).
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: MAX_PATH_SEGMENT },
    // What the router refuses before any route runs, as problems.
    frameworkErrors: (err, _req, reply) => {
      const answer =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? problem('uri-too-long', `a path segment is longer than ${MAX_PATH_SEGMENT} characters`)
          : problem('bad-request', 'the request path cannot be read (percent-encoding)');
      return send(reply, problemReply(answer));
    },
  });
  // JSON only (and its merge-patch form for PATCH): anything else is 415.
  app.removeContentTypeParser(['text/plain']);
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  const principals = new WeakMap<FastifyRequest, Principal>();

  app.setErrorHandler((err, req, reply) => {
    // A request no route serves fails in fastify's own body handling (QUERY without a body, a
    // body of an unknown type): its answer is still the routing one.
    if (req.is404) return send(reply, problemReply(unrouted(req)));
    let known = knownProblem(err, config.BODY_LIMIT_BYTES);
    if (known && known.status >= 500) req.log.warn({ err: known.cause ?? known, code: known.code, route: req.routeOptions.url }, known.detail);
    if (!known) {
      const correlationId = randomUUID();
      req.log.error({ err, correlationId, method: req.method, route: req.routeOptions.url }, 'unexpected error');
      known = problem('internal', `an unexpected error occurred; quote correlation id ${correlationId}`, { correlationId });
    }
    return send(reply, problemReply(known));
  });
  app.setNotFoundHandler((req, reply) => send(reply, problemReply(unrouted(req))));
  app.addHook('onResponse', async (req, reply) => {
    const principal = principals.get(req);
    req.log.info(
      {
        method: req.method,
        route: req.routeOptions.url ?? 'unknown',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        ...(principal ? { principal: principal.kind === 'admin' ? 'admin' : principal.tenant.name } : {}),
      },
      'request',
    );
  });

  app.addHook('onSend', etagOnSend);

  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(portal, { dir: portalDir(config.PORTAL_DIR) });

  /** When each request came (performance.now()): a missing answer is confirmed by a barrier asked for after it. */
  const arrivals = new WeakMap<FastifyRequest, number>();
  /** A read asked with `Cache-Control: no-cache` (HTTP's "revalidate with the origin") takes a barrier. */
  const wantsCurrent = (req: FastifyRequest) => /(^|,)\s*no-cache\s*(,|$)/i.test(String(req.headers['cache-control'] ?? ''));
  /** Runs `answer` once more after a barrier when it said "missing" from a view no barrier confirmed since the request came. */
  const confirmMissing = async <T>(req: FastifyRequest, answer: () => Promise<T> | T, missing: (e: unknown) => boolean): Promise<T> => {
    try {
      return await answer();
    } catch (e) {
      if (!missing(e) || view.confirmedSince(arrivals.get(req) ?? 0)) throw e;
      await view.current();
      return answer();
    }
  };
  const notFound = (e: unknown) => isProblem(e) && e.code === 'not-found';
  /** A tenant token the view does not know (it may be a moment old); not a malformed header or a wrong admin token. */
  const unknownToken = (req: FastifyRequest) => (e: unknown) =>
    isProblem(e) && e.code === 'unauthenticated' && (req.headers.authorization ?? '').trim().startsWith(`Bearer ${TOKEN_PREFIX}`);

  for (const route of routes) {
    const guard = async (req: FastifyRequest) => {
      arrivals.set(req, performance.now());
      // A write reads exact data (one barrier over every bucket of the view); a read, data at
      // most READ_STALENESS_MS old (view.ts).
      if (route.method !== 'GET' || wantsCurrent(req)) await view.current();
      else await view.recent(config.READ_STALENESS_MS);
      const principal = await confirmMissing(req, () => authenticate(req.headers.authorization, config.NETBROKER_ADMIN_TOKEN, view), unknownToken(req));
      if (principal.kind === 'tenant') {
        const take = limiter.take(principal.tenant.name, Date.now());
        if (!take.ok) {
          throw problem('rate-limited', `more than ${config.RATE_LIMIT_PER_SECOND} requests per second; retry after ${take.retryAfterSeconds} s`, {
            headers: { 'retry-after': String(take.retryAfterSeconds) },
          });
        }
      }
      authorize(route.auth, principal);
      principals.set(req, principal);
    };
    app.route({
      method: route.method,
      url: route.url,
      onRequest: route.auth === 'public' ? [] : [guard],
      handler: async (req, reply) => {
        const principal = principals.get(req);
        const raw = { params: req.params, query: req.query, body: req.body };
        const run = () => route.handle(raw, principal, deps, document);
        if (route.method === 'GET') return send(reply, await confirmMissing(req, run, notFound));
        const key = idempotencyKeyOf(req);
        const answer =
          route.method === 'POST' && key !== undefined
            ? await deps.idempotency.run(principal?.kind === 'tenant' ? principal.tenant.name : '_admin', key, { method: req.method, url: req.url, body: req.body }, run)
            : await run();
        // Read your writes: the answer leaves once this replica's view holds what the write
        // stored, so a GET sent after it needs no barrier of its own. (A refusal is thrown: it wrote nothing.)
        await view.current().catch((err: unknown) => req.log.warn({ err }, 'read barrier after a write failed: a read right after it may not see it yet'));
        return send(reply, answer);
      },
    });
  }
  return app;
}
