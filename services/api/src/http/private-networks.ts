import { Name, PrivateNetwork, PrivateNetworkList, PutPrivateNetworkRequest, routerReasonsOf, type PrivateNetworkRecord } from '@netbroker/contracts';
import { routerActor } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound } from '../problems';
import { defineRoute, json, links, noContent, pathParams } from './route';

// Private networks (a vRack VLAN, an on-prem range behind an appliance), the admin's side: which
// exist and which tenants' projects may attach to them. The router writes the records
// (`router-private-networks`) and refuses a network that overlaps a project, another network or
// a reserved range, or a change that would strand an attachment.

const networkPath = pathParams({ name: Name });

export const privateNetworkView = (n: PrivateNetworkRecord): PrivateNetwork => ({
  name: n.name,
  cidr: n.cidr,
  gateway: n.gateway,
  tenants: [...n.tenants],
  ...(n.description !== undefined ? { description: n.description } : {}),
});

async function networkAfter(deps: ApiDeps, name: string, written: PrivateNetworkRecord | undefined): Promise<PrivateNetworkRecord> {
  if (written) return written;
  await deps.view.current();
  const found = deps.view.privateNetwork(name);
  if (!found) throw new Error(`the router answered private network ${name} without its record, and the bucket has none`);
  return found;
}

export const privateNetworkRoutes = [
  defineRoute({
    method: 'GET',
    url: '/admin/private-networks',
    auth: 'admin',
    operationId: 'listPrivateNetworks',
    summary: 'List private networks with the tenants each admits',
    tag: 'admin',
    responses: { 200: { description: 'Every private network, by name (few, set by admins: one page)', schema: PrivateNetworkList } },
    async handler({ deps }) {
      const items = deps.view.privateNetworkNames().flatMap((name) => {
        const n = deps.view.privateNetwork(name);
        return n ? [privateNetworkView(n)] : [];
      });
      return json(200, { items } satisfies PrivateNetworkList);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/admin/private-networks/:name',
    auth: 'admin',
    operationId: 'getPrivateNetwork',
    summary: 'Get a private network',
    tag: 'admin',
    params: networkPath,
    responses: { 200: { description: 'The private network', schema: PrivateNetwork } },
    problems: ['not-found'],
    async handler({ params, deps }) {
      const found = deps.view.privateNetwork(params.name);
      if (!found) throw notFound(`private network ${params.name}`);
      return json(200, privateNetworkView(found));
    },
  }),
  defineRoute({
    method: 'PUT',
    url: '/admin/private-networks/:name',
    auth: 'admin',
    operationId: 'putPrivateNetwork',
    summary:
      'Create or replace a private network: its CIDR (IPv4), its gateway (a host of it, never given to a project router) and the tenants whose projects may attach. Refused when it overlaps a project, another network or a reserved range, or when the change would leave an attached project outside it.',
    tag: 'admin',
    params: networkPath,
    invalidParams: 'invalid-parameter',
    body: PutPrivateNetworkRequest,
    example: { cidr: '192.168.100.0/24', gateway: '192.168.100.1', tenants: ['acme'], description: 'vRack VLAN 100' },
    responses: { 200: { description: 'The private network', schema: PrivateNetwork, links: links({ name: '$request.path.name' }, 'getPrivateNetwork', 'deletePrivateNetwork') } },
    problems: [...routerReasonsOf['network.put'], 'unavailable'],
    async handler({ params, body, principal, deps }) {
      const done = await deps.router.run({ op: 'network.put', actor: routerActor(principal), spec: { ...body, name: params.name } });
      return json(200, privateNetworkView(await networkAfter(deps, params.name, done.network)));
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/admin/private-networks/:name',
    auth: 'admin',
    operationId: 'deletePrivateNetwork',
    summary: 'Delete a private network no project is attached to',
    tag: 'admin',
    params: networkPath,
    responses: { 204: { description: 'Deleted' } },
    problems: ['not-found', ...routerReasonsOf['network.delete'], 'unavailable'],
    async handler({ params, principal, deps }) {
      await deps.router.run({ op: 'network.delete', actor: routerActor(principal), name: params.name });
      return noContent();
    },
  }),
];
