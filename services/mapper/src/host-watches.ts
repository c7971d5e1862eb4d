import { CoreV1Api, DiscoveryV1Api, type KubeConfig, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import { Informer } from '@netbroker/kube';
import type { Logger } from '@netbroker/runtime';
import { mappingLabels } from '@netbroker/translate';

interface NamespaceWatch {
  services: Informer<V1Service>;
  slices: Informer<V1EndpointSlice>;
}

/**
 * Informers on Services and EndpointSlices of the host namespaces mappings need, one pair per
 * namespace (never cluster-wide): `sync(namespaces)` starts the missing ones and stops the rest.
 * Every event names a Service (`ns/name`) for `onService`.
 */
export class HostWatches {
  private readonly running = new Map<string, NamespaceWatch>();
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;

  constructor(
    private readonly hostConfig: KubeConfig,
    private readonly onService: (namespace: string, name: string) => void,
    private readonly logger: Logger,
  ) {
    this.core = hostConfig.makeApiClient(CoreV1Api);
    this.discovery = hostConfig.makeApiClient(DiscoveryV1Api);
  }

  get namespaces(): string[] {
    return [...this.running.keys()].sort();
  }

  async sync(wanted: Set<string>): Promise<void> {
    for (const [ns, watch] of [...this.running]) {
      if (wanted.has(ns)) continue;
      this.running.delete(ns);
      await Promise.all([watch.services.stop(), watch.slices.stop()]);
    }
    for (const ns of wanted) {
      if (this.running.has(ns)) continue;
      const watch = this.watch(ns);
      this.running.set(ns, watch);
      await Promise.all([watch.services.start(), watch.slices.start()]);
    }
  }

  private watch(namespace: string): NamespaceWatch {
    const onError = (kind: string) => (err: unknown, restartInMs: number) => this.logger.warn({ err, namespace, kind, restartInMs }, 'host informer failed; restarting');
    const service = (svc: V1Service) => this.onService(namespace, svc.metadata?.name ?? '');
    const slice = (s: V1EndpointSlice) => {
      const name = s.metadata?.labels?.[mappingLabels.serviceName];
      if (name) this.onService(namespace, name);
    };
    return {
      services: new Informer<V1Service>(this.hostConfig, {
        path: `/api/v1/namespaces/${namespace}/services`,
        list: () => this.core.listNamespacedService({ namespace }),
        onChange: service,
        onDelete: service,
        onError: onError('Service'),
      }),
      slices: new Informer<V1EndpointSlice>(this.hostConfig, {
        path: `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
        list: () => this.discovery.listNamespacedEndpointSlice({ namespace }),
        onChange: slice,
        onDelete: slice,
        onError: onError('EndpointSlice'),
      }),
    };
  }

  async stop(): Promise<void> {
    await this.sync(new Set());
  }
}
