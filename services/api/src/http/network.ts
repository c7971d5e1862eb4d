import {
  AttachRequest,
  Name,
  ProjectName,
  ProjectRoutes,
  RoutesRequest,
  routerReasonsOf,
  TenantPrivateNetworkList,
  type ProjectRecord,
  type ProjectRoutesRecord,
  type Route,
  type RouterCommand,
  type TenantPrivateNetwork,
} from '@netbroker/contracts';
import { routerActor, type TenantPrincipal } from '../auth';
import type { ApiDeps } from '../deps';
import { routesView } from '../network-view';
import { isProblem, problem } from '../problems';
import { loadProject } from './projects';
import { defineRoute, json, pathParams } from './route';

// A project's router, the tenant's side: static routes (Neutron's `routes` with `add`/`remove`)
// and attachments to the private networks an admin shared with the tenant. The router service
// writes the records (`router-routes`); these routes check the project is the caller's, send it
// one command and answer what it wrote. Peerings are in ./peerings, the admin's private networks
// in ./private-networks.

const routesPath = pathParams({ project: ProjectName });
const attachmentPath = pathParams({ project: ProjectName, network: Name });

/** The router's record from its reply, else (a reply without it) from the view once it holds the write. */
async function routesAfter(deps: ApiDeps, project: ProjectRecord, written: ProjectRoutesRecord | undefined): Promise<ProjectRoutes> {
  if (written) return routesView(written);
  await deps.view.current();
  return routesView(deps.view.routesOf(project.tenant, project.name));
}

/** A project that takes new routes, attachments and peerings: the caller's, not being deleted. */
export async function growingProject(deps: ApiDeps, tenant: string, name: string): Promise<ProjectRecord> {
  const project = await loadProject(deps, tenant, name);
  if (project.deletionRequestedAt !== undefined) throw problem('project-deleting', `project ${project.name} is being deleted`);
  return project;
}

/**
 * One command about `project`, which this api has just read. The router knows a project by its
 * status record (written by the provisioner), so a project created a moment ago, or not yet
 * provisioned, is one it calls unknown: that is a project without a CIDR yet, 409
 * `project-not-ready`, and a command that only takes away finds nothing to take (its empty record).
 */
async function runOnProject(deps: ApiDeps, project: ProjectRecord, command: RouterCommand, shrinking: boolean): Promise<ProjectRoutes> {
  try {
    const done = await deps.router.run(command);
    return await routesAfter(deps, project, done.routes);
  } catch (e) {
    if (!isProblem(e) || e.code !== 'unknown-project') throw e;
    if (shrinking) return routesView(deps.view.routesOf(project.tenant, project.name));
    throw problem('project-not-ready', `project ${project.name} has no CIDR yet`);
  }
}

async function changeRoutes(deps: ApiDeps, principal: TenantPrincipal, name: string, mode: 'replace' | 'add' | 'remove', routes: Route[]) {
  // Removing, or clearing, is allowed while the project is being deleted.
  const shrinking = mode === 'remove' || (mode === 'replace' && routes.length === 0);
  const project = shrinking ? await loadProject(deps, principal.tenant.name, name) : await growingProject(deps, principal.tenant.name, name);
  const command: RouterCommand = { op: 'routes', actor: routerActor(principal), tenant: project.tenant, project: project.name, mode, routes };
  return json(200, await runOnProject(deps, project, command, shrinking));
}

/** Every refusal of a routes command, and the router not answering. */
const routeProblems = [...routerReasonsOf.routes, 'unavailable'] as const;
const routesExample = { routes: [{ destination: '192.168.50.0/24', nexthop: '10.0.0.10' }] };

