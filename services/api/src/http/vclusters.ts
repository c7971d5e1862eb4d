import {
  projectKey,
  RegisterVClusterRequest,
  VCluster,
  VClusterOptions,
  vclusterSubjects,
  type VClusterEvent,
  type VClusterRecord,
  type VClusterStatus,
} from '@netbroker/contracts';
import { isConflict } from '@netbroker/bus';
import { sealSecret } from '@netbroker/runtime';
import { actorOf } from '../auth';
import type { ApiDeps } from '../deps';
import { kubeconfigErrors } from '../kubeconfig';
import { notFound, problem } from '../problems';
import { loadProject, projectPath } from './projects';
import { defineRoute, json, noContent } from './route';

/** The registration as shown: never any kubeconfig material; with the syncer's status once one has looked. */
export function vclusterView(r: VClusterRecord, status?: VClusterStatus): VCluster {
  return {
    project: r.project,
    name: r.options.name ?? r.project,
    ...(r.kubeconfig ? { kubeconfig: 'sealed' as const } : {}),
    ...(r.secretRef ? { secretRef: r.secretRef } : {}),
    options: r.options,
    generation: r.generation,
    registeredAt: r.registeredAt,
    ...(status ? { status } : {}),
  };
}

/** The registration of this very project (not one left from an earlier project of the same name). */
async function registration(deps: ApiDeps, tenant: string, project: string, projectUid: string) {
  const found = await deps.store.vclusters.get(projectKey(tenant, project));
  return found && found.value.projectUid === projectUid ? found : undefined;
}

const exampleKubeconfig = `apiVersion: v1
kind: Config
clusters: [{ name: vc, cluster: { server: 'https://vc.example.com:443' } }]
users: [{ name: admin, user: { token: '<token>' } }]
contexts: [{ name: vc, context: { cluster: vc, user: admin } }]
current-context: vc
`;

export const vclusterRoutes = [
  defineRoute({
    method: 'PUT',
    url: '/v1/projects/:project/vcluster',
    auth: 'tenant',
    operationId: 'registerVCluster',
    summary: "Register (or replace) the project's virtual cluster: an inline kubeconfig (stored sealed) or a Secret reference",
    tag: 'vclusters',
    params: projectPath,
    body: RegisterVClusterRequest,
    example: { kubeconfig: exampleKubeconfig, options: { syncIngresses: true } },
    responses: { 202: { description: 'Accepted: the syncer connects asynchronously', schema: VCluster, headers: ['location'] } },
    problems: ['not-found', 'invalid-kubeconfig', 'project-deleting', 'conflict'],
    async handler({ params, body, principal, deps }) {
      const tenant = principal.tenant.name;
      const project = await loadProject(deps, tenant, params.project);
      if (project.deletionRequestedAt !== undefined) throw problem('project-deleting', `project ${project.name} is being deleted`);
      if (body.kubeconfig !== undefined) {
        const errors = kubeconfigErrors(body.kubeconfig, deps.access);
        if (errors.length > 0) {
          const detail = errors.some((e) => e.reason === 'server-not-allowed')
            ? 'the kubeconfig points at a server this installation does not allow for virtual clusters'
            : 'the kubeconfig is not accepted: only inline credentials (token, or client certificate and key) and an https server';
          throw problem('invalid-kubeconfig', detail, { errors });
        }
      }
      const key = projectKey(tenant, project.name);
      const current = await deps.store.vclusters.get(key);
      const previous = current && current.value.projectUid === project.uid ? current.value.generation : 0;
      const record: VClusterRecord = {
        v: 1,
        tenant,
        project: project.name,
        projectUid: project.uid,
        generation: previous + 1,
        registeredAt: deps.now().toISOString(),
        ...(body.kubeconfig !== undefined ? { kubeconfig: sealSecret(body.kubeconfig, deps.encryptionKey) } : {}),
        ...(body.secretRef !== undefined ? { secretRef: body.secretRef } : {}),
        options: body.options ?? VClusterOptions.parse({}),
      };
      let revision: number;
      try {
        revision = current ? await deps.store.vclusters.update(key, record, current.revision) : await deps.store.vclusters.create(key, record);
      } catch (e) {
        if (isConflict(e)) throw problem('conflict', `the registration of ${project.name} changed meanwhile; retry`);
        throw e;
      }
      const event: VClusterEvent = {
        v: 1,
        tenant,
        project: project.name,
        projectUid: project.uid,
        generation: record.generation,
        source: body.kubeconfig !== undefined ? 'kubeconfig' : 'secretRef',
        actor: actorOf(principal),
      };
      await deps.facts.publish(vclusterSubjects.registered, event, `${project.uid}:vcluster:${revision}`);
      return json(202, vclusterView(record), { location: `/v1/projects/${project.name}/vcluster` });
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/projects/:project/vcluster',
    auth: 'tenant',
    operationId: 'getVCluster',
    summary: "Get the project's virtual cluster registration (without kubeconfig material)",
    tag: 'vclusters',
    params: projectPath,
    responses: { 200: { description: 'The registration', schema: VCluster } },
    problems: ['not-found'],
    async handler({ params, principal, deps }) {
      const tenant = principal.tenant.name;
      const project = await loadProject(deps, tenant, params.project);
      const found = await registration(deps, tenant, project.name, project.uid);
      if (!found) throw notFound(`virtual cluster of project ${project.name}`);
      return json(200, vclusterView(found.value, (await deps.store.vclusterStatus.get(found.key))?.value));
    },
  }),
  defineRoute({
    method: 'DELETE',
    url: '/v1/projects/:project/vcluster',
    auth: 'tenant',
    operationId: 'deregisterVCluster',
    summary: "Remove the project's virtual cluster registration (202: removed, the syncer stops; 204: there was none)",
    tag: 'vclusters',
    params: projectPath,
    responses: { 202: { description: 'Removed; the syncer stops asynchronously' }, 204: { description: 'Nothing was registered' } },
    problems: ['not-found', 'conflict'],
    async handler({ params, principal, deps }) {
      const tenant = principal.tenant.name;
      const project = await loadProject(deps, tenant, params.project);
      const found = await registration(deps, tenant, project.name, project.uid);
      if (!found) return noContent();
      try {
        await deps.store.vclusters.delete(found.key, found.revision);
      } catch (e) {
        if (isConflict(e)) throw problem('conflict', `the registration of ${project.name} changed meanwhile; retry`);
        throw e;
      }
      const event: VClusterEvent = {
        v: 1,
        tenant,
        project: project.name,
        projectUid: project.uid,
        generation: found.value.generation,
        actor: actorOf(principal),
      };
      await deps.facts.publish(vclusterSubjects.deregistered, event, `${project.uid}:vcluster:${found.revision}:deleted`);
      return { status: 202 };
    },
  }),
];
