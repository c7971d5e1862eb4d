import { randomUUID } from 'node:crypto';
import {
  CreateProjectRequest,
  ListQuery,
  pageOf,
  ProjectName,
  Project,
  ProjectDetail,
  projectKey,
  ProjectList,
  projectSubjects,
  type AllocateRequest,
  type EgressNetworkType,
  type ProjectEvent,
  type ProjectRecord,
  type TenantRecord,
} from '@netbroker/contracts';
import { isConflict, isIpamRefused } from '@netbroker/bus';
import { hostNamespace } from '@netbroker/naming';
import { actorOf } from '../auth';
import { updateWithRetry } from '../cas';
import type { ApiDeps } from '../deps';
import { notFound, problem } from '../problems';
import { networkOf } from '../network-view';
import { projectView } from '../project-view';
import { readable } from '../view';
import { addressesOf, familyOf, usageByPool } from '../quota';
import { defineRoute, json, links, PAGE_DESCRIPTION, pathParams } from './route';

export const projectPath = pathParams({ project: ProjectName });

/** A project of the tenant as of now (from the followed view); 404 when it has none of that name. */
export async function loadProject(deps: ApiDeps, tenant: string, name: string): Promise<ProjectRecord> {
  const record = deps.view.project(projectKey(tenant, name));
  if (!record) throw notFound(`project ${name}`);
  return record;
}

async function view(deps: ApiDeps, record: ProjectRecord) {
  return projectView(record, deps.view.statusOf(projectKey(record.tenant, record.name)));
}

const egressPoolOf = (deps: ApiDeps) => (type: EgressNetworkType) => (type === 'cloud' ? deps.config.EGRESS_POOL_CLOUD : deps.config.EGRESS_POOL_PUBLIC);

/** 403 when the tenant's address quota of the project pool or the egress pool would be exceeded. */
async function checkAddressQuota(deps: ApiDeps, tenant: TenantRecord, body: CreateProjectRequest, pool: string, block: string): Promise<void> {
  const limits = tenant.quotas.maxAddressesPerPool;
  const egressPool = egressPoolOf(deps)(body.egressNetworkType);
  if (limits[pool] === undefined && limits[egressPool] === undefined) return;
  const [allocations, names] = await Promise.all([deps.ipam.lookup({ owner: { tenant: tenant.name } }), deps.view.projectNames(tenant.name)]);
  const projects = names.flatMap((n) => deps.view.projects.get(projectKey(tenant.name, n)) ?? []);
  let defaultBlock = addressesOf(block);
  if (body.cidr !== undefined || body.prefixLength !== undefined) {
    // The pool's default block, for projects that asked for none: what a dry run without a size
    // picks (refused, e.g. no default block is free now: the block asked for stands in).
    const probe = await deps.ipam.allocate(dryRun(tenant.name, body.name, pool, {})).catch((e: unknown) => {
      if (isIpamRefused(e)) return undefined;
      throw e;
    });
    if (probe) defaultBlock = addressesOf(probe.cidr);
  }
  const usage = usageByPool({
    allocations,
    projects,
    projectPool: pool,
    egressPool: egressPoolOf(deps),
    family: familyOf(block),
    defaultBlock,
  });
  const wanted: Array<[string, bigint]> = [
    [pool, addressesOf(block)],
    [egressPool, 1n],
  ];
  for (const [name, more] of wanted) {
    const limit = limits[name];
    const used = usage.get(name) ?? 0n;
    if (limit !== undefined && used + more > BigInt(limit)) {
      throw problem('quota-exceeded', `pool ${name}: the tenant holds ${used} addresses, this project needs ${more} more, the quota is ${limit}`);
    }
  }
}

const dryRun = (tenant: string, project: string, pool: string, want: { cidr?: string; prefixLength?: number }): Omit<AllocateRequest, 'v'> => ({
  requestId: `dry-run:${randomUUID()}`,
  pool,
  owner: { tenant, project, purpose: 'cidr' },
  ...want,
  dryRun: true,
});

/**
 * ipam not knowing the install's default project pool (DEFAULT_PROJECT_POOL) is the operator's
 * fault, not the tenant's: an unknown error (500 internal, logged). A pool set on the tenant
 * record stays 409 unknown-pool.
 */
const defaultPoolMissing = (tenant: TenantRecord, pool: string) => (e: unknown): never => {
  if (tenant.projectPool === undefined && isIpamRefused(e, 'unknown-pool')) throw new Error(`DEFAULT_PROJECT_POOL ${pool} is not a pool of ipam`, { cause: e });
  throw e;
};

