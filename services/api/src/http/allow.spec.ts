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
    ['/v1/projects/web/routes', ['GET', 'PUT']],
    ['/v1/projects/web/routes:add', ['POST']],
    ['/v1/projects/web/routes:remove', ['POST']],
    ['/v1/projects/web/attachments/vrack', ['PUT', 'DELETE']],
    ['/v1/peerings/pr-0123456789ab/accept', ['POST']],
  ])('serves %s with %j', (path, methods) => {
    expect(allow(path)).toEqual(methods);
  });

  it.each(['/v1/projectz', '/v1/projects/', '/v1/projects//vcluster', '/v1/projects/web/unknown', '/openapi_json', '/', '/v1/projects/web/routes:other', '/v1/projects/web/routes::add'])('knows no route at %s', (path) => {
    expect(allow(path)).toEqual([]);
  });
});
