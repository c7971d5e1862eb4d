import { PatchStrategy, setHeaderOptions, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import type { MappingRecord } from '@netbroker/contracts';
import type { CachedReader, VirtualCluster } from '@netbroker/controller';
import { classify } from '@netbroker/kube';
import { labels, MANAGED_BY } from '@netbroker/naming';
import { isHeadless, mappedEndpointSlice, mappedVirtualService, mappingLabels, splitRef } from '@netbroker/translate';
import type { MapperCaches } from '../caches';
import { projectOf } from '../mapping-index';
import { CONFLICT_RECHECK_MS, deleteMine, isMine, remove, serviceRef, sliceRef, write, type CountWrite, type Outcome } from './outcome';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * fromHost `{from: hostNs/svc, to: vNs/svc}`: in the virtual cluster, a selectorless Service with
 * the source's ports and its own ClusterIP (headless only when the source is) and an
 * EndpointSlice pointing at the host ClusterIP, or at the source's endpoints when it is headless.
 * Everything is read from caches; only changes are written.
 */
export class FromHost {
  constructor(
    private readonly caches: MapperCaches,
    private readonly count: CountWrite,
  ) {}

  async reconcile(m: MappingRecord, vc: VirtualCluster, allowed: boolean): Promise<Outcome> {
    const from = splitRef(m.spec.from);
    const to = splitRef(m.spec.to);
    const [services, slices] = await Promise.all([this.caches.virtualServices(vc), this.caches.virtualSlices(vc)]);
    const existing = services.get(to.name, to.namespace);
    if (existing && !isMine(existing, m)) {
      const message = `Service ${m.spec.to} exists in the virtual cluster and is not this mapping's; it is left untouched`;
      await this.caches.virtualRecorder(vc).warn(existing, 'NotOwned', message);
      return { ready: false, reason: 'NotOwned', message, requeueAfterMs: CONFLICT_RECHECK_MS };
    }
    if (!allowed) {
      await this.remove(m, vc);
      return { ready: false, reason: 'ImportNotAllowed', message: `host namespace ${from.namespace} is not on the tenant's import allowlist` };
    }
    const source = (await this.caches.hostServices(projectOf(m), from.namespace)).get(from.name, from.namespace);
    if (!source || source.metadata?.deletionTimestamp) {
      await this.remove(m, vc);
      return { ready: false, reason: 'SourceNotFound', message: `host Service ${m.spec.from} does not exist; the mapped Service is removed until it is back` };
    }
    if (source.spec?.type === 'ExternalName') return { ready: false, reason: 'Unsupported', message: 'an ExternalName Service cannot be mapped' };
    if (!existing) await this.ensureNamespace(vc, to.namespace, m);
    let current = existing;
    if (current && isHeadless(current) !== isHeadless(source)) {
      await remove(vc.applier, services, serviceRef(to.namespace, to.name), current, () => this.count('virtual-delete')); // clusterIP is immutable: re-create
      current = undefined;
    }
    const target = await write(vc.applier, services, mappedVirtualService(source, m), current, () => this.count('virtual-apply'));
    const sourceSlices = isHeadless(source) ? await this.sourceSlices(m, from.namespace, from.name) : [];
    const slice = mappedEndpointSlice(source, sourceSlices, m);
    // The cache holds only the mapper's slices: one absent there may be somebody else's.
    const currentSlice = slices.get(slice.metadata.name, slice.metadata.namespace) ?? (await vc.applier.read<V1EndpointSlice>(slice));
    await write(vc.applier, slices, slice, currentSlice, () => this.count('virtual-apply'));
    await this.copyLoadBalancer(vc, services, source, target);
    const points = isHeadless(source) ? `${slice.endpoints.length} endpoint(s) of headless ${m.spec.from}` : `${source.spec?.clusterIP} (${m.spec.from})`;
    return { ready: true, reason: 'Mapped', message: `${m.spec.to} points at ${points}` };
  }

  async remove(m: MappingRecord, vc: VirtualCluster): Promise<void> {
    const to = splitRef(m.spec.to);
    const [services, slices] = await Promise.all([this.caches.virtualServices(vc), this.caches.virtualSlices(vc)]);
    await deleteMine(vc.applier, slices, sliceRef(to.namespace, mappedEndpointSlice({}, [], m).metadata.name), m, () => this.count('virtual-delete'));
    await deleteMine(vc.applier, services, serviceRef(to.namespace, to.name), m, () => this.count('virtual-delete'));
  }

  private async sourceSlices(m: MappingRecord, namespace: string, name: string): Promise<V1EndpointSlice[]> {
    const slices = await this.caches.hostSlices(projectOf(m), namespace);
    return slices.list(namespace).filter((s) => s.metadata?.labels?.[mappingLabels.serviceName] === name);
  }

  /** The target Service is not there yet: its namespace may not be either. */
  private async ensureNamespace(vc: VirtualCluster, name: string, m: MappingRecord): Promise<void> {
    const ref = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    if (await vc.applier.read(ref)) return;
    await vc.applier.apply({ ...ref, metadata: { name, labels: { [labels.managedBy]: MANAGED_BY, [labels.tenant]: m.tenant, [labels.project]: m.project } } }, null);
    this.count('virtual-apply');
  }

  private async copyLoadBalancer(vc: VirtualCluster, services: CachedReader<V1Service>, source: V1Service, target: V1Service): Promise<void> {
    const want = source.status?.loadBalancer?.ingress ?? [];
    const have = target.status?.loadBalancer?.ingress ?? [];
    if (target.spec?.type !== 'LoadBalancer' || JSON.stringify(want) === JSON.stringify(have)) return;
    const { name = '', namespace = '' } = target.metadata ?? {};
    try {
      const patched = await vc.core.patchNamespacedServiceStatus({ name, namespace, body: { status: { loadBalancer: { ingress: want.length ? want : null } } } }, mergePatch);
      services.wrote({ ...patched, apiVersion: 'v1', kind: 'Service' });
      this.count('virtual-status');
    } catch (e) {
      throw classify(e, `copy the LoadBalancer status to ${namespace}/${name}`);
    }
  }
}
