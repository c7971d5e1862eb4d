import { CoreV1Api, DiscoveryV1Api, NetworkingV1Api, type KubeConfig, type KubernetesObject, type V1Service } from '@kubernetes/client-node';
import { projectKey, type ConsumerStatus, type ExposureRecord, type GrantRecord } from '@netbroker/contracts';
import { applyIfChanged, classify, isOwnedBy, isServerRefused, isTerminal, SERVER_REFUSED_MESSAGE, type ObjectRef, type OwnedApplier } from '@netbroker/kube';
import { hostNamespace, labels, MANAGED_BY, PREFIX } from '@netbroker/naming';
import { entryEgressPolicy, entrySelector, exporterEntrySelector, entryService, entrySlice, isEntryFor } from '@netbroker/translate';
import type { CountWrite } from '../metrics';
import { FIELD_MANAGER, type VirtualCluster, type VirtualClusters } from '../virtual-clusters';

type ExposureRef = Pick<ExposureRecord, 'tenant' | 'project' | 'name'>;

export interface EntryResult {
  status: ConsumerStatus;
  /** An entry was written into the consumer's virtual cluster (a cleanup must visit it). */
  virtual: boolean;
}

/** On a virtual entry that could not take the host entry's ClusterIP: that address is not tried again. */
const CLUSTER_IP_REFUSED = `${PREFIX}/cluster-ip-refused`;

const consumerRef = (g: GrantRecord) => `${g.consumer.tenant}/${g.consumer.project}`;
const describe = (o: ObjectRef) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
const mine = (obj: KubernetesObject) => isOwnedBy(obj, FIELD_MANAGER);

/**
 * The consumer side of an accepted grant: `<service>-ext` (a selectorless Service and an
 * EndpointSlice holding the exposure's address) in the consumer's host namespace with an egress
 * policy to that address, and the same Service and EndpointSlice inside its virtual cluster when
 * it has one. An object of that name that is not this grant's is never touched.
 */
export class Entries {
  private readonly hostCore: CoreV1Api;
  private readonly hostDiscovery: DiscoveryV1Api;
  private readonly hostNetworking: NetworkingV1Api;

  constructor(
    private readonly host: OwnedApplier,
    hostConfig: KubeConfig,
    private readonly clusters: VirtualClusters,
    private readonly virtualNamespace: string,
    private readonly countWrite: CountWrite,
  ) {
    this.hostCore = hostConfig.makeApiClient(CoreV1Api);
    this.hostDiscovery = hostConfig.makeApiClient(DiscoveryV1Api);
    this.hostNetworking = hostConfig.makeApiClient(NetworkingV1Api);
  }

  /**
   * Every host entry of one exporting project's exposures, in any namespace (three lists): what
   * a reconcile compares with instead of reading each object.
   */
  async snapshot(exporter: { tenant: string; project: string }): Promise<KubernetesObject[]> {
    return this.listHost(exporterEntrySelector(exporter), `list the entries of ${exporter.tenant}/${exporter.project}`);
  }

