import { DiscoveryV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Service } from '@kubernetes/client-node';
import type { MappingRecord } from '@netbroker/contracts';
import { classify, type OwnedApplier } from '@netbroker/kube';
import { labels, MANAGED_BY } from '@netbroker/naming';
import { isHeadless, mappedEndpointSlice, mappedVirtualService, mappingLabels, splitRef } from '@netbroker/translate';
import type { VirtualCluster } from '../virtual-clusters';
import { CONFLICT_RECHECK_MS, deleteMine, isMine, serviceRef, sliceRef, type Outcome } from './outcome';
import { warn } from './warnings';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * fromHost `{from: hostNs/svc, to: vNs/svc}`: in the virtual cluster, a selectorless Service with
 * the source's ports and its own ClusterIP (headless only when the source is) and an
 * EndpointSlice pointing at the host ClusterIP, or at the source's endpoints when it is headless.
 */
export class FromHost {
  private readonly discovery: DiscoveryV1Api;

  constructor(
    private readonly host: OwnedApplier,
    hostConfig: KubeConfig,
    private readonly now: () => Date,
  ) {
    this.discovery = hostConfig.makeApiClient(DiscoveryV1Api);
  }

  async reconcile(m: MappingRecord, vc: VirtualCluster, allowed: boolean): Promise<Outcome> {
    const from = splitRef(m.spec.from);
    const to = splitRef(m.spec.to);
    const existing = await vc.applier.read<V1Service>(serviceRef(to.namespace, to.name));
    if (existing && !isMine(existing, m)) {
      const message = `Service ${m.spec.to} exists in the virtual cluster and is not this mapping's; it is left untouched`;
      await warn(vc.core, { kind: 'Service', namespace: to.namespace, name: to.name, uid: existing.metadata?.uid }, 'NotOwned', message, this.now());
      return { ready: false, reason: 'NotOwned', message, requeueAfterMs: CONFLICT_RECHECK_MS };
    }
    if (!allowed) {
      await this.remove(m, vc);
      return { ready: false, reason: 'ImportNotAllowed', message: `host namespace ${from.namespace} is not on the tenant's import allowlist` };
    }
    const source = await this.host.read<V1Service>(serviceRef(from.namespace, from.name));
    if (!source || source.metadata?.deletionTimestamp) {
      await this.remove(m, vc);
      return { ready: false, reason: 'SourceNotFound', message: `host Service ${m.spec.from} does not exist; the mapped Service is removed until it is back` };
    }
    if (source.spec?.type === 'ExternalName') return { ready: false, reason: 'Unsupported', message: 'an ExternalName Service cannot be mapped' };
    await this.ensureNamespace(vc, to.namespace, m);
    let current = existing;
    if (current && isHeadless(current) !== isHeadless(source)) {
      await vc.applier.delete(serviceRef(to.namespace, to.name)); // clusterIP is immutable: re-create
      current = undefined;
    }
    const target = await vc.applier.apply(mappedVirtualService(source, m), current ?? null);
    const slices = isHeadless(source) ? await this.sourceSlices(from.namespace, from.name) : [];
    const slice = mappedEndpointSlice(source, slices, m);
    await vc.applier.apply(slice);
    await this.copyLoadBalancer(vc, source, target);
    const points = isHeadless(source) ? `${slice.endpoints.length} endpoint(s) of headless ${m.spec.from}` : `${source.spec?.clusterIP} (${m.spec.from})`;
    return { ready: true, reason: 'Mapped', message: `${m.spec.to} points at ${points}` };
  }

  async remove(m: MappingRecord, vc: VirtualCluster): Promise<void> {
    const to = splitRef(m.spec.to);
    await deleteMine(vc.applier, sliceRef(to.namespace, mappedEndpointSlice({}, [], m).metadata.name), m);
    await deleteMine(vc.applier, serviceRef(to.namespace, to.name), m);
  }

  private async sourceSlices(namespace: string, name: string) {
    try {
      return (await this.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `${mappingLabels.serviceName}=${name}` })).items;
    } catch (e) {
      throw classify(e, `list EndpointSlices of ${namespace}/${name}`);
    }
  }

  private async ensureNamespace(vc: VirtualCluster, name: string, m: MappingRecord): Promise<void> {
    const ref = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    if (await vc.applier.read(ref)) return;
    await vc.applier.apply({ ...ref, metadata: { name, labels: { [labels.managedBy]: MANAGED_BY, [labels.tenant]: m.tenant, [labels.project]: m.project } } }, null);
  }

  private async copyLoadBalancer(vc: VirtualCluster, source: V1Service, target: V1Service): Promise<void> {
    const want = source.status?.loadBalancer?.ingress ?? [];
    const have = target.status?.loadBalancer?.ingress ?? [];
    if (target.spec?.type !== 'LoadBalancer' || JSON.stringify(want) === JSON.stringify(have)) return;
    const { name = '', namespace = '' } = target.metadata ?? {};
    try {
      await vc.core.patchNamespacedServiceStatus({ name, namespace, body: { status: { loadBalancer: { ingress: want.length ? want : null } } } }, mergePatch);
    } catch (e) {
      throw classify(e, `copy the LoadBalancer status to ${namespace}/${name}`);
    }
  }
}