export const projectRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/projects',
    auth: 'tenant',
    operationId: 'createProject',
    summary: 'Create a project (an isolated network with its own CIDR block); provisioning is asynchronous',
    tag: 'projects',
    body: CreateProjectRequest,
    example: { name: 'web', prefixLength: 24, egressNetworkType: 'cloud' },
    responses: {
      202: {
        description: 'Accepted: follow status.conditions at the Location',
        schema: Project,
        headers: ['location'],
        links: links(
          { project: '$response.body#/name' },
          'getProject',
          'registerVCluster',
          'createMappings',
          'listMappings',
          'createExposure',
          'listExposures',
          'listImports',
          'deleteProject',
        ),
      },
    },
    problems: [
      'name-too-long',
      'already-exists',
      'quota-exceeded',
      'wrong-family',
      'prefix-too-large',
      'prefix-too-small',
      'outside-pool',
      'overlaps-reserved',
      'overlaps-allocated',
      'exhausted',
      'unknown-pool',
      'ipam-unavailable',
    ],
    async handler({ body, principal, deps }) {
      const { tenant } = principal;
      const namespace = hostNamespace(tenant.name, body.name);
      if (namespace.length > 63) {
        throw problem('name-too-long', `the host namespace ${namespace} would be ${namespace.length} characters; at most 63`, {
          errors: [{ path: 'name', message: `at most ${63 - tenant.name.length - 1} characters for tenant ${tenant.name}` }],
        });
      }
      const key = projectKey(tenant.name, body.name);
      const existing = deps.view.projectNames(tenant.name);
      if (existing.includes(body.name)) throw problem('already-exists', `project ${body.name} already exists`);
      if (existing.length >= tenant.quotas.maxProjects) {
        throw problem('quota-exceeded', `the tenant has ${existing.length} project(s); the quota is ${tenant.quotas.maxProjects}`);
      }
      const pool = tenant.projectPool ?? deps.config.DEFAULT_PROJECT_POOL;
      const want = { ...(body.cidr !== undefined ? { cidr: body.cidr } : {}), ...(body.prefixLength !== undefined ? { prefixLength: body.prefixLength } : {}) };
      const checked = await deps.ipam.allocate(dryRun(tenant.name, body.name, pool, want)).catch(defaultPoolMissing(tenant, pool));
      await checkAddressQuota(deps, tenant, body, pool, checked.cidr);

      const record: ProjectRecord = {
        v: 1,
        tenant: tenant.name,
        name: body.name,
        uid: randomUUID(),
        generation: 1,
        createdAt: deps.now().toISOString(),
        spec: { ...want, egressNetworkType: body.egressNetworkType },
      };
      try {
        await deps.store.projects.create(key, record);
      } catch (e) {
        if (isConflict(e)) throw problem('already-exists', `project ${body.name} already exists`);
        throw e;
      }
      const event: ProjectEvent = { v: 1, tenant: tenant.name, project: record.name, uid: record.uid, generation: 1, actor: actorOf(principal) };
      await deps.facts.publish(projectSubjects.created, event, `${record.uid}:1`);
      return json(202, projectView(record, undefined), { location: `/v1/projects/${record.name}` });
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/projects',
    auth: 'tenant',
    operationId: 'listProjects',
    summary: 'List projects, by name, a page at a time',
    tag: 'projects',
    query: ListQuery,
    responses: { 200: { description: PAGE_DESCRIPTION, schema: ProjectList } },
    async handler({ query, principal, deps }) {
      const tenant = principal.tenant.name;
      const page = pageOf(deps.view.projectNames(tenant), query);
      const items = page.keys.flatMap((n) => {
        const key = projectKey(tenant, n);
        const record = readable(deps.view.projects, key);
        return record ? [projectView(record, readable(deps.view.status, key))] : [];
      });
      return json(200, { items, ...page.next } satisfies ProjectList);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/projects/:project',
    auth: 'tenant',
    operationId: 'getProject',
    summary: 'Get a project with its status and its network (routes, attachments, peerings)',
    tag: 'projects',
    params: projectPath,
    responses: { 200: { description: 'The project', schema: ProjectDetail } },
    problems: ['not-found'],
    async handler({ params, principal, deps }) {
      const record = await loadProject(deps, principal.tenant.name, params.project);
      return json(200, { ...(await view(deps, record)), network: networkOf(deps.view, record) } satisfies ProjectDetail);
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/projects/:project',
    auth: 'tenant',
    operationId: 'deleteProject',
    summary: 'Request the deletion of a project (the provisioner tears it down); repeating it is harmless',
    tag: 'projects',
    params: projectPath,
    responses: { 202: { description: 'Deletion requested: the project shows deletionRequestedAt until the provisioner has torn it down', schema: Project, headers: ['location'] } },
    problems: ['not-found', 'conflict'],
    async handler({ params, principal, deps }) {
      const key = projectKey(principal.tenant.name, params.project);
      const at = deps.now().toISOString();
      const updated = await updateWithRetry(deps.store.projects, key, ({ value }) =>
        value.deletionRequestedAt !== undefined ? undefined : { ...value, deletionRequestedAt: at, generation: value.generation + 1 },
      );
      if (!updated) throw notFound(`project ${params.project}`);
      const record = updated.after;
      if (updated.changed) {
        const event: ProjectEvent = {
          v: 1,
          tenant: record.tenant,
          project: record.name,
          uid: record.uid,
          generation: record.generation,
          actor: actorOf(principal),
        };
        await deps.facts.publish(projectSubjects.deleteRequested, event, `${record.uid}:${record.generation}`);
      }
      return json(202, await view(deps, record), { location: `/v1/projects/${record.name}` });
    },
  }),
];