  private async listHost(labelSelector: string, what: string): Promise<KubernetesObject[]> {
    try {
      const found = await Promise.all([
        this.hostCore.listServiceForAllNamespaces({ labelSelector }).then((l) => l.items.map((o) => ({ ...o, apiVersion: 'v1', kind: 'Service' }))),
        this.hostDiscovery.listEndpointSliceForAllNamespaces({ labelSelector }).then((l) => l.items.map((o) => ({ ...o, apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' }))),
        this.hostNetworking.listNetworkPolicyForAllNamespaces({ labelSelector }).then((l) => l.items.map((o) => ({ ...o, apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' }))),
      ]);
      return found.flat();
    } catch (err) {
      throw classify(err, what);
    }
  }

  /** `existing`: this exposure's host entries (a snapshot); an object missing from it is read, as it may be somebody else's. */
  async apply(e: ExposureRecord, g: GrantRecord, address: string, existing: readonly KubernetesObject[]): Promise<EntryResult> {
    const hostNs = hostNamespace(g.consumer.tenant, g.consumer.project);
    const hostObjects = [entryService(e, g, hostNs), entrySlice(e, g, hostNs, address), entryEgressPolicy(e, g, hostNs, address)];
    const onHost = await this.write(this.host, g, hostObjects, existing);
    if (!onHost.ok) return { status: { project: consumerRef(g), ready: false, reason: 'NameInUse', message: `${onHost.foreign} exists and is not this grant's; it is left untouched` }, virtual: false };
    const where = [`host namespace ${hostNs}`];
    const vc = await this.clusters.get(projectKey(g.consumer.tenant, g.consumer.project));
    let virtual = false;
    if (vc.ok) {
      // As vcluster maps a host Service in: the virtual Service takes the host entry's ClusterIP,
      // the address the host's kube-proxy serves for the consumer's pods.
      const clusterIP = (onHost.applied[0] as V1Service).spec?.clusterIP;
      let inside: Awaited<ReturnType<typeof this.writeVirtual>>;
      try {
        await this.ensureNamespace(vc.cluster, g);
        inside = await this.writeVirtual(vc.cluster, e, g, address, clusterIP);
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
      where.push(`namespace ${this.virtualNamespace} of its virtual cluster (ClusterIP ${clusterIP})`);
    } else if (vc.registered) {
      return { status: { project: consumerRef(g), ready: false, reason: vc.reason, message: vc.message }, virtual };
    }
    return { status: { project: consumerRef(g), ready: true, reason: 'Ready', message: `${e.entryName} points at ${address} in ${where.join(' and ')}` }, virtual };
  }

  /** Writes the objects unless one of them is somebody else's (answers that one's description). */
  private async write(
    applier: OwnedApplier,
    g: GrantRecord,
    objects: Array<KubernetesObject & ObjectRef>,
    known: readonly KubernetesObject[] = [],
  ): Promise<{ ok: true; applied: KubernetesObject[] } | { ok: false; foreign: string }> {
    const side = applier === this.host ? 'host' : 'virtual';
    const same = (o: ObjectRef) => (k: KubernetesObject) => k.kind === o.kind && k.metadata?.namespace === o.metadata.namespace && k.metadata?.name === o.metadata.name;
    const current = await Promise.all(objects.map((o) => known.find(same(o)) ?? applier.read(o)));
    const foreign = objects.find((o, i) => current[i] && !(mine(current[i]!) && isEntryFor(current[i], g)));
    if (foreign) return { ok: false, foreign: describe(foreign) };
    const applied = await Promise.all(objects.map((o, i) => applyIfChanged(applier, o, current[i])));
    applied.filter((a) => a.wrote).forEach(() => this.countWrite(`${side}-apply`));
    return { ok: true, applied: applied.map((a) => a.object) };
  }

  /**
   * The entry inside the virtual cluster with the host entry's ClusterIP. A ClusterIP cannot
   * change: an entry with another one is re-created. When the virtual cluster refuses the address
   * (it allocates on its own), the entry is kept with an address of its own and the result says so.
   */
  private async writeVirtual(vc: VirtualCluster, e: ExposureRecord, g: GrantRecord, address: string, clusterIP: string | undefined) {
    const ns = this.virtualNamespace;
    const service = entryService(e, g, ns, clusterIP);
    const slice = entrySlice(e, g, ns, address);
    const own = entryService(e, g, ns);
    own.metadata.annotations = { ...own.metadata.annotations, [CLUSTER_IP_REFUSED]: clusterIP ?? '' };
    const current = await vc.applier.read<V1Service>(service);
    const ours = current !== undefined && mine(current) && isEntryFor(current, g);
    if (ours && clusterIP && current.metadata?.annotations?.[CLUSTER_IP_REFUSED] === clusterIP) {
      return { ...(await this.write(vc.applier, g, [own, slice])), clusterIPRefused: true };
    }
    if (ours && clusterIP && current.spec?.clusterIP !== clusterIP) {
      await vc.applier.delete(service);
      this.countWrite('virtual-delete');
    }
    try {
      return { ...(await this.write(vc.applier, g, [service, slice])), clusterIPRefused: false };
    } catch (err) {
      if (!isTerminal(err) || !clusterIP) throw err;
      return { ...(await this.write(vc.applier, g, [own, slice])), clusterIPRefused: true };
    }
  }

  private async ensureNamespace(vc: VirtualCluster, g: GrantRecord): Promise<void> {
    const ref = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.virtualNamespace } };
    if (await vc.applier.read(ref)) return;
    const meta = { name: this.virtualNamespace, labels: { [labels.managedBy]: MANAGED_BY, [labels.tenant]: g.consumer.tenant, [labels.project]: g.consumer.project } };
    await vc.applier.apply({ ...ref, metadata: meta }, null);
    this.countWrite('virtual-apply');
  }

  /** Deletes this exposure's entries in every host namespace but `keep` (listed, unless a snapshot of them is given). */
  async removeHost(e: ExposureRef, keep: ReadonlySet<string> = new Set(), existing?: readonly KubernetesObject[]): Promise<number> {
    const found = existing ?? (await this.listHost(entrySelector(e), `list the entries of exposure ${e.tenant}/${e.project}/${e.name}`));
    return this.deleteAll(this.host, found.filter((o) => !keep.has(o.metadata?.namespace ?? '')));
  }

  /** Deletes this exposure's entries in the virtual clusters of these consumer projects (`<tenant>.<project>`). */
  async removeVirtual(e: ExposureRef, consumers: Iterable<string>): Promise<void> {
    const labelSelector = entrySelector(e);
    const namespace = this.virtualNamespace;
    for (const consumer of consumers) {
      const vc = await this.clusters.get(consumer);
      if (!vc.ok) continue; // deregistered: the virtual cluster is not netbroker's to reach any more
      const { core, discovery, applier } = vc.cluster;
      try {
        const services = (await core.listNamespacedService({ namespace, labelSelector })).items.map((o) => ({ ...o, apiVersion: 'v1', kind: 'Service' }));
        const slices = (await discovery.listNamespacedEndpointSlice({ namespace, labelSelector })).items.map((o) => ({ ...o, apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' }));
        await this.deleteAll(applier, [...services, ...slices]);
      } catch (err) {
        throw classify(err, `remove the entries of ${e.tenant}/${e.project}/${e.name} from the virtual cluster of ${consumer}`);
      }
    }
  }

  private async deleteAll(applier: OwnedApplier, objects: KubernetesObject[]): Promise<number> {
    const owned = objects.filter(mine);
    for (const o of owned) {
      if (await applier.delete({ apiVersion: o.apiVersion!, kind: o.kind!, metadata: { name: o.metadata!.name!, namespace: o.metadata!.namespace! } })) {
        this.countWrite(applier === this.host ? 'host-delete' : 'virtual-delete');
      }
    }
    return owned.length;
  }
}
