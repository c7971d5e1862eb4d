import { problemStatus, RouterErrorReason } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { pathParamNames } from './http/route';
import { routes } from './http/routes';
import { buildOpenApi, openApiPath, problemCodesOf } from './openapi';

type Schema = Record<string, unknown>;
interface Operation {
  operationId: string;
  parameters?: Array<{ name: string; in: string; required: boolean; schema: Schema }>;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { headers?: Record<string, unknown>; links?: Record<string, { operationId: string; parameters: Record<string, string> }> }>;
}

describe('the route table', () => {
  it('has one operation id and one method+path per route', () => {
    expect(new Set(routes.map((r) => r.operationId)).size).toBe(routes.length);
    expect(new Set(routes.map((r) => `${r.method} ${openApiPath(r.url)}`)).size).toBe(routes.length);
  });

  it.each(routes.filter((r) => r.body).map((r) => [r.operationId, r] as const))('%s has an example its body schema accepts', (_id, route) => {
    expect(route.example).toBeDefined();
    expect(route.body!.safeParse(route.example).success).toBe(true);
  });

  it('lets only the docs be public', () => {
    expect(routes.filter((r) => r.auth === 'public').map((r) => r.url)).toEqual(['/openapi.json']);
    expect(routes.filter((r) => r.url.startsWith('/admin')).every((r) => r.auth === 'admin')).toBe(true);
    expect(routes.filter((r) => r.url.startsWith('/v1')).every((r) => r.auth === 'tenant')).toBe(true);
  });
});

describe('buildOpenApi', () => {
  const doc = buildOpenApi(routes, { title: 't', version: '1' }) as {
    info: { description: string };
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Schema>; responses: Record<string, { headers: Record<string, unknown> }> };
  };
  const operationOf = (route: (typeof routes)[number]) => doc.paths[openApiPath(route.url)]![route.method.toLowerCase()]!;

  it('documents every problem status a route can answer', () => {
    for (const route of routes) {
      const statuses = Object.keys(operationOf(route).responses);
      if (route.auth !== 'public') expect(statuses).toEqual(expect.arrayContaining(['401', '403', '500']));
      if (route.body) expect(statuses).toEqual(expect.arrayContaining(['400', '413', '415', '422']));
      expect(problemCodesOf(route)).toContain('internal');
    }
  });

  it('names components after the contracts, requests in their input form', () => {
    const create = doc.components.schemas.CreateProjectRequest!;
    expect(create.required).toEqual(['name', 'egressNetworkType']);
    expect(create.additionalProperties).toBe(false);
    expect(doc.components.schemas.Problem).toBeDefined();
    expect(JSON.stringify(doc)).not.toContain('$schema');
  });
});

