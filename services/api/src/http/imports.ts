import {
  ListQuery,
  pageOf,
  exposureKey,
  ExposureName,
  exposureSubjects,
  grantKey,
  Import,
  ImportList,
  projectKey,
  ProjectName,
  TenantName,
  type ExposureRecord,
  type ExposureStatus,
  type GrantRecord,
  type ProjectRecord,
} from '@netbroker/contracts';
import type { KvRecord } from '@netbroker/bus';
import { actorOf } from '../auth';
import { updateWithRetry } from '../cas';
import type { ApiDeps } from '../deps';
import { notFound, problem } from '../problems';
import { keysOf } from '../store';
import { exposureEvent, grantMsgId, refText } from './exposures';
import { loadProject } from './projects';
import { defineRoute, json, PAGE_DESCRIPTION, pathParams } from './route';

// Cross-project exposures, the consumer's side: what other projects offer this project, accepting
// an offer (another tenant's grants start pending), declining or leaving one.

const importsPath = pathParams({ project: ProjectName });
const importPath = pathParams({ project: ProjectName, exporterTenant: TenantName, exporterProject: ProjectName, exposure: ExposureName });

const acceptPath = (consumer: ProjectRecord, g: GrantRecord) => `/v1/projects/${consumer.name}/imports/${g.exporter.tenant}/${g.exporter.project}/${g.exposure}/accept`;

export function importView(consumer: ProjectRecord, g: GrantRecord, exposure: ExposureRecord, status: ExposureStatus | undefined): Import {
  const entry = status?.consumers.find((c) => c.project === `${consumer.tenant}/${consumer.name}`);
  const state = entry
    ? { ready: entry.ready, reason: entry.reason, message: entry.message }
    : g.state === 'pending'
      ? { ready: false, reason: 'AwaitingAcceptance', message: `accept with POST ${acceptPath(consumer, g)}` }
      : { ready: false, reason: 'Pending', message: 'the exposer has not set up this import yet' };
  return {
    exporter: refText(g.exporter),
    exposure: g.exposure,
    state: g.state,
    entryName: exposure.entryName,
    ports: exposure.ports,
    ...(status?.ready && status.address !== undefined ? { address: status.address } : {}),
    ...state,
    grantedAt: g.grantedAt,
    ...(g.acceptedAt !== undefined ? { acceptedAt: g.acceptedAt } : {}),
  };
}

/** The exposure a grant is for, if it is still the one the grant was made by (same exporter uid). */
async function exposureOf(deps: ApiDeps, g: GrantRecord): Promise<ExposureRecord | undefined> {
  const found = await deps.store.exposures.get(exposureKey(g.exporter.tenant, g.exporter.project, g.exposure));
  return found && found.value.projectUid === g.exporter.uid ? found.value : undefined;
}

async function withStatus(deps: ApiDeps, consumer: ProjectRecord, g: GrantRecord, exposure: ExposureRecord): Promise<Import> {
  const status = await deps.store.exposureStatus.get(exposureKey(exposure.tenant, exposure.project, exposure.name));
  return importView(consumer, g, exposure, status?.value);
}

interface ImportParams {
  exporterTenant: string;
  exporterProject: string;
  exposure: string;
}

const importKey = (consumer: ProjectRecord, p: ImportParams) =>
  grantKey({ tenant: p.exporterTenant, project: p.exporterProject }, p.exposure, { tenant: consumer.tenant, project: consumer.name });

const importNotFound = (p: ImportParams) => notFound(`import ${p.exporterTenant}/${p.exporterProject}/${p.exposure}`);

export const importRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/projects/:project/imports',
    auth: 'tenant',
    operationId: 'listImports',
    summary: "What other projects expose to this project: pending offers (another tenant's grants) and accepted imports with their status",
    tag: 'imports',
    params: importsPath,
    query: ListQuery,
    responses: { 200: { description: `Imports by exporter and exposure. ${PAGE_DESCRIPTION}`, schema: ImportList } },
    problems: ['not-found'],
    async handler({ params, query, principal, deps }) {
      const project = await loadProject(deps, principal.tenant.name, params.project);
      const page = pageOf((await keysOf(deps.store.grants, `*.*.*.${projectKey(project.tenant, project.name)}`)).sort(), query);
      const grants = (await Promise.all(page.keys.map((k) => deps.store.grants.get(k)))).filter(
        // An accepted grant of an earlier project of the same name is not this project's.
        (r): r is KvRecord<GrantRecord> => r !== undefined && (r.value.state === 'pending' || r.value.consumer.uid === project.uid),
      );
      const items = await Promise.all(
        grants.map(async ({ value: g }) => {
          const exposure = await exposureOf(deps, g);
          return exposure ? [await withStatus(deps, project, g, exposure)] : [];
        }),
      );
      return json(200, { items: items.flat(), ...page.next } satisfies ImportList);
    },
  }),
  defineRoute({
    method: 'POST',
    url: '/v1/projects/:project/imports/:exporterTenant/:exporterProject/:exposure/accept',
    auth: 'tenant',
    operationId: 'acceptImport',
    summary: "Accept another project's grant: the exposer then gives this project the entry and admits its egress address. Accepting again changes nothing.",
    tag: 'imports',
    params: importPath,
    responses: { 200: { description: 'Accepted', schema: Import } },
    problems: ['not-found', 'project-deleting', 'conflict'],
    async handler({ params, principal, deps }) {
      const project = await loadProject(deps, principal.tenant.name, params.project);
      if (project.deletionRequestedAt !== undefined) throw problem('project-deleting', `project ${project.name} is being deleted`);
      const key = importKey(project, params);
      const grant = await deps.store.grants.get(key);
      const exposure = grant && (await exposureOf(deps, grant.value));
      if (!grant || !exposure) throw importNotFound(params);
      const actor = actorOf(principal);
      const now = deps.now().toISOString();
      const result = await updateWithRetry(deps.store.grants, key, ({ value }) =>
        value.state === 'accepted' && value.consumer.uid === project.uid
          ? undefined
          : { ...value, state: 'accepted' as const, consumer: { ...value.consumer, uid: project.uid }, acceptedBy: actor, acceptedAt: now },
      );
      if (!result) throw importNotFound(params);
      if (result.changed) {
        const g = result.after;
        await deps.facts.publish(exposureSubjects.grantAccepted, exposureEvent(g.exporter, g.exposure, actor, g.consumer), grantMsgId(g.exporter.uid, g.exposure, g.consumer, result.revision, 'accepted'));
      }
      return json(200, await withStatus(deps, project, result.after, exposure));
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/projects/:project/imports/:exporterTenant/:exporterProject/:exposure',
    auth: 'tenant',
    operationId: 'declineImport',
    summary: "Decline a pending grant, or leave an accepted one: the grant is deleted and the exposer removes this project's entry",
    tag: 'imports',
    params: importPath,
    responses: { 202: { description: 'Declined; the entry is removed asynchronously' } },
    problems: ['not-found'],
    async handler({ params, principal, deps }) {
      const project = await loadProject(deps, principal.tenant.name, params.project);
      const found = await deps.store.grants.get(importKey(project, params));
      if (!found) throw importNotFound(params);
      await deps.store.grants.delete(found.key);
      const g = found.value;
      await deps.facts.publish(exposureSubjects.grantDeclined, exposureEvent(g.exporter, g.exposure, actorOf(principal), g.consumer), grantMsgId(g.exporter.uid, g.exposure, g.consumer, found.revision, 'declined'));
      return { status: 202 };
    },
  }),
];
