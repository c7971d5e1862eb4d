import type {
  AttachRequest,
  CreatePeeringRequest,
  CreateProjectRequest,
  EgressNetworkType,
  RegisterVClusterRequest,
  Route,
  RoutesRequest,
} from '@netbroker/contracts';
import type { z } from 'zod';

// Every request the CLI makes, in one table: the API's operationId, method, path template (as the
// OpenAPI document spells it) and how the body is built. Nothing else in the CLI names a path.
// cli/src/calls.spec.ts walks this table against the API's own OpenAPI document and route
// schemas, so a call the API does not serve, or a body it would refuse, fails `npm test`.
// Contract types are imported as types only: the CLI does not load the schemas at run time.

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Call {
  method: Method;
  /** `/v1/projects/{project}`: placeholders are filled percent-encoded. */
  path: string;
  /** Query parameters the CLI may send. */
  query?: readonly string[];
  /** Builds the JSON body (typed by the contract's input); absent: no body. */
  body?: (input: never) => unknown;
}

/** The query of every list: the CLI reads every page, as large as the API allows. */
const page = ['limit', 'continue'] as const;

export interface NewProject {
  name: string;
  egress: EgressNetworkType;
  cidr?: string | undefined;
  prefixLength?: number | undefined;
}

export interface NewPeering {
  project: string;
  /** `project` or `tenant/project`. */
  peer: string;
  localConnectIP?: string | undefined;
}

export interface NewRegistration {
  kubeconfig: string;
  name?: string | undefined;
}

const defined = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** `tenant/project` or `project`, as the peering body wants it. */
export function peerOf(ref: string): CreatePeeringRequest['peer'] {
  const slash = ref.indexOf('/');
  return slash < 0 ? { project: ref } : { tenant: ref.slice(0, slash), project: ref.slice(slash + 1) };
}

export const calls = {
  listProjects: { method: 'GET', path: '/v1/projects', query: page },
  getProject: { method: 'GET', path: '/v1/projects/{project}' },
  createProject: {
    method: 'POST',
    path: '/v1/projects',
    body: (p: NewProject): z.input<typeof CreateProjectRequest> =>
      defined({ name: p.name, egressNetworkType: p.egress, cidr: p.cidr, prefixLength: p.prefixLength }),
  },
  deleteProject: { method: 'DELETE', path: '/v1/projects/{project}' },

  listPeerings: { method: 'GET', path: '/v1/peerings', query: page },
  getPeering: { method: 'GET', path: '/v1/peerings/{id}' },
  createPeering: {
    method: 'POST',
    path: '/v1/peerings',
    body: (p: NewPeering): z.input<typeof CreatePeeringRequest> => defined({ project: p.project, peer: peerOf(p.peer), localConnectIP: p.localConnectIP }),
  },
  acceptPeering: { method: 'POST', path: '/v1/peerings/{id}/accept' },
  deletePeering: { method: 'DELETE', path: '/v1/peerings/{id}' },

  getRoutes: { method: 'GET', path: '/v1/projects/{project}/routes' },
  addRoutes: { method: 'POST', path: '/v1/projects/{project}/routes:add', body: (routes: Route[]): z.input<typeof RoutesRequest> => ({ routes }) },
  removeRoutes: { method: 'POST', path: '/v1/projects/{project}/routes:remove', body: (routes: Route[]): z.input<typeof RoutesRequest> => ({ routes }) },
  attachPrivateNetwork: {
    method: 'PUT',
    path: '/v1/projects/{project}/attachments/{network}',
    body: (a: { address?: string | undefined }): z.input<typeof AttachRequest> => defined({ address: a.address }),
  },
  detachPrivateNetwork: { method: 'DELETE', path: '/v1/projects/{project}/attachments/{network}' },
  listTenantPrivateNetworks: { method: 'GET', path: '/v1/private-networks' },

  getVCluster: { method: 'GET', path: '/v1/projects/{project}/vcluster' },
  registerVCluster: {
    method: 'PUT',
    path: '/v1/projects/{project}/vcluster',
    body: (r: NewRegistration): z.input<typeof RegisterVClusterRequest> => ({ kubeconfig: r.kubeconfig, ...(r.name !== undefined ? { options: { name: r.name } } : {}) }),
  },
  deregisterVCluster: { method: 'DELETE', path: '/v1/projects/{project}/vcluster' },

  listMappings: { method: 'GET', path: '/v1/projects/{project}/mappings', query: page },
  listExposures: { method: 'GET', path: '/v1/projects/{project}/exposures', query: page },
  listImports: { method: 'GET', path: '/v1/projects/{project}/imports', query: page },
} as const satisfies Record<string, Call>;

export type CallName = keyof typeof calls;

/** One request: a call of the table, its path parameters, query and (built) body. */
export interface ApiRequest {
  call: CallName;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

/** The page size the CLI asks for (the API's maximum). */
export const PAGE_SIZE = 500;

/** The path parameters of a template, in order. */
export const pathParamsOf = (path: string): string[] => [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!);

/**
 * The method and the path with query of a request: each parameter percent-encoded (a name cannot
 * climb out of its segment), a parameter the template lacks or misses an error (a bug, not input).
 */
export function httpOf(req: ApiRequest): { method: Method; path: string; body?: unknown } {
  const call: Call = calls[req.call];
  const params = req.params ?? {};
  const names = pathParamsOf(call.path);
  const extra = Object.keys(params).filter((k) => !names.includes(k));
  if (extra.length) throw new Error(`${req.call}: no path parameter ${extra.join(', ')}`);
  const path = call.path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${req.call}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
  const query = Object.entries(req.query ?? {});
  const unknown = query.filter(([k]) => !(call.query ?? []).includes(k));
  if (unknown.length) throw new Error(`${req.call}: no query parameter ${unknown.map(([k]) => k).join(', ')}`);
  const search = query.length ? `?${new URLSearchParams(query).toString()}` : '';
  return { method: call.method, path: `${path}${search}`, ...(req.body !== undefined ? { body: req.body } : {}) };
}
