import type { ProjectNetwork, ProjectRecord, ProjectRoutes, ProjectRoutesRecord } from '@netbroker/contracts';
import type { ApiView } from './view';

/** The project's routing as its record has it; none yet: empty lists. */
export function routesView(record: ProjectRoutesRecord | undefined): ProjectRoutes {
  return {
    routes: (record?.routes ?? []).map((r) => ({ destination: r.destination, nexthop: r.nexthop })),
    attachments: (record?.attachments ?? []).map((a) => ({ network: a.network, address: a.address })),
  };
}

/** What `GET /v1/projects/{project}` shows of the project's network: counts and names, from the view. */
export function networkOf(view: Pick<ApiView, 'routesOf' | 'peeringsOfProject'>, project: ProjectRecord): ProjectNetwork {
  const record = view.routesOf(project.tenant, project.name);
  const peerings = view.peeringsOfProject(project.tenant, project.name).map((p) => {
    const other = p.requester.tenant === project.tenant && p.requester.project === project.name ? p.accepter : p.requester;
    return { id: p.id, peer: `${other.tenant}/${other.project}`, state: p.state };
  });
  const { routes, attachments } = routesView(record);
  return { routes: routes.length, attachments, peerings };
}
