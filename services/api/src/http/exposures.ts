import {
  ListQuery,
  pageOf,
  AddGrantRequest,
  CreateExposureRequest,
  Exposure,
  exposureKey,
  ExposureList,
  ExposureName,
  exposureSubjects,
  grantKey,
  GrantView,
  projectKey,
  ProjectName,
  TenantName,
  type ExposedPort,
  type ExposureEvent,
  type ExposureRecord,
  type ExposureStatus,
  type GrantRecord,
  type ProjectRecord,
} from '@netbroker/contracts';
import { isConflict, type KvRecord } from '@netbroker/bus';
import { placeOnEip } from '@netbroker/translate';
import { actorOf } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound, problem } from '../problems';
import { keysOf } from '../store';
import { loadProject } from './projects';
import { defineRoute, json, links, PAGE_DESCRIPTION, pathParams } from './route';

// Cross-project exposures (the exporter's side): an exposure puts a Service of the project on an
// EIP, grants name the consumer projects. The exposer reconciles the records; the consumer's side
// (imports: accept, decline) is in ./imports.

const exposuresPath = pathParams({ project: ProjectName });
const exposurePath = pathParams({ project: ProjectName, name: ExposureName });
const grantPath = pathParams({ project: ProjectName, name: ExposureName, consumerTenant: TenantName, consumerProject: ProjectName });

export interface ProjectRef {
  tenant: string;
  project: string;
}
export const refText = (r: ProjectRef) => `${r.tenant}/${r.project}`;
const refOf = (p: ProjectRecord): ProjectRef => ({ tenant: p.tenant, project: p.name });
const portText = (p: Required<ExposedPort>) => `${p.port}/${p.protocol}`;

const pendingStatus: Exposure['status'] = { ready: false, reason: 'Pending', message: 'the exposer has not reconciled this exposure yet', consumers: [], policyPeers: [] };

export function statusView(status: ExposureStatus | undefined): Exposure['status'] {
  if (!status) return pendingStatus;
  const { v: _v, virtualEntries: _entries, ...rest } = status;
  return rest;
}

export const grantView = (g: GrantRecord): GrantView => ({
  project: refText(g.consumer),
  state: g.state,
  grantedAt: g.grantedAt,
  ...(g.acceptedAt !== undefined ? { acceptedAt: g.acceptedAt } : {}),
});

export function exposureView(r: ExposureRecord, grants: GrantRecord[], status: ExposureStatus | undefined): Exposure {
  return {
    name: r.name,
    service: r.service,
    ports: r.ports,
    pool: r.pool,
    eipKey: r.eipKey,
    entryName: r.entryName,
    createdAt: r.createdAt,
    grants: grants.map(grantView).sort((a, b) => a.project.localeCompare(b.project)),
    status: statusView(status),
  };
}

export const exposureEvent = (exporter: { tenant: string; project: string; uid: string }, exposure: string, actor: string, consumer?: ProjectRef): ExposureEvent => ({
  v: 1,
  exporter,
  exposure,
  ...(consumer ? { consumer: { tenant: consumer.tenant, project: consumer.project } } : {}),
  actor,
});

/** The message id of a grant fact: the grant's key and the revision it concerns. */
export const grantMsgId = (exporterUid: string, exposure: string, consumer: ProjectRef, revision: number, what: string) =>
  `${exporterUid}:grant:${exposure}:${projectKey(consumer.tenant, consumer.project)}:${revision}:${what}`;

/** The project's exposures: only records of this incarnation of the project (same uid). */
async function projectExposures(deps: ApiDeps, project: ProjectRecord): Promise<ExposureRecord[]> {
  const keys = await keysOf(deps.store.exposures, `${projectKey(project.tenant, project.name)}.*`);
  const records = await Promise.all(keys.map((k) => deps.store.exposures.get(k)));
  return records.flatMap((r) => (r && r.value.projectUid === project.uid ? [r.value] : [])).sort((a, b) => a.name.localeCompare(b.name));
}

async function loadExposure(deps: ApiDeps, project: ProjectRecord, name: string): Promise<KvRecord<ExposureRecord>> {
  const found = await deps.store.exposures.get(exposureKey(project.tenant, project.name, name));
  if (!found || found.value.projectUid !== project.uid) throw notFound(`exposure ${name}`);
  return found;
}

