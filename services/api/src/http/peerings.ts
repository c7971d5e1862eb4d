import { CreatePeeringRequest, ListQuery, pageOf, Peering, PeeringId, PeeringList, routerReasonsOf, type PeeringRecord } from '@netbroker/contracts';
import { routerActor } from '../auth';
import type { ApiDeps } from '../deps';
import { isProblem, notFound, problem } from '../problems';
import { growingProject } from './network';
import { defineRoute, json, links, PAGE_DESCRIPTION, pathParams } from './route';

// VPC peerings between two projects (Kube-OVN's model: non-transitive, overlap-free). The
// requester's tenant creates one; a peering within one tenant is accepted at once, one with
// another tenant's project waits in PendingAcceptance until that tenant accepts. Either side
// deletes. The router writes the records (`router-peerings`); a tenant sees the peerings it is a
// side of, and any other id is 404 like one that does not exist.

const peeringPath = pathParams({ id: PeeringId });

export function peeringView(p: PeeringRecord): Peering {
  return {
    id: p.id,
    requester: { tenant: p.requester.tenant, project: p.requester.project },
    accepter: { tenant: p.accepter.tenant, project: p.accepter.project },
    state: p.state,
    ...(p.link ? { link: { cidr: p.link.cidr, requester: p.link.requester, accepter: p.link.accepter } } : {}),
    conditions: p.conditions,
    createdAt: p.createdAt,
    createdBy: p.createdBy,
    ...(p.acceptedAt !== undefined ? { acceptedAt: p.acceptedAt } : {}),
    ...(p.acceptedBy !== undefined ? { acceptedBy: p.acceptedBy } : {}),
  };
}

const isSide = (p: PeeringRecord, tenant: string) => p.requester.tenant === tenant || p.accepter.tenant === tenant;

/** A peering the tenant is a side of, as the view has it; 404 otherwise (whether it exists does not show). */
function visiblePeering(deps: ApiDeps, tenant: string, id: string): PeeringRecord {
  const found = deps.view.peering(id);
  if (!found || !isSide(found, tenant)) throw notFound(`peering ${id}`);
  return found;
}

/** The router's record from its reply, else the view's once it holds the write. */
async function peeringAfter(deps: ApiDeps, id: string, written: PeeringRecord | undefined): Promise<PeeringRecord> {
  if (written) return written;
  await deps.view.current();
  const found = deps.view.peering(id);
  if (!found) throw new Error(`the router answered peering ${id} without its record, and the bucket has none`);
  return found;
}

export const peeringRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/peerings',
    auth: 'tenant',
    operationId: 'createPeering',
    summary:
      "Peer a project of the tenant with another project (`peer.tenant` defaults to the caller's). Within one tenant the peering is accepted at once; with another tenant's project it stays PendingAcceptance until that tenant accepts. Non-transitive: a peer's peers are not reached.",
    tag: 'peerings',
    body: CreatePeeringRequest,
    example: { project: 'web', peer: { tenant: 'other-tenant', project: 'db' } },
    responses: {
      201: {
        description: 'Requested (or, within one tenant, accepted): the router programs it once both sides have accepted (follow `state`)',
        schema: Peering,
        headers: ['location'],
        links: links({ id: '$response.body#/id' }, 'getPeering', 'acceptPeering', 'deletePeering'),
      },
    },
    problems: ['project-deleting', ...routerReasonsOf['peering.create'], 'unavailable'],
    async handler({ body, principal, deps }) {
      const tenant = principal.tenant.name;
      // The body names the project: one the tenant does not have is the router's unknown-project.
      const project = await growingProject(deps, tenant, body.project).catch((e: unknown) => {
        if (isProblem(e) && e.code === 'not-found') throw problem('unknown-project', `project ${body.project} not found`);
        throw e;
      });
      const done = await deps.router.run({
        op: 'peering.create',
        actor: routerActor(principal),
        tenant,
        project: project.name,
        peer: { tenant: body.peer.tenant ?? tenant, project: body.peer.project },
        ...(body.localConnectIP !== undefined ? { localConnectIP: body.localConnectIP } : {}),
      });
      if (!done.peering) throw new Error('the router answered peering.create without the peering');
      return json(201, peeringView(done.peering), { location: `/v1/peerings/${done.peering.id}` });
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/peerings',
    auth: 'tenant',
    operationId: 'listPeerings',
    summary: 'List the peerings the tenant is a side of (requester or accepter), by id, a page at a time',
    tag: 'peerings',
    query: ListQuery,
    responses: { 200: { description: PAGE_DESCRIPTION, schema: PeeringList } },
    async handler({ query, principal, deps }) {
      const page = pageOf(deps.view.peeringIdsOfTenant(principal.tenant.name), query);
      const items = page.keys.flatMap((id) => {
        const p = deps.view.peering(id);
        return p && isSide(p, principal.tenant.name) ? [peeringView(p)] : [];
      });
      return json(200, { items, ...page.next } satisfies PeeringList);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/peerings/:id',
    auth: 'tenant',
    operationId: 'getPeering',
    summary: 'Get a peering the tenant is a side of: its state, link and conditions',
    tag: 'peerings',
    params: peeringPath,
    responses: { 200: { description: 'The peering', schema: Peering } },
    problems: ['not-found'],
    async handler({ params, principal, deps }) {
      return json(200, peeringView(visiblePeering(deps, principal.tenant.name, params.id)));
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/peerings/:id/accept',
    auth: 'tenant',
    operationId: 'acceptPeering',
    summary: "Accept a peering another tenant's project asked for (only the accepter's tenant; once): the router allocates its link and programs it",
    tag: 'peerings',
    params: peeringPath,
    responses: { 200: { description: 'Accepted: follow `state`', schema: Peering } },
    problems: ['not-found', ...routerReasonsOf['peering.accept'], 'unavailable'],
    async handler({ params, principal, deps }) {
      const tenant = principal.tenant.name;
      visiblePeering(deps, tenant, params.id);
      const done = await deps.router.run({ op: 'peering.accept', actor: routerActor(principal), tenant, id: params.id });
      return json(200, peeringView(await peeringAfter(deps, params.id, done.peering)));
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/peerings/:id',
    auth: 'tenant',
    operationId: 'deletePeering',
    summary: 'Delete a peering (either side): it shows Deleting until the router has removed its routes and link, then is gone',
    tag: 'peerings',
    params: peeringPath,
    responses: { 202: { description: 'Deletion requested; the peering is unprogrammed asynchronously' } },
    problems: ['not-found', ...routerReasonsOf['peering.delete'], 'unavailable'],
    async handler({ params, principal, deps }) {
      const tenant = principal.tenant.name;
      visiblePeering(deps, tenant, params.id);
      await deps.router.run({ op: 'peering.delete', actor: routerActor(principal), tenant, id: params.id });
      return { status: 202 };
    },
  }),
];
