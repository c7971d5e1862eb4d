import type { KubernetesObject, V1Service } from '@kubernetes/client-node';
import type { ConsumerStatus, ExposureRecord, GrantRecord } from '@netbroker/contracts';
import type { VirtualClusterPool } from '@netbroker/controller';
import { isServerRefused, SERVER_REFUSED_MESSAGE, type OwnedApplier } from '@netbroker/kube';
import { hostNamespace, labels } from '@netbroker/naming';
import { entryEgressPolicy, entryService, entrySlice } from '@netbroker/translate';
import type { ExposerCaches } from '../caches';
import type { VirtualEntries } from './virtual-entries';
import { mine, remove, writeEntry, type CountWrite } from './writes';

type ExposureRef = Pick<ExposureRecord, 'tenant' | 'project' | 'name'>;

export interface EntryResult {
  status: ConsumerStatus;
  /** An entry was written into the consumer's virtual cluster (a cleanup must visit it). */
  virtual: boolean;
}

const consumerRef = (g: GrantRecord) => `${g.consumer.tenant}/${g.consumer.project}`;

/**
 * The consumer side of an accepted grant: `<service>-ext` (a selectorless Service and an
 * EndpointSlice holding the exposure's address) in the consumer's host namespace with an egress
 * policy to that address, and the same Service and EndpointSlice inside its virtual cluster when
 * it has one. An object of that name that is not this grant's is never touched.
 */
export class Entries {
  constructor(
    private readonly host: OwnedApplier,
    private readonly caches: ExposerCaches,
    private readonly clusters: VirtualClusterPool,
    readonly virtual: VirtualEntries,
    private readonly count: CountWrite,
  ) {}

  /** This exposure's entries on the host, in any namespace, as the cache has them. */
  onHost(e: ExposureRef): KubernetesObject[] {
    const isFor = (o: KubernetesObject) => {
      const l = o.metadata?.labels ?? {};
      return l[labels.component] === 'exposure-entry' && l[labels.exporterTenant] === e.tenant && l[labels.exporterProject] === e.project && l[labels.exposure] === e.name;
    };
    return Object.values(this.caches.host).flatMap((reader) => reader?.list().filter(isFor) ?? []);
  }

  async apply(e: ExposureRecord, g: GrantRecord, address: string): Promise<EntryResult> {
    const hostNs = hostNamespace(g.consumer.tenant, g.consumer.project);
    const hostObjects = [entryService(e, g, hostNs), entrySlice(e, g, hostNs, address), entryEgressPolicy(e, g, hostNs, address)];
    const onHost = await writeEntry(this.host, this.caches.host, g, hostObjects, () => this.count('host-apply'));
    if (!onHost.ok) return { status: { project: consumerRef(g), ready: false, reason: 'NameInUse', message: `${onHost.foreign} exists and is not this grant's; it is left untouched` }, virtual: false };
    const where = [`host namespace ${hostNs}`];
    const vc = await this.clusters.get(`${g.consumer.tenant}.${g.consumer.project}`);
    let virtual = false;
    if (vc.ok) {
      // As vcluster maps a host Service in: the virtual Service takes the host entry's ClusterIP,
      // the address the host's kube-proxy serves for the consumer's pods.
      const clusterIP = (onHost.applied[0] as V1Service).spec?.clusterIP;
      let inside: Awaited<ReturnType<VirtualEntries['apply']>>;
      try {
        inside = await this.virtual.apply(vc.cluster, e, g, address, clusterIP);
      } catch (err) {
        // Its name now resolves somewhere forbidden: the consumer's status says so; nothing was sent.
        if (!isServerRefused(err)) throw err;
        return { status: { project: consumerRef(g), ready: false, reason: 'ServerNotAllowed', message: SERVER_REFUSED_MESSAGE }, virtual };
      }
      virtual = true;
      if (!inside.ok) return { status: { project: consumerRef(g), ready: false, reason: 'NameInUse', message: `${inside.foreign} exists in the virtual cluster and is not this grant's` }, virtual };
      if (inside.clusterIPRefused) {
        const message = `the virtual cluster refused ClusterIP ${clusterIP} (the host entry's) for ${e.entryName}: it resolves there but does not reach the host entry`;
        return { status: { project: consumerRef(g), ready: false, reason: 'ClusterIPUnavailable', message }, virtual };
      }
      where.push(`namespace ${this.virtual.namespace} of its virtual cluster (ClusterIP ${clusterIP})`);
    } else if (vc.registered) {
      return { status: { project: consumerRef(g), ready: false, reason: vc.reason, message: vc.message }, virtual };
    }
    return { status: { project: consumerRef(g), ready: true, reason: 'Ready', message: `${e.entryName} points at ${address} in ${where.join(' and ')}` }, virtual };
  }

  /** Deletes this exposure's host entries in every namespace but `keep`. */
  async removeHost(e: ExposureRef, keep: ReadonlySet<string> = new Set()): Promise<void> {
    for (const o of this.onHost(e).filter((o) => mine(o) && !keep.has(o.metadata?.namespace ?? ''))) {
      await remove(this.host, this.caches.host[o.kind as 'Service'], o, () => this.count('host-delete'));
    }
  }

  /** Deletes this exposure's entries in the virtual clusters of these consumer projects (`<tenant>.<project>`). */
  removeVirtual(e: ExposureRef, consumers: Iterable<string>): Promise<void> {
    return this.virtual.remove(e, consumers);
  }
}