async function exposureGrants(deps: ApiDeps, project: ProjectRecord, name: string): Promise<Array<KvRecord<GrantRecord>>> {
  const keys = await keysOf(deps.store.grants, `${exposureKey(project.tenant, project.name, name)}.*.*`);
  const records = await Promise.all(keys.map((k) => deps.store.grants.get(k)));
  return records.filter((r): r is KvRecord<GrantRecord> => r !== undefined && r.value.exporter.uid === project.uid);
}

async function withDetails(deps: ApiDeps, project: ProjectRecord, r: ExposureRecord): Promise<Exposure> {
  const [grants, status] = await Promise.all([exposureGrants(deps, project, r.name), deps.store.exposureStatus.get(exposureKey(r.tenant, r.project, r.name))]);
  return exposureView(
    r,
    grants.map((g) => g.value),
    status?.value,
  );
}

/** The Service's name: CreateExposureRequest makes it fit an exposure name when no name is given. */
const defaultName = (service: string): string => service.slice(service.lastIndexOf('/') + 1);

/** Each port and protocol once, in the order first listed. */
export function uniquePorts(ports: ExposedPort[]): Array<Required<ExposedPort>> {
  const seen = new Map<string, Required<ExposedPort>>();
  for (const p of ports) {
    const port = { port: p.port, protocol: p.protocol ?? 'TCP' };
    if (!seen.has(portText(port))) seen.set(portText(port), port);
  }
  return [...seen.values()];
}

interface ResolvedGrant {
  consumer: ProjectRef;
  /** Same tenant only: the consumer project's uid (the grant is accepted at once). */
  uid?: string;
}

/** `project` or `tenant/project` (ProjectRef has checked both names). */
function parseRef(ref: string, ownTenant: string): ProjectRef {
  const [first, second] = ref.split('/');
  return second === undefined ? { tenant: ownTenant, project: first! } : { tenant: first!, project: second };
}

/**
 * The consumers of grant refs, deduplicated. The exporter itself is 409 `self-grant`; a
 * same-tenant project that is missing is 409 `unknown-reference`, one being deleted 409
 * `project-deleting`. Another
 * tenant's project is never looked up: whether it exists must not leak, so the grant waits
 * (pending) until that project accepts it.
 */
async function resolveGrants(deps: ApiDeps, exporter: ProjectRecord, refs: string[]): Promise<ResolvedGrant[]> {
  const unique = new Map(refs.map((ref) => parseRef(ref, exporter.tenant)).map((c) => [refText(c), c] as const));
  const resolved: ResolvedGrant[] = [];
  for (const consumer of unique.values()) {
    if (consumer.tenant !== exporter.tenant) {
      resolved.push({ consumer });
      continue;
    }
    if (consumer.project === exporter.name) throw problem('self-grant', `project ${exporter.name} cannot be granted its own exposure`);
    const found = deps.view.project(projectKey(consumer.tenant, consumer.project));
    if (!found) throw problem('unknown-reference', `grant ${consumer.project}: the tenant has no such project`);
    if (found.deletionRequestedAt !== undefined) throw problem('project-deleting', `grant ${consumer.project}: the project is being deleted`);
    resolved.push({ consumer, uid: found.uid });
  }
  return resolved;
}

function newGrant(exporter: ProjectRecord, exposure: string, g: ResolvedGrant, actor: string, now: string): GrantRecord {
  return {
    v: 1,
    exporter: { tenant: exporter.tenant, project: exporter.name, uid: exporter.uid },
    exposure,
    consumer: { ...g.consumer, ...(g.uid !== undefined ? { uid: g.uid } : {}) },
    state: g.uid !== undefined ? 'accepted' : 'pending',
    grantedBy: actor,
    grantedAt: now,
    ...(g.uid !== undefined ? { acceptedBy: actor, acceptedAt: now } : {}),
  };
}

