import type {
  AddGrantRequest,
  AttachRequest,
  CreateExposureRequest,
  CreateMappingRequest,
  CreatePeeringRequest,
  CreateProjectRequest,
  CreateTenantRequest,
  CreateTokenRequest,
  EgressNetworkType,
  PutPoolBody,
  PutPrivateNetworkRequest,
  RegisterVClusterRequest,
  Route,
  RoutesRequest,
  UpdateTenantRequest,
} from '@netbroker/contracts';
import type { z } from 'zod';

// Every request the CLI makes, in one table: the API's operationId, method, path template (as the
// OpenAPI document spells it) and how the body is built. Nothing else in the CLI names a path.
// cli/src/calls.spec.ts walks this table against the API's own OpenAPI document and route
// schemas, so a call the API does not serve, or a body it would refuse, fails `npm test`.
// Contract types are imported as types only: the CLI does not load the schemas at run time.

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Call {
  method: Method;
  /** Whose token the API wants: a tenant's (the default) or the admin's (`/admin/...`). */
  auth?: 'admin';
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

export interface NewExposure {
  name?: string | undefined;
  service: string;
  ports: Array<{ port: number; protocol?: 'TCP' | 'UDP' | 'SCTP' }>;
  pool?: EgressNetworkType | undefined;
  shareWith?: string | undefined;
  entryName?: string | undefined;
  grants?: string[] | undefined;
}

export interface NewTenant {
  name: string;
  displayName?: string | undefined;
  maxProjects?: number | undefined;
  projectPool?: string | undefined;
}

export const defined = <T extends Record<string, unknown>>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

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
  replaceRoutes: { method: 'PUT', path: '/v1/projects/{project}/routes', body: (routes: Route[]): z.input<typeof RoutesRequest> => ({ routes }) },
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

  createMappings: {
    method: 'POST',
    path: '/v1/projects/{project}/mappings',
    body: (m: z.input<typeof CreateMappingRequest>): z.input<typeof CreateMappingRequest> => m,
  },
  getMapping: { method: 'GET', path: '/v1/projects/{project}/mappings/{id}' },
  deleteMapping: { method: 'DELETE', path: '/v1/projects/{project}/mappings/{id}' },

  createExposure: {
    method: 'POST',
    path: '/v1/projects/{project}/exposures',
    body: (e: NewExposure): z.input<typeof CreateExposureRequest> =>
      defined({ name: e.name, service: e.service, ports: e.ports, pool: e.pool, shareWith: e.shareWith, entryName: e.entryName, grants: e.grants }),
  },
  getExposure: { method: 'GET', path: '/v1/projects/{project}/exposures/{name}' },
  deleteExposure: { method: 'DELETE', path: '/v1/projects/{project}/exposures/{name}' },
  addGrant: { method: 'POST', path: '/v1/projects/{project}/exposures/{name}/grants', body: (consumer: string): z.input<typeof AddGrantRequest> => ({ project: consumer }) },
  revokeGrant: { method: 'DELETE', path: '/v1/projects/{project}/exposures/{name}/grants/{consumerTenant}/{consumerProject}' },
  acceptImport: { method: 'POST', path: '/v1/projects/{project}/imports/{exporterTenant}/{exporterProject}/{exposure}/accept' },
  declineImport: { method: 'DELETE', path: '/v1/projects/{project}/imports/{exporterTenant}/{exporterProject}/{exposure}' },

  // The admin's calls (the admin token; a tenant token gets 403 forbidden).
  listTenants: { method: 'GET', path: '/admin/tenants', auth: 'admin', query: page },
  getTenant: { method: 'GET', path: '/admin/tenants/{tenant}', auth: 'admin' },
  createTenant: {
    method: 'POST',
    path: '/admin/tenants',
    auth: 'admin',
    body: (t: NewTenant): z.input<typeof CreateTenantRequest> =>
      defined({ name: t.name, displayName: t.displayName, projectPool: t.projectPool, quotas: t.maxProjects !== undefined ? { maxProjects: t.maxProjects } : undefined }),
  },
  updateTenant: {
    method: 'PATCH',
    path: '/admin/tenants/{tenant}',
    auth: 'admin',
    body: (t: z.input<typeof UpdateTenantRequest>): z.input<typeof UpdateTenantRequest> => defined(t),
  },
  deleteTenant: { method: 'DELETE', path: '/admin/tenants/{tenant}', auth: 'admin' },
  listTenantTokens: { method: 'GET', path: '/admin/tenants/{tenant}/tokens', auth: 'admin', query: page },
  createTenantToken: { method: 'POST', path: '/admin/tenants/{tenant}/tokens', auth: 'admin', body: (name: string): z.input<typeof CreateTokenRequest> => ({ name }) },
  revokeTenantToken: { method: 'DELETE', path: '/admin/tenants/{tenant}/tokens/{id}', auth: 'admin' },
  listPools: { method: 'GET', path: '/admin/pools', auth: 'admin' },
  putPool: { method: 'PUT', path: '/admin/pools/{pool}', auth: 'admin', body: (p: z.input<typeof PutPoolBody>): z.input<typeof PutPoolBody> => p },
  deletePool: { method: 'DELETE', path: '/admin/pools/{pool}', auth: 'admin' },
  listPrivateNetworks: { method: 'GET', path: '/admin/private-networks', auth: 'admin' },
  getPrivateNetwork: { method: 'GET', path: '/admin/private-networks/{name}', auth: 'admin' },
  putPrivateNetwork: {
    method: 'PUT',
    path: '/admin/private-networks/{name}',
    auth: 'admin',
    body: (n: z.input<typeof PutPrivateNetworkRequest>): z.input<typeof PutPrivateNetworkRequest> => n,
  },
  deletePrivateNetwork: { method: 'DELETE', path: '/admin/private-networks/{name}', auth: 'admin' },
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

/** What `login` asks to check a token: a tenant token lists projects ... */
export const loginCheck: ApiRequest = { call: 'listProjects', query: { limit: '1' } };
/** ... and the admin token, refused there (403), lists tenants. */
export const adminLoginCheck: ApiRequest = { call: 'listTenants', query: { limit: '1' } };

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
