import {
  CreateMappingRequest,
  ListQuery,
  pageOf,
  Mapping,
  mappingKey,
  MappingList,
  mappingSubjects,
  projectKey,
  ProjectName,
  type MappingEvent,
  type MappingRecord,
  type MappingSpec,
  type MappingStatus,
  type TenantRecord,
} from '@netbroker/contracts';
import { hostNamespace } from '@netbroker/naming';
import { mappingId, mappingsFromValues, splitRef, validateMapping, type MappingParse } from '@netbroker/translate';
import { z } from 'zod';
import { actorOf } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound, problem } from '../problems';
import { keysOf } from '../store';
import { loadProject } from './projects';
import { defineRoute, json, links, PAGE_DESCRIPTION, pathParams } from './route';

const mappingsPath = pathParams({ project: ProjectName });
const mappingPath = pathParams({ project: ProjectName, id: z.string().regex(/^m[0-9a-f]{16}$/, 'must be a mapping id, m and 16 hex digits') });

const mappingLinks = links({ project: '$request.path.project', id: '$response.body#/items/0/id' }, 'getMapping', 'deleteMapping');

const pending = { ready: false, reason: 'Pending', message: 'the mapper has not reconciled this mapping yet' };

export function mappingView(r: MappingRecord, status: MappingStatus | undefined): Mapping {
  return {
    id: r.id,
    ...r.spec,
    createdAt: r.createdAt,
    status: status ? { ready: status.ready, reason: status.reason, message: status.message, observedAt: status.observedAt } : pending,
  };
}

