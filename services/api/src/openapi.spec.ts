import { describe, expect, it } from 'vitest';
import { routes } from './http/routes';
import { buildOpenApi, openApiPath, problemCodesOf } from './openapi';

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
    paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
    components: { schemas: Record<string, Record<string, unknown>> };
  };

  it('documents every problem status a route can answer', () => {
    for (const route of routes) {
      const op = doc.paths[openApiPath(route.url)]![route.method.toLowerCase()]!;
      const statuses = Object.keys(op.responses);
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
