import { PATH_PARAM, type Method } from './route';

const order: Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** A route URL (`/v1/projects/:project`, `…/routes::add`) as a regular expression over request paths. */
const pathRegExp = (url: string) =>
  new RegExp(
    `^${url
      .split(PATH_PARAM)
      .map((part, i) => (i % 2 === 1 ? '[^/]+' : part.replaceAll('::', ':').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );

/**
 * The methods the route table serves on a request path, in a fixed order: what a 405 lists in
 * `Allow`. Empty for a path no route has (a 404). Path parameters match any non-empty segment,
 * as the router does: the method is judged before the parameters are.
 */
export function allowedMethods(routes: ReadonlyArray<{ method: Method; url: string }>): (path: string) => Method[] {
  const byUrl = new Map<string, { pattern: RegExp; methods: Set<Method> }>();
  for (const { method, url } of routes) {
    const entry = byUrl.get(url) ?? { pattern: pathRegExp(url), methods: new Set<Method>() };
    entry.methods.add(method);
    byUrl.set(url, entry);
  }
  const entries = [...byUrl.values()];
  return (path) => {
    const methods = new Set(entries.filter((e) => e.pattern.test(path)).flatMap((e) => [...e.methods]));
    return order.filter((m) => methods.has(m));
  };
}
