import { describe, expect, it } from 'vitest';
import { apiPath, hrefOf, parseRoute, type Route } from './routes';

describe('routes', () => {
  it.each<[string, Route]>([
    ['', { view: 'projects' }],
    ['#/', { view: 'projects' }],
    ['#/projects', { view: 'projects' }],
    ['#/projects/web', { view: 'project', name: 'web' }],
    ['#/projects/web/', { view: 'project', name: 'web' }],
    ['#/pools', { view: 'pools' }],
    ['#/pools/projects', { view: 'pool', name: 'projects' }],
    ['#/tenants', { view: 'tenants' }],
    ['#/projects/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E', { view: 'project', name: '<img src=x onerror=alert(1)>' }],
    ['#/projects/%E0%A4%A', { view: 'not-found', hash: '/projects/%E0%A4%A' }],
    ['#/nowhere', { view: 'not-found', hash: '/nowhere' }],
    ['#/projects/web/extra', { view: 'not-found', hash: '/projects/web/extra' }],
  ])('reads %j', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it.each<Route>([{ view: 'projects' }, { view: 'project', name: 'web' }, { view: 'project', name: 'a/b?c#d' }, { view: 'pools' }, { view: 'pool', name: 'egress-cloud' }, { view: 'tenants' }])(
    'writes %j back to itself',
    (route) => {
      expect(parseRoute(hrefOf(route))).toEqual(route);
    },
  );

  it('keeps each name in its own path segment', () => {
    const name = '../admin/tenants?x=1#';
    expect(apiPath`/v1/projects/${name}/exposures`).toBe('/v1/projects/..%2Fadmin%2Ftenants%3Fx%3D1%23/exposures');
  });
});
