import { describe, expect, it } from 'vitest';
import { routes } from '../../services/api/src/http/routes';
import { buildOpenApi, openApiPath } from '../../services/api/src/openapi';
import { checkRequest, type OpenApiDocument } from '../test/openapi-check';
import { loginChecks, requestsOf, samples } from '../test/samples';
import { calls, httpOf, type ApiRequest, type Call, type CallName } from './calls';
import { commands, wordsOf } from './commands';
import { parseCommandLine } from './parse';
import { isRetried } from './retry';

// The CLI against the API's own contract: the OpenAPI document built in-process from the api's
// route table (as services/api/src/openapi.spec.ts builds it), and the route table's zod schemas
// (what the server parses requests with). Every request the CLI can make, built from command lines
// the way the CLI builds it, must be an operation of the document with the parameters and body
// fields it declares, and must pass the route's own schemas.

const doc = buildOpenApi(routes, { title: 'netbroker', version: '1' }) as unknown as OpenApiDocument;

const all = [...samples.flatMap((line) => requestsOf(line).map((request) => [line, request] as const)), ...loginChecks.map((check) => ['login', check] as const)];

const routeOf = (name: CallName) => routes.find((r) => r.method === calls[name].method && openApiPath(r.url) === calls[name].path);

describe('the call table against the API', () => {
  it('is covered by the samples: every call and every command that calls the API', () => {
    expect(new Set(all.map(([, r]) => r.call))).toEqual(new Set(Object.keys(calls)));
    const local = ['login', 'config', 'completion', 'version', 'help'];
    const sampled = new Set(samples.map((line) => wordsOf(parseCommandLine(line.split(' ')).command!)));
    expect(commands.filter((c) => !local.includes(c.verb)).map(wordsOf).filter((w) => !sampled.has(w))).toEqual([]);
  });

  it.each(Object.keys(calls) as CallName[])('%s is the operation of that name in the route table', (name) => {
    const route = routeOf(name);
    expect(route, `${calls[name].method} ${calls[name].path}`).toBeDefined();
    expect(route!.operationId).toBe(name);
    expect(route!.auth, 'the token the call is made with').toBe((calls[name] as Call).auth ?? 'tenant');
    expect(Boolean(route!.body), 'sends a body exactly where the route reads one').toBe('body' in calls[name]);
  });

  it.each((Object.keys(calls) as CallName[]).filter((name) => isRetried({ call: name })))(
    '%s: the document takes the Idempotency-Key the CLI sends with it (and retries with)',
    (name) => {
      const op = doc.paths[calls[name].path]?.[calls[name].method.toLowerCase()];
      expect(op?.parameters?.filter((p) => p.in === 'header').map((p) => p.name)).toContain('Idempotency-Key');
    },
  );

  it.each(all)('%s: the document declares what it sends', (_line, request) => {
    expect(checkRequest(doc, request)).toEqual([]);
  });

  it.each(all)("%s: passes the route's own schemas", (_line, request) => {
    const route = routeOf(request.call)!;
    if (route.params) expect(route.params.safeParse(request.params ?? {}).error).toBeUndefined();
    if (route.query) expect(route.query.safeParse(request.query ?? {}).error).toBeUndefined();
    if (route.body) expect(route.body.safeParse(request.body).error).toBeUndefined();
  });

  it('finds a call the document does not serve, and a field it does not declare', () => {
    const moved = { ...doc, paths: { ...doc.paths, '/v1/projects': {} } };
    expect(checkRequest(moved, { call: 'listProjects' })).toEqual(['listProjects (GET /v1/projects): not in the document']);
    const body = { name: 'web', egressNetworkType: 'cloud', egress: 'cloud' };
    expect(checkRequest(doc, { call: 'createProject', body })).toEqual(['createProject (POST /v1/projects): body egress: not a property in the document']);
    expect(checkRequest(doc, { call: 'addRoutes', params: { project: 'web' }, body: { routes: [{ destination: '10.0.0.0/8', via: '10.0.0.1' }] } })).toEqual([
      'addRoutes (POST /v1/projects/{project}/routes:add): body routes[0].via: not a property in the document',
    ]);
    // A body whose schema has alternatives (PutPoolBody: prefixes or ranges) is still held to its fields.
    expect(checkRequest(doc, { call: 'putPool', params: { pool: 'p' }, body: { kind: 'prefix', prefix: ['10.0.0.0/8'] } })).toEqual([
      'putPool (PUT /admin/pools/{pool}): body prefix: not a property in the document',
    ]);
  });
});

describe('httpOf', () => {
  it.each([
    [{ call: 'getProject', params: { project: 'web' } }, 'GET', '/v1/projects/web'],
    [{ call: 'getProject', params: { project: '../admin/tenants' } }, 'GET', '/v1/projects/..%2Fadmin%2Ftenants'],
    [{ call: 'getProject', params: { project: 'a b?c#d' } }, 'GET', '/v1/projects/a%20b%3Fc%23d'],
    [{ call: 'listProjects', query: { limit: '500', continue: 'd2Vi' } }, 'GET', '/v1/projects?limit=500&continue=d2Vi'],
    [{ call: 'addRoutes', params: { project: 'web' }, body: { routes: [] } }, 'POST', '/v1/projects/web/routes:add'],
    [{ call: 'acceptPeering', params: { id: 'pr-0123456789ab' } }, 'POST', '/v1/peerings/pr-0123456789ab/accept'],
  ] as Array<[ApiRequest, string, string]>)('%j is %s %s, each path parameter percent-encoded', (request, method, path) => {
    expect(httpOf(request)).toMatchObject({ method, path });
  });

  it('refuses a parameter the path does not have, or one it misses (a bug, not input)', () => {
    expect(() => httpOf({ call: 'getProject' })).toThrow('no value for {project}');
    expect(() => httpOf({ call: 'listProjects', params: { project: 'x' } })).toThrow('no path parameter project');
    expect(() => httpOf({ call: 'getProject', params: { project: 'x' }, query: { limit: '1' } })).toThrow('no query parameter limit');
  });
});