/** The request as mappings, validated as vcluster does; 422 with every reason otherwise. */
function requestedMappings(body: CreateMappingRequest, hostNs: string): MappingSpec[] {
  const parsed: MappingParse = 'values' in body ? mappingsFromValues(body.values, hostNs) : validateMapping(body, hostNs);
  if (!parsed.ok) {
    throw problem('invalid-mapping', `the mapping is invalid: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors: parsed.errors });
  }
  return parsed.mappings;
}

/** fromHost reads only the project's own host namespace or one the admin put on the tenant's allowlist. */
function checkImports(mappings: MappingSpec[], tenant: TenantRecord, hostNs: string): void {
  for (const m of mappings.filter((x) => x.direction === 'fromHost')) {
    const { namespace } = splitRef(m.from);
    if (namespace !== hostNs && !tenant.importNamespaces.includes(namespace)) {
      throw problem('import-not-allowed', `host namespace ${namespace} is neither the project's (${hostNs}) nor on the tenant's import allowlist`);
    }
  }
}

async function loadMapping(deps: ApiDeps, tenant: string, project: { name: string; uid: string }, id: string) {
  const found = await deps.store.mappings.get(mappingKey(tenant, project.name, id));
  return found && found.value.projectUid === project.uid ? found : undefined;
}

async function withStatus(deps: ApiDeps, r: MappingRecord): Promise<Mapping> {
  return mappingView(r, (await deps.store.mappingStatus.get(mappingKey(r.tenant, r.project, r.id)))?.value);
}

export const mappingRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/projects/:project/mappings',
    auth: 'tenant',
    operationId: 'createMappings',
    summary:
      "Map Services between the project's host namespace and its virtual cluster: {direction, from, to}, or a vcluster values fragment (mapServices / networking.replicateServices) in `values`. Posting an existing mapping again changes nothing.",
    tag: 'mappings',
    params: mappingsPath,
    body: CreateMappingRequest,
    example: { direction: 'fromVirtual', from: 'default/api', to: 'api-public' },
    responses: {
      201: { description: 'Created (some or all); every requested mapping', schema: MappingList, links: mappingLinks },
      200: { description: 'Every requested mapping existed already', schema: MappingList, links: mappingLinks },
    },
    problems: ['not-found', 'invalid-mapping', 'import-not-allowed', 'project-deleting'],
    async handler({ params, body, principal, deps }) {
      const tenant = principal.tenant;
      const project = await loadProject(deps, tenant.name, params.project);
      if (project.deletionRequestedAt !== undefined) throw problem('project-deleting', `project ${project.name} is being deleted`);
      const hostNs = hostNamespace(tenant.name, project.name);
      const specs = requestedMappings(body, hostNs);
      checkImports(specs, tenant, hostNs);
      let created = 0;
      const items: Mapping[] = [];
      for (const spec of specs) {
        const id = mappingId(spec);
        const existing = await loadMapping(deps, tenant.name, project, id);
        if (existing) {
          items.push(await withStatus(deps, existing.value));
          continue;
        }
        const record: MappingRecord = { v: 1, tenant: tenant.name, project: project.name, projectUid: project.uid, id, spec, createdAt: deps.now().toISOString() };
        const revision = await deps.store.mappings.put(mappingKey(tenant.name, project.name, id), record);
        const event: MappingEvent = { v: 1, tenant: tenant.name, project: project.name, projectUid: project.uid, id, spec, actor: actorOf(principal) };
        await deps.facts.publish(mappingSubjects.created, event, `${project.uid}:mapping:${id}:${revision}`);
        created++;
        items.push(mappingView(record, undefined));
      }
      return json(created > 0 ? 201 : 200, { items } satisfies MappingList);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/projects/:project/mappings',
    auth: 'tenant',
    operationId: 'listMappings',
    summary: "List the project's Service mappings with their status",
    tag: 'mappings',
    params: mappingsPath,
    query: ListQuery,
    responses: { 200: { description: `Mappings by id. ${PAGE_DESCRIPTION}`, schema: MappingList } },
    problems: ['not-found'],
    async handler({ params, query, principal, deps }) {
      const tenant = principal.tenant.name;
      const project = await loadProject(deps, tenant, params.project);
      const page = pageOf((await keysOf(deps.store.mappings, `${projectKey(tenant, project.name)}.*`)).sort(), query);
      const records = await Promise.all(page.keys.map((k) => deps.store.mappings.get(k)));
      const mine = records.flatMap((r) => (r && r.value.projectUid === project.uid ? [r.value] : []));
      return json(200, { items: await Promise.all(mine.map((r) => withStatus(deps, r))), ...page.next } satisfies MappingList);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/projects/:project/mappings/:id',
    auth: 'tenant',
    operationId: 'getMapping',
    summary: 'Get a Service mapping with its status (ready, reason, message)',
    tag: 'mappings',
    params: mappingPath,
    responses: { 200: { description: 'The mapping', schema: Mapping } },
    problems: ['not-found'],
    async handler({ params, principal, deps }) {
      const tenant = principal.tenant.name;
      const project = await loadProject(deps, tenant, params.project);
      const found = await loadMapping(deps, tenant, project, params.id);
      if (!found) throw notFound(`mapping ${params.id}`);
      return json(200, await withStatus(deps, found.value));
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/projects/:project/mappings/:id',
    auth: 'tenant',
    operationId: 'deleteMapping',
    summary: 'Delete a Service mapping; the mapper removes what it created (never an object it does not own)',
    tag: 'mappings',
    params: mappingPath,
    responses: { 202: { description: 'Deleted; the mapped objects are removed asynchronously' } },
    problems: ['not-found'],
    async handler({ params, principal, deps }) {
      const tenant = principal.tenant.name;
      const project = await loadProject(deps, tenant, params.project);
      const found = await loadMapping(deps, tenant, project, params.id);
      if (!found) throw notFound(`mapping ${params.id}`);
      await deps.store.mappings.delete(found.key);
      const event: MappingEvent = { v: 1, tenant, project: project.name, projectUid: project.uid, id: params.id, spec: found.value.spec, actor: actorOf(principal) };
      await deps.facts.publish(mappingSubjects.deleted, event, `${project.uid}:mapping:${params.id}:${found.revision}:deleted`);
      return { status: 202 };
    },
  }),
];
