import type { KubernetesObject, V1EndpointSlice, V1NetworkPolicy, V1Service } from '@kubernetes/client-node';
import { CachedReader, informerSource, kinds, ReaderSet, type Cluster, type Manager, type SharedInformer, type VirtualCluster } from '@netbroker/controller';
import type { Resource } from '@netbroker/kube';
import { labels } from '@netbroker/naming';
import { projectKey } from '@netbroker/contracts';
import type { Exporters } from './exporters';

export const FIELD_MANAGER = 'netbroker-exposer';

const ENTRIES = `${labels.component}=exposure-entry`;
const OWNED = `${labels.component} in (exposure,exposure-entry)`;

/** The exporting project an object of the exposer's belongs to (`<tenant>.<project>`), from its labels. */
export function exporterOfObject(obj: KubernetesObject): string | undefined {
  const l = obj.metadata?.labels ?? {};
  const [tenant, project] = l[labels.component] === 'exposure-entry' ? [l[labels.exporterTenant], l[labels.exporterProject]] : [l[labels.tenant], l[labels.project]];
  return tenant && project ? projectKey(tenant, project) : undefined;
}

/** Readers of one cluster's objects by kind: what the entries code compares with and writes into. */
export type Readers = Partial<Record<'Service' | 'EndpointSlice' | 'NetworkPolicy', CachedReader<KubernetesObject>>>;

export interface ExposerCachesOptions {
  host: Cluster;
  exporters: Exporters;
  /** Namespace of the entries inside consumers' virtual clusters. */
  entryNamespace: string;
  /** This replica works `exporter` (holds its lease). */
  holds: (exporter: string) => boolean;
  enqueue: (exporter: string | undefined) => void;
}

/**
 * What exporter reconciles read, from informer caches. Always: the exposer's own host objects —
 * consumers' entries (Service, EndpointSlice, egress policy) and exposure policies — by label,
 * so an object absent there may still be somebody else's. While this replica works an exporter:
 * every Service of its host namespace (sources and LoadBalancer Services). While a consumer is
 * granted and registered: the entries in its virtual cluster.
 */
export class ExposerCaches {
  /** Informers every replica runs: sources of the Manager (readiness), watched by the controller. */
  readonly owned: Array<SharedInformer<KubernetesObject>>;
  readonly host: Readers;
  private readonly readers: ReaderSet;
  private retaining = false;

  constructor(
    manager: Manager,
    private readonly opts: ExposerCachesOptions,
  ) {
    const watch = <T extends KubernetesObject>(resource: Resource, labelSelector: string) => manager.informers.informer<T>(opts.host, { ...resource, labelSelector });
    const informers = { Service: watch<V1Service>(kinds.service, ENTRIES), EndpointSlice: watch<V1EndpointSlice>(kinds.endpointSlice, ENTRIES), NetworkPolicy: watch<V1NetworkPolicy>(kinds.networkPolicy, OWNED) };
    this.owned = Object.values(informers) as unknown as Array<SharedInformer<KubernetesObject>>;
    for (const i of this.owned) manager.source(informerSource(i));
    const readers = Object.entries(informers).map(([kind, i]) => [kind, new CachedReader(i as unknown as SharedInformer<KubernetesObject>)] as const);
    this.host = Object.fromEntries(readers);
    this.readers = new ReaderSet(manager.informers);
    manager.onStop('caches', async () => {
      await Promise.all(readers.map(([, r]) => r.unsubscribe()));
      await this.readers.stop();
    });
    for (const source of [opts.exporters.buckets.exposures, opts.exporters.buckets.statuses, opts.exporters.buckets.grants, opts.exporters.buckets.vclusters]) source.onChange(() => this.retainSoon());
  }

  /** Every Service of the exporter's host namespace: sources and LoadBalancer Services (a change looks at the exporter again). */
  exporterServices(exporter: string, namespace: string): Promise<CachedReader<V1Service>> {
    return this.readers.get<V1Service>(`exporter:${exporter}`, this.opts.host, { ...kinds.service, namespace }, () => this.opts.enqueue(exporter));
  }

  /** The exposer's entries in a consumer's virtual cluster (by label). */
  async consumerEntries(vc: VirtualCluster): Promise<Readers> {
    const scope = `consumer:${vc.key}`;
    const resource = (r: Resource) => ({ ...r, namespace: this.opts.entryNamespace, labelSelector: ENTRIES });
    const onChange = (o: KubernetesObject) => this.opts.enqueue(exporterOfObject(o));
    const [Service, EndpointSlice] = await Promise.all([
      this.readers.get<KubernetesObject>(scope, vc, resource(kinds.service), onChange),
      this.readers.get<KubernetesObject>(scope, vc, resource(kinds.endpointSlice), onChange),
    ]);
    return { Service, EndpointSlice };
  }

  /** Soon (once for a burst of changes): keeps the readers of exporters this replica works and of consumers still granted and registered. */
  retainSoon(): void {
    if (this.retaining) return;
    this.retaining = true;
    setImmediate(() => {
      this.retaining = false;
      const { exporters, holds } = this.opts;
      const [working, granted] = [exporters.exporters(), exporters.consumers()];
      const registered = (key: string) => exporters.buckets.vclusters.get(key) !== undefined;
      this.readers.retain((scope) => {
        const [kind, key = ''] = scope.split(':');
        return kind === 'exporter' ? working.has(key) && holds(key) : granted.has(key) && registered(key);
      });
    });
  }
}