export const networkRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/projects/:project/routes',
    auth: 'tenant',
    operationId: 'getRoutes',
    summary: "The project router's static routes and its attached private networks",
    tag: 'network',
    params: routesPath,
    responses: { 200: { description: 'Routes and attachments (empty lists when none)', schema: ProjectRoutes } },
    problems: ['not-found'],
    async handler({ params, principal, deps }) {
      const project = await loadProject(deps, principal.tenant.name, params.project);
      return json(200, routesView(deps.view.routesOf(project.tenant, project.name)));
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/projects/:project/routes',
    auth: 'tenant',
    operationId: 'replaceRoutes',
    summary:
      'Replace the static routes (the whole list; exact duplicates merged). Each next hop must be on a connected network: the project CIDR or an attached private network. A refusal names the route at fault (`errors[].path` `routes.<index>`) and changes nothing.',
    tag: 'network',
    params: routesPath,
    body: RoutesRequest,
    example: routesExample,
    responses: { 200: { description: 'The routes and attachments now', schema: ProjectRoutes } },
    problems: ['not-found', 'project-deleting', ...routeProblems],
    async handler({ params, body, principal, deps }) {
      return changeRoutes(deps, principal, params.project, 'replace', body.routes);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/projects/:project/routes::add',
    auth: 'tenant',
    operationId: 'addRoutes',
    summary: "Add static routes (Neutron's add_extraroutes): a route already present is merged, the whole list is checked as for PUT",
    tag: 'network',
    params: routesPath,
    body: RoutesRequest,
    example: routesExample,
    responses: { 200: { description: 'The routes and attachments now', schema: ProjectRoutes } },
    problems: ['not-found', 'project-deleting', ...routeProblems],
    async handler({ params, body, principal, deps }) {
      return changeRoutes(deps, principal, params.project, 'add', body.routes);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/projects/:project/routes::remove',
    auth: 'tenant',
    operationId: 'removeRoutes',
    summary: "Remove static routes (Neutron's remove_extraroutes): a route not present is not an error",
    tag: 'network',
    params: routesPath,
    body: RoutesRequest,
    example: routesExample,
    responses: { 200: { description: 'The routes and attachments now', schema: ProjectRoutes } },
    problems: ['not-found', ...routeProblems],
    async handler({ params, body, principal, deps }) {
      return changeRoutes(deps, principal, params.project, 'remove', body.routes);
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/v1/projects/:project/attachments/:network',
    auth: 'tenant',
    operationId: 'attachPrivateNetwork',
    summary:
      "Attach the project's router to a private network shared with the tenant (GET /v1/private-networks), at `address` or the first free host. Attaching again at the same address changes nothing.",
    tag: 'network',
    params: attachmentPath,
    body: AttachRequest,
    example: { address: '192.168.100.10' },
    responses: { 200: { description: 'The routes and attachments now', schema: ProjectRoutes } },
    problems: ['not-found', 'project-deleting', ...routerReasonsOf.attach, 'unavailable'],
    async handler({ params, body, principal, deps }) {
      const tenant = principal.tenant.name;
      const project = await growingProject(deps, tenant, params.project);
      // A network not shared with the tenant is, to it, one that does not exist.
      if (!deps.view.privateNetwork(params.network)?.tenants.includes(tenant)) throw problem('unknown-private-network', `private network ${params.network} not found`);
      const command: RouterCommand = {
        op: 'attach',
        actor: routerActor(principal),
        tenant,
        project: project.name,
        network: params.network,
        ...(body.address !== undefined ? { address: body.address } : {}),
      };
      return json(200, await runOnProject(deps, project, command, false));
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/projects/:project/attachments/:network',
    auth: 'tenant',
    operationId: 'detachPrivateNetwork',
    summary: "Detach the project's router from a private network (refused while a static route's next hop is on it); detaching one not attached changes nothing",
    tag: 'network',
    params: attachmentPath,
    responses: { 200: { description: 'The routes and attachments now', schema: ProjectRoutes } },
    problems: ['not-found', ...routerReasonsOf.detach, 'unavailable'],
    async handler({ params, principal, deps }) {
      const project = await loadProject(deps, principal.tenant.name, params.project);
      const command: RouterCommand = { op: 'detach', actor: routerActor(principal), tenant: project.tenant, project: project.name, network: params.network };
      return json(200, await runOnProject(deps, project, command, true));
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/private-networks',
    auth: 'tenant',
    operationId: 'listTenantPrivateNetworks',
    summary: "The private networks an admin shared with the tenant (its projects' routers may attach to them), by name",
    tag: 'network',
    responses: { 200: { description: 'Every private network shared with the tenant (few, set by admins: one page)', schema: TenantPrivateNetworkList } },
    async handler({ principal, deps }) {
      const tenant = principal.tenant.name;
      const items = deps.view.privateNetworkNames().flatMap((name): TenantPrivateNetwork[] => {
        const n = deps.view.privateNetwork(name);
        if (!n?.tenants.includes(tenant)) return [];
        return [{ name: n.name, cidr: n.cidr, gateway: n.gateway, ...(n.description !== undefined ? { description: n.description } : {}) }];
      });
      return json(200, { items } satisfies TenantPrivateNetworkList);
    },
  }),
];
