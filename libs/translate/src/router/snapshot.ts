import { projectKey, type PeeringRecord, type PrivateNetworkRecord, type ProjectRoutesRecord, type ProjectStatus } from '@netbroker/contracts';
import { DEFAULT_ROUTER_LIMITS, FIXED_RESERVED, type ReservedRange, type RouterLimits, type RouterProject, type RouterSnapshot } from './validate';

// The router's records as one snapshot: what the router decides on and what every agent compiles
// its plan from (the same records give the same plan everywhere, as kube-proxy's Services do). Pure.

export interface RouterRecords {
  statuses: Iterable<[string, ProjectStatus]>;
  routes: Iterable<[string, ProjectRoutesRecord]>;
  peerings: Iterable<[string, PeeringRecord]>;
  privateNetworks: Iterable<[string, PrivateNetworkRecord]>;
  /** Projects whose deletion was asked for: left out, as if gone. */
  deleting?: ReadonlySet<string>;
}

export interface SnapshotOptions {
  /** The install's ranges; FIXED_RESERVED is always added. */
  reserved?: readonly ReservedRange[];
  limits?: RouterLimits;
}

/** Provisioned projects (a CIDR, not being deleted) with their routes and attachments. */
export function snapshotOf(records: RouterRecords, options: SnapshotOptions = {}): RouterSnapshot {
  const routes = new Map(records.routes);
  const projects = new Map<string, RouterProject>();
  for (const [key, status] of records.statuses) {
    if (status.cidr === undefined || status.phase === 'Deleting' || records.deleting?.has(key)) continue;
    const [tenant, project] = key.split('.') as [string, string];
    const r = routes.get(projectKey(tenant, project));
    projects.set(key, { tenant, project, cidr: status.cidr, routes: r?.routes ?? [], attachments: r?.attachments ?? [] });
  }
  return {
    projects,
    privateNetworks: new Map(records.privateNetworks),
    peerings: [...records.peerings].map(([, p]) => p),
    reserved: [...FIXED_RESERVED, ...(options.reserved ?? [])],
    limits: options.limits ?? DEFAULT_ROUTER_LIMITS,
  };
}
