import { CoreV1Api, type KubernetesObject, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import { EventRecorder, kinds, ReaderSet, type CachedReader, type Cluster, type Manager, type VirtualCluster } from '@netbroker/controller';
import { mappingLabels, SLICE_MANAGER } from '@netbroker/translate';
import { Gauge } from 'prom-client';
import type { MappingIndex } from './mapping-index';

export const FIELD_MANAGER = 'netbroker-mapper';

export interface MapperCachesOptions {
  host: Cluster;
  index: MappingIndex;
  /** This replica works the mappings of `project` (holds its lease). */
  holds: (project: string) => boolean;
  /** A cached object changed: the mappings reading or writing it are looked at again. */
  enqueue: (keys: string[]) => void;
  countWrite: (kind: string) => void;
}

const hostScope = (project: string, namespace: string) => `${project}|host|${namespace}`;
const virtualScope = (project: string) => `${project}|virtual`;
const nameOf = (o: KubernetesObject) => o.metadata?.name ?? '';
const namespaceOf = (o: KubernetesObject) => o.metadata?.namespace ?? '';
const sliceService = (s: KubernetesObject) => s.metadata?.labels?.[mappingLabels.serviceName] ?? '';

/**
 * What mapping reconciles read, from informer caches: Services and EndpointSlices of exactly the
 * host namespaces a project's mappings read, and the Services and mapper EndpointSlices of each
 * project's virtual cluster — opened by the reconcile that needs them, closed once no mapping of
 * the project needs them or another replica holds the project. Warning Events go through one
 * recorder per cluster.
 */
export class MapperCaches {
  readonly hostEvents: EventRecorder;
  private readonly readers: ReaderSet;
  private readonly virtualEvents = new WeakMap<VirtualCluster, EventRecorder>();
  private retaining = false;

  constructor(
    manager: Manager,
    private readonly opts: MapperCachesOptions,
  ) {
    this.readers = new ReaderSet(manager.informers);
    manager.onStop('readers', () => this.readers.stop());
    this.hostEvents = new EventRecorder(opts.host.kubeConfig.makeApiClient(CoreV1Api), FIELD_MANAGER, { onWrite: () => opts.countWrite('event') });
    opts.index.onChange(() => this.retainSoon());
    const hostNamespaces = () => this.hostNamespaces;
    new Gauge({ name: 'netbroker_mapper_host_namespaces', help: 'Host namespaces watched for the projects this replica works', registers: [manager.registry], collect() { this.set(hostNamespaces()); } });
    new Gauge({ name: 'netbroker_mapper_mappings', help: 'Mappings known (live, and deleted ones not yet removed)', registers: [manager.registry], collect() { this.set(opts.index.size); } });
  }

  hostServices(project: string, namespace: string): Promise<CachedReader<V1Service>> {
    const { host, index, enqueue } = this.opts;
    return this.readers.get<V1Service>(hostScope(project, namespace), host, { ...kinds.service, namespace }, (s) => enqueue(index.ofHostService(namespaceOf(s), nameOf(s))));
  }

  hostSlices(project: string, namespace: string): Promise<CachedReader<V1EndpointSlice>> {
    const { host, index, enqueue } = this.opts;
    return this.readers.get<V1EndpointSlice>(hostScope(project, namespace), host, { ...kinds.endpointSlice, namespace }, (s) => enqueue(index.ofHostService(namespaceOf(s), sliceService(s))));
  }

  virtualServices(vc: VirtualCluster): Promise<CachedReader<V1Service>> {
    const { index, enqueue } = this.opts;
    return this.readers.get<V1Service>(virtualScope(vc.key), vc, kinds.service, (s) => enqueue(index.ofVirtualService(vc.key, namespaceOf(s), nameOf(s))));
  }

  /** Only the mapper's own EndpointSlices (a slice absent here may still be somebody else's). */
  virtualSlices(vc: VirtualCluster): Promise<CachedReader<V1EndpointSlice>> {
    const { index, enqueue } = this.opts;
    const resource = { ...kinds.endpointSlice, labelSelector: `${mappingLabels.sliceManagedBy}=${SLICE_MANAGER}` };
    return this.readers.get<V1EndpointSlice>(virtualScope(vc.key), vc, resource, (s) => enqueue(index.ofVirtualService(vc.key, namespaceOf(s), sliceService(s))));
  }

  virtualRecorder(vc: VirtualCluster): EventRecorder {
    let recorder = this.virtualEvents.get(vc);
    if (!recorder) {
      recorder = new EventRecorder(vc.core, FIELD_MANAGER, { onWrite: () => this.opts.countWrite('event') });
      this.virtualEvents.set(vc, recorder);
    }
    return recorder;
  }

  /**
   * Soon (once for a burst of changes): keeps only the readers of projects this replica works and
   * of the host namespaces their mappings read.
   */
  retainSoon(): void {
    if (this.retaining) return;
    this.retaining = true;
    setImmediate(() => {
      this.retaining = false;
      const wanted = new Set<string>();
      for (const [project, namespaces] of this.opts.index.reads()) {
        if (!this.opts.holds(project)) continue;
        wanted.add(virtualScope(project));
        for (const ns of namespaces) wanted.add(hostScope(project, ns));
      }
      this.readers.retain((scope) => wanted.has(scope));
    });
  }

  /** Host namespaces watched now. */
  get hostNamespaces(): number {
    return [...this.readers.scopes].filter((s) => s.includes('|host|')).length;
  }
}