describe('the exact contract', () => {
  const doc = buildOpenApi(routes, { title: 't', version: '1' }) as {
    info: { description: string };
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Schema>; responses: Record<string, { headers: Record<string, unknown> }> };
  };
  const operationOf = (route: (typeof routes)[number]) => doc.paths[openApiPath(route.url)]![route.method.toLowerCase()]!;
  const withParams = routes.filter((r) => r.params);

  it.each(withParams.map((r) => [r.operationId, r] as const))('%s states the pattern and length of every path parameter', (_id, route) => {
    const params = operationOf(route).parameters!.filter((p) => p.in === 'path');
    expect(params.map((p) => p.name).sort()).toEqual(pathParamNames(route.url).sort());
    for (const p of params) {
      expect(p.schema.pattern, p.name).toEqual(expect.any(String));
      // A pattern bounds the length, or maxLength does: never longer than the router reads (100).
      const bounded = typeof p.schema.maxLength === 'number' || !/[*+]|\{\d+,\}/.test(String(p.schema.pattern));
      expect(bounded, p.name).toBe(true);
    }
  });

  it.each(withParams.map((r) => [r.operationId, r] as const))('%s documents 414 and 400 (what the router refuses)', (_id, route) => {
    expect(Object.keys(operationOf(route).responses)).toEqual(expect.arrayContaining(['400', '414']));
  });

  it('documents 503 on every authenticated operation and 429 on every tenant one', () => {
    for (const route of routes.filter((r) => r.auth !== 'public')) expect(Object.keys(operationOf(route).responses)).toContain('503');
    for (const route of routes.filter((r) => r.auth === 'tenant')) expect(Object.keys(operationOf(route).responses)).toContain('429');
  });

  it('documents 503 with Retry-After exactly on the operations that ask ipam or the router', () => {
    const askingIpam = routes.filter((r) => problemCodesOf(r).includes('ipam-unavailable')).map((r) => r.operationId);
    expect(askingIpam.sort()).toEqual(['createProject', 'deletePool', 'getAdminPoolMap', 'getPoolMap', 'listPools', 'listTenantPools', 'putPool']);
    const askingRouter = routes.filter((r) => problemCodesOf(r).includes('unavailable')).map((r) => r.operationId);
    expect(askingRouter.sort()).toEqual(
      [
        'acceptPeering',
        'addRoutes',
        'attachPrivateNetwork',
        'createPeering',
        'deletePeering',
        'deletePrivateNetwork',
        'detachPrivateNetwork',
        'putPrivateNetwork',
        'removeRoutes',
        'replaceRoutes',
      ].sort(),
    );
    const asking = [...askingIpam, ...askingRouter];
    for (const route of routes) {
      const unavailable = operationOf(route).responses['503'];
      if (asking.includes(route.operationId)) expect(unavailable?.headers, route.operationId).toHaveProperty('Retry-After');
      else expect(unavailable?.headers, route.operationId).toBeUndefined();
    }
  });

  it('answers 422 only where the document can say why: schemas, and three bodies whose content it cannot describe', () => {
    const stated = new Set(['invalid-body', 'invalid-parameter']);
    const refusedAsWhole: Record<string, string[]> = { registerVCluster: ['invalid-kubeconfig'], createMappings: ['invalid-mapping'], putPool: ['invalid-request'] };
    const byRouter = (c: string) => RouterErrorReason.safeParse(c).success;
    for (const route of routes) {
      const unprocessable = problemCodesOf(route).filter((c) => problemStatus[c] === 422 && !stated.has(c) && !byRouter(c));
      expect(unprocessable, route.operationId).toEqual(refusedAsWhole[route.operationId] ?? []);
    }
  });

  it("answers the router's refusals (their status the router's table) only on the operations that ask the router", () => {
    for (const route of routes) {
      const refusals = problemCodesOf(route).filter((c) => RouterErrorReason.safeParse(c).success);
      if (refusals.length) expect(problemCodesOf(route), route.operationId).toContain('unavailable');
    }
  });

  it('documents conditional GETs: every GET under /v1 and /admin takes If-None-Match, tags its 200 and may answer 304', () => {
    for (const route of routes) {
      const op = operationOf(route);
      const conditional = route.method === 'GET' && route.url !== '/openapi.json';
      expect(Object.keys(op.responses).includes('304'), route.operationId).toBe(conditional);
      expect(op.parameters?.some((p) => p.in === 'header' && p.name === 'If-None-Match') ?? false, route.operationId).toBe(conditional);
      if (conditional) {
        expect(op.responses['200']!.headers, route.operationId).toMatchObject({ ETag: { required: true }, 'Cache-Control': { schema: { const: 'private, no-cache' } } });
        expect(op.responses['304']!.headers, route.operationId).toHaveProperty('ETag');
      }
    }
    expect(doc.info.description).toMatch(/strong `ETag`/);
  });

  it('documents 405 with an Allow header once, for every path', () => {
    expect(doc.components.responses.MethodNotAllowed!.headers).toHaveProperty('Allow');
    expect(doc.info.description).toMatch(/405 `method-not-allowed` with an `Allow` header/);
  });

  it('reads a merge patch as JSON', () => {
    for (const route of routes.filter((r) => r.method === 'PATCH')) {
      expect(Object.keys(operationOf(route).requestBody!.content)).toEqual(['application/json', 'application/merge-patch+json']);
    }
  });

  it('links only to operations that exist, filling exactly their path parameters', () => {
    const byId = new Map(routes.map((r) => [r.operationId, r]));
    const links = routes.flatMap((r) => Object.values(operationOf(r).responses).flatMap((res) => Object.values(res.links ?? {})));
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) {
      const target = byId.get(link.operationId);
      expect(target, link.operationId).toBeDefined();
      expect(Object.keys(link.parameters).sort()).toEqual(pathParamNames(target!.url).sort());
    }
  });

  it('keeps the address patterns in one component each', () => {
    expect(doc.components.schemas.Cidr!.pattern).toEqual(expect.any(String));
    expect(doc.components.schemas.IpAddress!.pattern).toEqual(expect.any(String));
    expect(JSON.stringify(doc.paths)).not.toContain('25[0-5]');
    const window = operationOf(routes.find((r) => r.operationId === 'getPoolMap')!).parameters!.find((p) => p.name === 'cidr')!;
    expect(window).toMatchObject({ in: 'query', required: false, schema: { $ref: '#/components/schemas/Cidr' }, description: expect.stringMatching(/overlaps the pool/) });
  });
});
