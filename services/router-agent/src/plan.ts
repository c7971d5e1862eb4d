import { projectKey, type PeeringRecord, type PrivateNetworkRecord, type ProjectRoutesRecord, type ProjectStatus } from '@netbroker/contracts';
import { compile, DEFAULT_ROUTER_LIMITS, linuxSpecs, routerNamespaceName, type LinuxNaming, type RouterNamespaceSpec, type RouterProject, type RouterSnapshot, type Segment } from '@netbroker/translate';
import { createHash } from 'node:crypto';

// From the router's records to this gateway's specs: every agent compiles the same plan from the
// same records (as kube-proxy does from Services), so no plan is sent around. Pure.

export interface RouterRecords {
  statuses: Iterable<[string, ProjectStatus]>;
  routes: Iterable<[string, ProjectRoutesRecord]>;
  peerings: Iterable<[string, PeeringRecord]>;
  privateNetworks: Iterable<[string, PrivateNetworkRecord]>;
}

/** Provisioned projects (a CIDR, not being deleted) with their routes and attachments. */
export function snapshotOf(records: RouterRecords): RouterSnapshot {
  const routes = new Map(records.routes);
  const projects = new Map<string, RouterProject>();
  for (const [key, status] of records.statuses) {
    const [tenant, project] = key.split('.') as [string, string];
    if (status.cidr === undefined || status.phase === 'Deleting') continue;
    const r = routes.get(projectKey(tenant, project));
    projects.set(key, { tenant, project, cidr: status.cidr, routes: r?.routes ?? [], attachments: r?.attachments ?? [] });
  }
  return {
    projects,
    privateNetworks: new Map(records.privateNetworks),
    peerings: [...records.peerings].map(([, p]) => p),
    reserved: [],
    limits: DEFAULT_ROUTER_LIMITS,
  };
}

export interface NamingConfig {
  netnsPrefix: string;
  projectBridge: string;
  projectNetns?: string;
  privateNetworks: Record<string, Segment>;
}

const hash10 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 10);

export function namingOf(c: NamingConfig): LinuxNaming {
  return {
    routerNamespace: (key) => routerNamespaceName(key).replace(/^nbr-/, c.netnsPrefix),
    projectSegment: (key) => {
      const [tenant, project] = key.split('.') as [string, string];
      const bridge = c.projectBridge.replaceAll('{tenant}', tenant).replaceAll('{project}', project).replaceAll('{hash}', hash10(key));
      return c.projectNetns === undefined ? { bridge } : { netns: c.projectNetns, bridge };
    },
    privateNetworkSegment: (network) => {
      const segment = c.privateNetworks[network];
      if (!segment) throw new Error(`private network ${network} is not reached from this gateway`); // specsOf leaves those out
      return segment;
    },
  };
}

/**
 * The specs of this gateway. An attachment to a private network it does not reach is left out,
 * and with it every route through that network (fail closed); those networks are reported.
 */
export function specsOf(snapshot: RouterSnapshot, naming: NamingConfig): { specs: RouterNamespaceSpec[]; unreachable: string[] } {
  const reached = (network: string) => naming.privateNetworks[network] !== undefined;
  const unreachable = [...new Set([...snapshot.projects.values()].flatMap((p) => p.attachments.map((a) => a.network)).filter((n) => !reached(n)))].sort();
  const projects = new Map([...snapshot.projects].map(([key, p]) => [key, { ...p, attachments: p.attachments.filter((a) => reached(a.network)) }]));
  return { specs: linuxSpecs(compile({ ...snapshot, projects }), namingOf(naming)), unreachable };
}
