import { CoreV1Api, DiscoveryV1Api } from '@kubernetes/client-node';
import type { VClusterRecord } from '@netbroker/contracts';
import type { JsonKv } from '@netbroker/bus';
import { openRegisteredCluster, OwnedApplier, type TenantAccess } from '@netbroker/kube';
import { openSecret } from '@netbroker/runtime';

export const FIELD_MANAGER = 'netbroker-exposer';

/** A consumer's registered virtual cluster, opened: where its `<service>-ext` entry goes. */
export interface VirtualCluster {
  core: CoreV1Api;
  discovery: DiscoveryV1Api;
  applier: OwnedApplier;
}

export type ClusterLookup = { ok: true; cluster: VirtualCluster } | { ok: false; registered: boolean; reason: string; message: string };

/**
 * Virtual clusters of consumer projects, opened from KV `vclusters` when first needed and kept
 * while the registration is unchanged (no watches: entries are level-triggered by the resync).
 */
export class VirtualClusters {
  private readonly open = new Map<string, { fingerprint: string; cluster: VirtualCluster }>();

  constructor(private readonly deps: { vclusters: JsonKv<typeof VClusterRecord>; encryptionKey: Buffer; access: TenantAccess }) {}

  async get(project: string): Promise<ClusterLookup> {
    const record = (await this.deps.vclusters.get(project))?.value;
    if (!record) {
      this.open.delete(project);
      return { ok: false, registered: false, reason: 'VClusterNotRegistered', message: `project ${project} has no registered virtual cluster` };
    }
    const fingerprint = JSON.stringify(record);
    const current = this.open.get(project);
    if (current?.fingerprint === fingerprint) return { ok: true, cluster: current.cluster };
    const opened = openRegisteredCluster(record, this.deps.access, (sealed) => openSecret(sealed, this.deps.encryptionKey));
    if (!opened.ok) {
      this.open.delete(project);
      return { ok: false, registered: true, reason: opened.reason, message: `the virtual cluster of ${project}: ${opened.message}` };
    }
    const kc = opened.kubeConfig;
    const cluster = { core: kc.makeApiClient(CoreV1Api), discovery: kc.makeApiClient(DiscoveryV1Api), applier: new OwnedApplier(kc, FIELD_MANAGER) };
    this.open.set(project, { fingerprint, cluster });
    return { ok: true, cluster };
  }
}
