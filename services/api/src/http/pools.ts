import { Name, PoolList, PoolMap, PoolMapQuery, PoolStatus, PutPoolBody, TenantPoolList, type PoolRecord, type TenantPool, type TenantRecord } from '@netbroker/contracts';
import { isIpamRefused } from '@netbroker/bus';
import type { ApiDeps } from '../deps';
import { notFound, problem } from '../problems';
import { addressesOf } from '../quota';
import { defineRoute, json, links, noContent, pathParams } from './route';

const poolPath = pathParams({ pool: Name });

/** The pools a tenant's projects draw from (project CIDRs, egress addresses, exposures' EIPs). */
const poolsOfTenant = (deps: ApiDeps, tenant: TenantRecord) =>
  new Set([tenant.projectPool ?? deps.config.DEFAULT_PROJECT_POOL, deps.config.EGRESS_POOL_CLOUD, deps.config.EGRESS_POOL_PUBLIC]);

/**
 * Whether a tenant may look at a pool: one its projects draw from, or one it holds an address in
 * (a peering's link network). Any other pool, like one that does not exist, is 404.
 */
async function mayLook(deps: ApiDeps, tenant: TenantRecord, pool: string): Promise<boolean> {
  if (poolsOfTenant(deps, tenant).has(pool)) return true;
  try {
    return (await deps.ipam.lookupPage({ pool, owner: { tenant: tenant.name }, limit: 1 })).items.length > 0;
  } catch (e) {
    if (isIpamRefused(e, 'unknown-pool')) return false;
    throw e;
  }
}

const familyOf = (pool: PoolRecord): 4 | 6 => ((pool.prefixes[0] ?? pool.ranges[0]?.start ?? '').includes(':') ? 6 : 4);

/** A pool as a tenant sees it: no reserved ranges, no allocation count, its own part of the use. */
export const tenantPoolView = ({ pool, utilisation: u }: PoolStatus, own: bigint): TenantPool => ({
  name: pool.name,
  kind: pool.kind,
  family: familyOf(pool),
  prefixes: [...pool.prefixes],
  ranges: pool.ranges.map(({ start, end }) => ({ start, end })),
  utilisation: { total: u.total, used: u.used, own: own.toString(), reserved: u.reserved, free: u.free },
});

/** The ipam's map; its refusals of the window as 422 on `query.cidr`, an unknown pool as 404. */
async function poolMap(deps: ApiDeps, pool: string, query: PoolMapQuery, viewer?: string): Promise<PoolMap> {
  try {
    return await deps.ipam.poolMap({ pool, cidr: query.cidr, cells: query.cells, limit: query.limit, viewer });
  } catch (e) {
    if (isIpamRefused(e, 'unknown-pool')) throw notFound(`pool ${pool}`);
    if (isIpamRefused(e, 'invalid-cidr', 'wrong-family', 'outside-pool')) {
      throw problem('invalid-parameter', e.detail, { errors: [{ path: 'query.cidr', message: e.detail, reason: e.reason }] });
    }
    throw e;
  }
}

const mapDescription =
  "The pool's address space in a window: per cell (4^j cells, the i-th /cellPrefixLength of the window in address order) the thousandths allocated, reserved and free (the rest is outside the pool), the totals in addresses, and the largest blocks first";

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
    method: 'GET',
    url: '/admin/pools/:pool/map',
    auth: 'admin',
    operationId: 'getAdminPoolMap',
    summary: 'The map of a pool: every allocation, named',
    tag: 'admin',
    params: poolPath,
    query: PoolMapQuery,
    responses: { 200: { description: `${mapDescription}, each with its tenant, project and purpose`, schema: PoolMap } },
    problems: ['ipam-unavailable'],
    async handler({ params, query, deps }) {
      return json(200, await poolMap(deps, params.pool, query));
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/pools',
    auth: 'tenant',
    operationId: 'listTenantPools',
    summary: 'List the address pools the tenant may look at, with their utilisation and its own part',
    tag: 'pools',
    responses: {
      200: { description: 'The pools its projects draw from and any it holds an address in, by name (few, set by admins: one page)', schema: TenantPoolList },
    },
    problems: ['ipam-unavailable'],
    async handler({ principal, deps }) {
      const tenant = principal.tenant;
      const [pools, held] = await Promise.all([deps.ipam.listPools(), deps.ipam.lookup({ owner: { tenant: tenant.name } })]);
      const own = new Map<string, bigint>();
      for (const a of held) own.set(a.pool, (own.get(a.pool) ?? 0n) + addressesOf(a.cidr));
      const drawnFrom = poolsOfTenant(deps, tenant);
      const items = pools.filter((p) => drawnFrom.has(p.pool.name) || own.has(p.pool.name)).map((p) => tenantPoolView(p, own.get(p.pool.name) ?? 0n));
      return json(200, { items } satisfies TenantPoolList);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/pools/:pool/map',
    auth: 'tenant',
    operationId: 'getPoolMap',
    summary: "The map of a pool: the tenant's own blocks, the others' only as used",
    tag: 'pools',
    params: poolPath,
    query: PoolMapQuery,
    responses: {
      200: {
        description: `${mapDescription}. \`own\` is the tenant's part of \`allocated\`; \`blocks\` lists only its own allocations (project, purpose): another tenant's use shows as allocated − own, never by name or CIDR`,
        schema: PoolMap,
      },
    },
    problems: ['ipam-unavailable'],
    async handler({ params, query, principal, deps }) {
      if (!(await mayLook(deps, principal.tenant, params.pool))) throw notFound(`pool ${params.pool}`);
      return json(200, await poolMap(deps, params.pool, query, principal.tenant.name));
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
