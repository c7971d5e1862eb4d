import { describe, expect, it } from 'vitest';
import { allowedMethods } from './allow';
import { routes } from './routes';

describe('allowedMethods', () => {
  const allow = allowedMethods(routes);

  it.each([
    ['/v1/projects', ['GET', 'POST']],
    ['/v1/projects/web', ['GET', 'DELETE']],
    ['/v1/projects/web/vcluster', ['GET', 'PUT', 'DELETE']],
    ['/v1/projects/Not_A_Name', ['GET', 'DELETE']],
    ['/v1/projects/web/exposures/api/grants', ['POST']],
    ['/v1/projects/web/imports/t/p/e/accept', ['POST']],
    ['/admin/pools/projects', ['PUT', 'DELETE']],
    ['/admin/tenants/acme', ['GET', 'PATCH', 'DELETE']],
    ['/openapi.json', ['GET']],
  ])('serves %s with %j', (path, methods) => {
    expect(allow(path)).toEqual(methods);
  });

  it.each(['/v1/projectz', '/v1/projects/', '/v1/projects//vcluster', '/v1/projects/web/unknown', '/openapi_json', '/'])('knows no route at %s', (path) => {
    expect(allow(path)).toEqual([]);
  });
});
