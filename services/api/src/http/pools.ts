import { Name, PoolList, PoolStatus, PutPoolBody } from '@netbroker/contracts';
import { isIpamRefused } from '@netbroker/bus';
import { notFound, problem } from '../problems';
import { defineRoute, json, links, noContent, pathParams } from './route';

const poolPath = pathParams({ pool: Name });

/** Address pools live in the ipam service: these routes proxy to it over NATS request/reply. */
export const poolRoutes = [
  defineRoute({
    method: 'PUT',
    url: '/admin/pools/:pool',
    auth: 'admin',
    operationId: 'putPool',
    summary: 'Create or replace an address pool',
    tag: 'admin',
    params: poolPath,
    invalidParams: 'invalid-parameter',
    body: PutPoolBody,
    example: { kind: 'prefix', prefixes: ['10.0.0.0/8'], presets: ['ovh-mks-free'], defaultPrefixLength: 24 },
    responses: { 200: { description: 'The pool and its utilisation', schema: PoolStatus, links: links({ pool: '$request.path.pool' }, 'deletePool') } },
    problems: ['pool-in-use', 'invalid-request', 'ipam-unavailable'],
    async handler({ params, body, deps }) {
      try {
        return json(200, await deps.ipam.putPool({ ...body, name: params.pool }));
      } catch (e) {
        // Every address of the body has been checked for syntax: what the address manager refuses
        // here is the spec as a whole (families mixed, bounds crossed…), 422 invalid-request.
        if (isIpamRefused(e) && e.reason !== 'pool-in-use') throw problem('invalid-request', e.detail);
        throw e;
      }
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/admin/pools',
    auth: 'admin',
    operationId: 'listPools',
    summary: 'List address pools with their utilisation',
    tag: 'admin',
    responses: { 200: { description: 'Every pool, by name', schema: PoolList } },
    problems: ['ipam-unavailable'],
    async handler({ deps }) {
      return json(200, { items: await deps.ipam.listPools() } satisfies PoolList);
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/admin/pools/:pool',
    auth: 'admin',
    operationId: 'deletePool',
    summary: 'Delete an address pool that holds no allocation',
    tag: 'admin',
    params: poolPath,
    responses: { 204: { description: 'Deleted' } },
    problems: ['not-found', 'pool-in-use', 'ipam-unavailable'],
    async handler({ params, deps }) {
      if (!(await deps.ipam.deletePool(params.pool))) throw notFound(`pool ${params.pool}`);
      return noContent();
    },
  }),
];