/** create(); a record left by an earlier project of the same name (another uid) is replaced. */
async function writeExposure(deps: ApiDeps, record: ExposureRecord): Promise<number> {
  const key = exposureKey(record.tenant, record.project, record.name);
  try {
    return await deps.store.exposures.create(key, record);
  } catch (e) {
    if (!isConflict(e)) throw e;
  }
  const stale = await deps.store.exposures.get(key);
  if (stale && stale.value.projectUid !== record.projectUid) {
    try {
      return await deps.store.exposures.update(key, record, stale.revision);
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
  throw problem('already-exists', `exposure ${record.name} already exists`);
}

async function writableProject(deps: ApiDeps, tenant: string, name: string): Promise<ProjectRecord> {
  const project = await loadProject(deps, tenant, name);
  if (project.deletionRequestedAt !== undefined) throw problem('project-deleting', `project ${project.name} is being deleted`);
  return project;
}

export const exposureRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/projects/:project/exposures',
    auth: 'tenant',
    operationId: 'createExposure',
    summary:
      "Expose a Service of the project on an external IP (its own, or the one of `shareWith`) and grant other projects access. Grants to the tenant's projects are accepted at once; another tenant's project must accept.",
    tag: 'exposures',
    params: exposuresPath,
    body: CreateExposureRequest,
    example: { service: 'default/postgres', ports: [{ port: 5432, protocol: 'TCP' }], grants: ['web', 'other-tenant/analytics'] },
    responses: {
      201: {
        description: 'Created; the exposer reconciles it asynchronously (follow status)',
        schema: Exposure,
        links: links({ project: '$request.path.project', name: '$response.body#/name' }, 'getExposure', 'addGrant', 'deleteExposure'),
      },
    },
    problems: ['not-found', 'project-deleting', 'already-exists', 'port-collision', 'pool-mismatch', 'self-grant', 'unknown-reference'],
    async handler({ params, body, principal, deps }) {
      const project = await writableProject(deps, principal.tenant.name, params.project);
      const name = body.name ?? defaultName(body.service);
      const existing = await projectExposures(deps, project);
      if (existing.some((e) => e.name === name)) throw problem('already-exists', `exposure ${name} already exists`);
      const ports = uniquePorts(body.ports);
      const placed = placeOnEip({ name, ports, shareWith: body.shareWith, pool: body.pool }, existing, project.spec.egressNetworkType);
      if (!placed.ok) throw problem(placed.reason, placed.message);
      const { eipKey, pool } = placed;
      const grants = await resolveGrants(deps, project, body.grants ?? []);

      const actor = actorOf(principal);
      const now = deps.now().toISOString();
      const record: ExposureRecord = {
        v: 1,
        tenant: project.tenant,
        project: project.name,
        projectUid: project.uid,
        name,
        service: body.service,
        ports,
        pool,
        eipKey,
        entryName: body.entryName ?? `${name}-ext`,
        createdAt: now,
        createdBy: actor,
      };
      const revision = await writeExposure(deps, record);
      // The exposure is new: a grant record under its name is a leftover of an earlier one, replaced.
      const written: Array<[GrantRecord, number]> = [];
      for (const g of grants) {
        const grant = newGrant(project, name, g, actor, now);
        written.push([grant, await deps.store.grants.put(grantKey(refOf(project), name, g.consumer), grant)]);
      }
      const exporter = { tenant: project.tenant, project: project.name, uid: project.uid };
      await deps.facts.publish(exposureSubjects.created, exposureEvent(exporter, name, actor), `${project.uid}:exposure:${name}:${revision}`);
      for (const [grant, rev] of written) {
        await deps.facts.publish(exposureSubjects.grantAdded, exposureEvent(exporter, name, actor, grant.consumer), grantMsgId(project.uid, name, grant.consumer, rev, 'added'));
      }
      return json(
        201,
        exposureView(
          record,
          written.map(([g]) => g),
          undefined,
        ),
      );
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/projects/:project/exposures',
    auth: 'tenant',
    operationId: 'listExposures',
    summary: "List the project's exposures with their grants and status",
    tag: 'exposures',
    params: exposuresPath,
    query: ListQuery,
    responses: { 200: { description: `Exposures by name. ${PAGE_DESCRIPTION}`, schema: ExposureList } },
    problems: ['not-found'],
    async handler({ params, query, principal, deps }) {
      const project = await loadProject(deps, principal.tenant.name, params.project);
      const byName = new Map((await projectExposures(deps, project)).map((r) => [r.name, r]));
      const page = pageOf([...byName.keys()], query);
      return json(200, { items: await Promise.all(page.keys.map((n) => withDetails(deps, project, byName.get(n)!))), ...page.next } satisfies ExposureList);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/projects/:project/exposures/:name',
    auth: 'tenant',
    operationId: 'getExposure',
    summary: 'Get an exposure with its grants and status (address, consumers, policy peers)',
    tag: 'exposures',
    params: exposurePath,
    responses: { 200: { description: 'The exposure', schema: Exposure } },
    problems: ['not-found'],
    async handler({ params, principal, deps }) {
      const project = await loadProject(deps, principal.tenant.name, params.project);
      const found = await loadExposure(deps, project, params.name);
      return json(200, await withDetails(deps, project, found.value));
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/projects/:project/exposures/:name',
    auth: 'tenant',
    operationId: 'deleteExposure',
    summary: "Delete an exposure and its grants; the exposer removes the load balancer and the consumers' entries",
    tag: 'exposures',
    params: exposurePath,
    responses: { 202: { description: 'Deleted; the objects are removed asynchronously' } },
    problems: ['not-found'],
    async handler({ params, principal, deps }) {
      const project = await loadProject(deps, principal.tenant.name, params.project);
      const found = await loadExposure(deps, project, params.name);
      for (const g of await exposureGrants(deps, project, params.name)) await deps.store.grants.delete(g.key);
      await deps.store.exposures.delete(found.key);
      const exporter = { tenant: project.tenant, project: project.name, uid: project.uid };
      await deps.facts.publish(exposureSubjects.deleted, exposureEvent(exporter, params.name, actorOf(principal)), `${project.uid}:exposure:${params.name}:${found.revision}:deleted`);
      return { status: 202 };
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/projects/:project/exposures/:name/grants',
    auth: 'tenant',
    operationId: 'addGrant',
    summary:
      "Grant a project access to the exposure: `project` (this tenant, accepted at once) or `tenant/project` (pending until that project accepts). Granting again changes nothing.",
    tag: 'exposures',
    params: exposurePath,
    body: AddGrantRequest,
    example: { project: 'other-tenant/analytics' },
    responses: {
      201: { description: 'Granted', schema: GrantView },
      200: { description: 'The grant existed already', schema: GrantView },
    },
    problems: ['not-found', 'project-deleting', 'self-grant', 'unknown-reference', 'conflict'],
    async handler({ params, body, principal, deps }) {
      const project = await writableProject(deps, principal.tenant.name, params.project);
      await loadExposure(deps, project, params.name);
      const [g] = await resolveGrants(deps, project, [body.project]);
      const key = grantKey(refOf(project), params.name, g!.consumer);
      // A grant of an earlier project of the same name (either side, where known) is replaced.
      const current = (r: GrantRecord) => r.exporter.uid === project.uid && (g!.uid === undefined || r.consumer.uid === g!.uid);
      const existing = await deps.store.grants.get(key);
      if (existing && current(existing.value)) return json(200, grantView(existing.value));
      const actor = actorOf(principal);
      const grant = newGrant(project, params.name, g!, actor, deps.now().toISOString());
      let revision: number;
      try {
        revision = existing ? await deps.store.grants.update(key, grant, existing.revision) : await deps.store.grants.create(key, grant);
      } catch (e) {
        if (!isConflict(e)) throw e;
        const winner = await deps.store.grants.get(key);
        if (winner && current(winner.value)) return json(200, grantView(winner.value));
        throw problem('conflict', `the grant of ${params.name} to ${refText(g!.consumer)} changed while it was being written; retry`);
      }
      const exporter = { tenant: project.tenant, project: project.name, uid: project.uid };
      await deps.facts.publish(exposureSubjects.grantAdded, exposureEvent(exporter, params.name, actor, g!.consumer), grantMsgId(project.uid, params.name, g!.consumer, revision, 'added'));
      return json(201, grantView(grant));
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/projects/:project/exposures/:name/grants/:consumerTenant/:consumerProject',
    auth: 'tenant',
    operationId: 'revokeGrant',
    summary: "Revoke a project's access to the exposure (pending or accepted); the exposer removes its entry and its policy peer",
    tag: 'exposures',
    params: grantPath,
    responses: { 202: { description: 'Revoked; the objects are removed asynchronously' } },
    problems: ['not-found'],
    async handler({ params, principal, deps }) {
      const project = await loadProject(deps, principal.tenant.name, params.project);
      await loadExposure(deps, project, params.name);
      const consumer = { tenant: params.consumerTenant, project: params.consumerProject };
      const found = await deps.store.grants.get(grantKey(refOf(project), params.name, consumer));
      if (!found || found.value.exporter.uid !== project.uid) throw notFound(`grant of ${params.name} to ${refText(consumer)}`);
      await deps.store.grants.delete(found.key);
      const exporter = { tenant: project.tenant, project: project.name, uid: project.uid };
      await deps.facts.publish(
        exposureSubjects.grantRevoked,
        exposureEvent(exporter, params.name, actorOf(principal), consumer),
        grantMsgId(project.uid, params.name, consumer, found.revision, 'revoked'),
      );
      return { status: 202 };
    },
  }),
];
