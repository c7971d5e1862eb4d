import type { RouterAgentStatus } from '@netbroker/contracts';
import { compile, linuxSpecs, routerNamespaceName, type LinuxNaming, type RouterNamespaceSpec, type RouterSnapshot, type Segment } from '@netbroker/translate';
import { createHash } from 'node:crypto';

// From the router's snapshot to this gateway's specs: every agent compiles the same plan from the
// same records (snapshotOf in libs/translate), so no plan is sent around. Pure.

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
      const fill = (template: string) => template.replaceAll('{tenant}', tenant).replaceAll('{project}', project).replaceAll('{hash}', hash10(key));
      const bridge = fill(c.projectBridge);
      return c.projectNetns === undefined ? { bridge } : { netns: fill(c.projectNetns), bridge };
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
export function specsOf(snapshot: RouterSnapshot, naming: NamingConfig): { specs: RouterNamespaceSpec[]; unreachable: string[]; links: Map<string, string[]> } {
  const reached = (network: string) => naming.privateNetworks[network] !== undefined;
  const unreachable = [...new Set([...snapshot.projects.values()].flatMap((p) => p.attachments.map((a) => a.network)).filter((n) => !reached(n)))].sort();
  const projects = new Map([...snapshot.projects].map(([key, p]) => [key, { ...p, attachments: p.attachments.filter((a) => reached(a.network)) }]));
  const plan = compile({ ...snapshot, projects });
  return { specs: linuxSpecs(plan, namingOf(naming)), unreachable, links: new Map(plan.projects.map((p) => [p.key, p.links.map((l) => l.peering)])) };
}

/** What this agent reports after an apply: the routers as planned, and the peerings whose two routers both are. */
export function reportOf(agent: string, specs: readonly RouterNamespaceSpec[], links: ReadonlyMap<string, string[]>, failed: ReadonlyArray<{ netns: string; error: string }>, now: Date): RouterAgentStatus {
  const failedNs = new Map(failed.map((f) => [f.netns, f.error]));
  const routers = specs.filter((s) => !failedNs.has(s.netns)).map((s) => s.key);
  const sides = new Map<string, number>();
  for (const key of routers) for (const id of links.get(key) ?? []) sides.set(id, (sides.get(id) ?? 0) + 1);
  return {
    v: 1,
    agent,
    peerings: [...sides].filter(([, n]) => n === 2).map(([id]) => id).sort(),
    routers: routers.sort(),
    failed: specs.flatMap((s) => (failedNs.has(s.netns) ? [{ project: s.key, message: failedNs.get(s.netns)! }] : [])),
    appliedAt: now.toISOString(),
  };
}
