import type { PeeringRecord, PeeringState, PrivateNetworkSpec, Route } from '@netbroker/contracts';
import { DEFAULT_ROUTER_LIMITS, FIXED_RESERVED, linkSides, type RouterProject, type RouterSnapshot } from './validate';

// Worlds for the router's tests (router.spec.ts, router.property.spec.ts): a snapshot from a few lines.

export interface World {
  projects?: Record<string, { cidr?: string; routes?: Route[]; attachments?: Array<{ network: string; address: string }> }>;
  networks?: PrivateNetworkSpec[];
  peerings?: Array<[string, string, PeeringState?, string?]>;
  maxRoutes?: number;
  maxPeerings?: number;
}

/** A snapshot: projects `tenant.project` → CIDR; peerings `[requester, accepter, state, link /30]`. */
export function snapshot(w: World): RouterSnapshot {
  const projects = new Map<string, RouterProject>();
  for (const [key, p] of Object.entries(w.projects ?? {})) {
    const [tenant, project] = key.split('.') as [string, string];
    projects.set(key, { tenant, project, cidr: p.cidr, routes: p.routes ?? [], attachments: p.attachments ?? [] });
  }
  const peerings = (w.peerings ?? []).map(([a, b, state = 'Active', link], i): PeeringRecord => {
    const [at, ap] = a.split('.') as [string, string];
    const [bt, bp] = b.split('.') as [string, string];
    const cidr = link ?? `198.19.${Math.floor(i / 64)}.${(i % 64) * 4}/30`;
    const sides = linkSides(cidr)!;
    return {
      v: 1,
      id: `pr-${i}`,
      requester: { tenant: at, project: ap },
      accepter: { tenant: bt, project: bp },
      state,
      link: state === 'PendingAcceptance' ? undefined : { cidr, ...sides, allocated: true },
      conditions: [],
      createdAt: '2026-12-01T00:00:00Z',
      createdBy: 'test',
    };
  });
  return {
    projects,
    privateNetworks: new Map((w.networks ?? []).map((n) => [n.name, n])),
    peerings,
    reserved: [
      ...FIXED_RESERVED,
      { name: 'pod network', cidr: '10.244.0.0/16' },
      { name: 'service network', cidr: '10.96.0.0/12' },
      { name: 'peering link pool', cidr: '198.19.0.0/16' },
      { name: 'ovh-mks-free', cidr: '10.2.0.0/16' },
    ],
    limits: { maxRoutes: w.maxRoutes ?? DEFAULT_ROUTER_LIMITS.maxRoutes, maxPeeringsPerProject: w.maxPeerings ?? DEFAULT_ROUTER_LIMITS.maxPeeringsPerProject },
  };
}
