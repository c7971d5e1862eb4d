import type { KubernetesObject, V1Service } from '@kubernetes/client-node';
import type { ExposureRecord, GrantRecord } from '@netbroker/contracts';
import type { VirtualCluster, VirtualClusterPool } from '@netbroker/controller';
import { isTerminal } from '@netbroker/kube';
import { labels, MANAGED_BY, PREFIX } from '@netbroker/naming';
import { entryService, entrySlice, isEntryFor } from '@netbroker/translate';
import type { ExposerCaches } from '../caches';
import { mine, remove, writeEntry, type CountWrite } from './writes';

/** On a virtual entry that could not take the host entry's ClusterIP: that address is not tried again. */
const CLUSTER_IP_REFUSED = `${PREFIX}/cluster-ip-refused`;

export type VirtualEntry = ({ ok: true } | { ok: false; foreign: string }) & { clusterIPRefused: boolean };

const isFor = (o: KubernetesObject, e: Pick<ExposureRecord, 'tenant' | 'project' | 'name'>) => {
  const l = o.metadata?.labels ?? {};
  return l[labels.exporterTenant] === e.tenant && l[labels.exporterProject] === e.project && l[labels.exposure] === e.name;
};

/**
 * A consumer's entry inside its virtual cluster: the Service `<entryName>` with the host entry's
 * ClusterIP (as vcluster maps a host Service in) and its EndpointSlice, in one namespace of every
 * consumer's virtual cluster. Compared with the cache of the exposer's entries there.
 */
export class VirtualEntries {
  constructor(
    private readonly caches: ExposerCaches,
    private readonly clusters: VirtualClusterPool,
    readonly namespace: string,
    private readonly count: CountWrite,
  ) {}

  /**
   * A ClusterIP cannot change: an entry with another one is re-created. When the virtual cluster
   * refuses the address (it allocates on its own), the entry is kept with an address of its own
   * and the answer says so.
   */
  async apply(vc: VirtualCluster, e: ExposureRecord, g: GrantRecord, address: string, clusterIP: string | undefined): Promise<VirtualEntry> {
    const readers = await this.caches.consumerEntries(vc);
    const counted = () => this.count('virtual-apply');
    const service = entryService(e, g, this.namespace, clusterIP);
    const slice = entrySlice(e, g, this.namespace, address);
    const own = entryService(e, g, this.namespace);
    own.metadata.annotations = { ...own.metadata.annotations, [CLUSTER_IP_REFUSED]: clusterIP ?? '' };
    const current = (readers.Service?.get(service.metadata.name, this.namespace) as V1Service | undefined) ?? (await vc.applier.read<V1Service>(service));
    if (!current) await this.ensureNamespace(vc, g);
    const ours = current !== undefined && mine(current) && isEntryFor(current, g);
    if (ours && clusterIP && current.metadata?.annotations?.[CLUSTER_IP_REFUSED] === clusterIP) {
      return { ...(await writeEntry(vc.applier, readers, g, [own, slice], counted)), clusterIPRefused: true };
    }
    if (ours && clusterIP && current.spec?.clusterIP !== clusterIP) await remove(vc.applier, readers.Service, current, () => this.count('virtual-delete'));
    try {
      return { ...(await writeEntry(vc.applier, readers, g, [service, slice], counted)), clusterIPRefused: false };
    } catch (err) {
      if (!isTerminal(err) || !clusterIP) throw err;
      return { ...(await writeEntry(vc.applier, readers, g, [own, slice], counted)), clusterIPRefused: true };
    }
  }

  /** Deletes this exposure's entries in the virtual clusters of these consumer projects (`<tenant>.<project>`). */
  async remove(e: Pick<ExposureRecord, 'tenant' | 'project' | 'name'>, consumers: Iterable<string>): Promise<void> {
    for (const consumer of consumers) {
      const vc = await this.clusters.get(consumer);
      if (!vc.ok) continue; // deregistered: the virtual cluster is not netbroker's to reach any more
      const readers = await this.caches.consumerEntries(vc.cluster);
      for (const reader of [readers.Service, readers.EndpointSlice]) {
        for (const o of reader?.list(this.namespace).filter((o) => isFor(o, e) && mine(o)) ?? []) await remove(vc.cluster.applier, reader, o, () => this.count('virtual-delete'));
      }
    }
  }

  private async ensureNamespace(vc: VirtualCluster, g: GrantRecord): Promise<void> {
    const ref = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.namespace } };
    if (await vc.applier.read(ref)) return;
    const meta = { name: this.namespace, labels: { [labels.managedBy]: MANAGED_BY, [labels.tenant]: g.consumer.tenant, [labels.project]: g.consumer.project } };
    await vc.applier.apply({ ...ref, metadata: meta }, null);
    this.count('virtual-apply');
  }
}
