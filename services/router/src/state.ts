import type { KvSource } from '@netbroker/controller';
import type {
  PeeringRecord,
  PoolRecord,
  PrivateNetworkRecord,
  ProjectRecord,
  ProjectRoutesRecord,
  ProjectStatus,
  RouterAgentStatus,
} from '@netbroker/contracts';
import { snapshotOf, type RouterLimits, type RouterSnapshot } from '@netbroker/translate';
import { reservedRanges, type ReservedConfig } from './reserved';

/** Everything the router reads, followed into memory. */
export interface RouterSources {
  projects: KvSource<typeof ProjectRecord>;
  statuses: KvSource<typeof ProjectStatus>;
  routes: KvSource<typeof ProjectRoutesRecord>;
  peerings: KvSource<typeof PeeringRecord>;
  networks: KvSource<typeof PrivateNetworkRecord>;
  pools: KvSource<typeof PoolRecord>;
  agents: KvSource<typeof RouterAgentStatus>;
}

/** The router's view: one snapshot of the followed records for each decision. */
export class RouterState {
  constructor(
    readonly sources: RouterSources,
    private readonly options: { reserved: ReservedConfig; limits: RouterLimits },
  ) {}

  /** Projects whose deletion was asked for (their peerings are taken down, they take no new ones). */
  deleting(): Set<string> {
    const keys = new Set<string>();
    for (const [key, p] of this.sources.projects.entries()) if (p.deletionRequestedAt !== undefined) keys.add(key);
    return keys;
  }

  snapshot(): RouterSnapshot {
    const { statuses, routes, peerings, networks, pools } = this.sources;
    return snapshotOf(
      { statuses: statuses.entries(), routes: routes.entries(), peerings: peerings.entries(), privateNetworks: networks.entries(), deleting: this.deleting() },
      { reserved: reservedRanges(this.options.reserved, [...pools.entries()].map(([, p]) => p)), limits: this.options.limits },
    );
  }

  /** Resolves once every source has applied every write acknowledged before the call. */
  async catchUp(): Promise<void> {
    await Promise.all(Object.values(this.sources).map((s: KvSource<never>) => s.current()));
  }

  /** The peerings a project is a side of (any state). */
  peeringsOf(key: string): string[] {
    const ids: string[] = [];
    for (const [id, p] of this.sources.peerings.entries()) if (`${p.requester.tenant}.${p.requester.project}` === key || `${p.accepter.tenant}.${p.accepter.project}` === key) ids.push(id);
    return ids;
  }
}
