// Where the portal is: `location.hash` read as a route, and a route written back as a hash.
// Names in a hash are data (anyone can send a link): they are decoded here and only ever shown as
// text or sent percent-encoded in an API path. No token ever goes into a hash. Pure.

export type Route =
  | { view: 'projects' }
  | { view: 'project'; name: string }
  | { view: 'pools' }
  | { view: 'pool'; name: string }
  | { view: 'tenants' }
  | { view: 'not-found'; hash: string };

const decode = (s: string): string | undefined => {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
};

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const parts = path.split('/').filter((p) => p !== '');
  const [first, second, ...rest] = parts;
  const name = second === undefined ? undefined : decode(second);
  if (rest.length === 0) {
    if (first === undefined) return { view: 'projects' };
    if (first === 'projects' && second === undefined) return { view: 'projects' };
    if (first === 'projects' && name) return { view: 'project', name };
    if (first === 'pools' && second === undefined) return { view: 'pools' };
    if (first === 'pools' && name) return { view: 'pool', name };
    if (first === 'tenants' && second === undefined) return { view: 'tenants' };
  }
  return { view: 'not-found', hash: decode(path) ?? path };
}

export function hrefOf(route: Route): string {
  switch (route.view) {
    case 'projects':
      return '#/projects';
    case 'project':
      return `#/projects/${encodeURIComponent(route.name)}`;
    case 'pools':
      return '#/pools';
    case 'pool':
      return `#/pools/${encodeURIComponent(route.name)}`;
    case 'tenants':
      return '#/tenants';
    case 'not-found':
      return '#/';
  }
}

/** An API path with each name percent-encoded: `apiPath`/v1/projects/${name}`` can never leave its segment. */
export const apiPath = (strings: TemplateStringsArray, ...names: string[]): string =>
  strings.reduce((path, s, i) => path + s + (i < names.length ? encodeURIComponent(names[i]!) : ''), '');
