import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Informer, listResource, resourcePath, TransientError, type Resource } from '@netbroker/kube';
import type { Logger } from '@netbroker/runtime';
import type { Source } from './kv-source';

/** A cluster, named: informers on the same id, path and selector are one watch. */
export interface Cluster {
  /** `host`, or the virtual cluster's registration and generation. */
  id: string;
  kubeConfig: KubeConfig;
}

export interface Handler<T> {
  onChange(obj: T): void;
  /** Absent: deletions go to onChange (the reconciler reads current state either way). */
  onDelete?(obj: T): void;
}

export const kinds = {
  service: { apiVersion: 'v1', kind: 'Service', plural: 'services' },
  namespace: { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces' },
  event: { apiVersion: 'v1', kind: 'Event', plural: 'events' },
  endpointSlice: { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices' },
  ingress: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses' },
  ingressClass: { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', plural: 'ingressclasses' },
  networkPolicy: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies' },
} as const satisfies Record<string, Resource>;

/**
 * Cached objects keep what reconcilers read: managed fields (the largest part of an applied
 * object) are dropped, and the one field of the kinds netbroker reads that client-node's models
 * name differently from the wire (`NetworkPolicyIngressRule.from`, `_from` in the models) is
 * renamed, so a cached object compares equal to a manifest built with the models' types.
 */
function trim(obj: KubernetesObject): void {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  if (obj.kind === 'NetworkPolicy') {
    const rules = (obj as { spec?: { ingress?: Array<Record<string, unknown>> } }).spec?.ingress ?? [];
    for (const rule of rules) {
      if (!('from' in rule)) continue;
      rule._from = rule.from;
      delete rule.from;
    }
  }
}

/**
 * One list+watch of one resource on one cluster, and the handlers of every controller that
 * needs it. A handler subscribing late is told of every cached object first.
 */
export class SharedInformer<T extends KubernetesObject> {
  private readonly handlers = new Set<Handler<T>>();
  private readonly inner: Informer<T>;
  private started: Promise<void> | undefined;
  private lastError: unknown;

  constructor(
    readonly cluster: Cluster,
    readonly resource: Resource,
    logger: Logger,
    private readonly onEmpty: () => void,
  ) {
    this.inner = new Informer<T>(cluster.kubeConfig, {
      path: resourcePath(resource),
      labelSelector: resource.labelSelector,
      list: () => listResource<T>(cluster.kubeConfig, resource),
      onChange: (obj) => {
        trim(obj);
        for (const h of this.handlers) h.onChange(obj);
      },
      onDelete: (obj) => {
        for (const h of this.handlers) (h.onDelete ?? h.onChange).call(h, obj);
      },
      onError: (err, restartInMs) => {
        this.lastError = err;
        logger.warn({ err, cluster: cluster.id, path: resourcePath(resource), restartInMs }, 'informer failed; restarting');
      },
    });
  }

  /**
   * Adds a handler (starting the watch on the first); the returned function removes it (stopping
   * the watch on the last). The handler is told of every object already cached — also while the
   * first list is delivered and the watch not yet open, when the cache holds objects whose events
   * went only to the handlers before it.
   */
  subscribe(handler: Handler<T>): () => Promise<void> {
    this.handlers.add(handler);
    for (const obj of this.inner.list()) handler.onChange(obj);
    this.started ??= this.inner.start();
    return async () => {
      if (!this.handlers.delete(handler) || this.handlers.size > 0) return;
      this.onEmpty();
      await this.started;
      await this.inner.stop();
    };
  }

  list(namespace?: string): readonly T[] {
    return this.inner.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.inner.get(name, namespace);
  }

  get hasSynced(): boolean {
    return this.inner.hasSynced;
  }

  waitForSync(): Promise<void> {
    return this.inner.waitForSync();
  }

  /**
   * Resolves once the cache has been filled; while it has not, rejects at once with why the last
   * list or watch failed (the informer keeps retrying). A reconcile reading an unreachable or
   * refused cluster reports that instead of waiting. Only for a subscribed informer.
   */
  async ready(): Promise<void> {
    if (!this.started) throw new Error(`informer ${this.cluster.id} ${resourcePath(this.resource)} is not subscribed`);
    await this.started;
    if (this.inner.hasSynced) return;
    throw this.lastError ?? new TransientError(`${resourcePath(this.resource)} on ${this.cluster.id} is not listed yet`);
  }
}

/** A shared informer as a manager source: controllers start, and /readyz answers 200, once its first list filled the cache. */
export function informerSource<T extends KubernetesObject>(informer: SharedInformer<T>): Source {
  let unsubscribe: (() => Promise<void>) | undefined;
  const selector = informer.resource.labelSelector ? `?${informer.resource.labelSelector}` : '';
  return {
    name: `informer:${informer.cluster.id}:${resourcePath(informer.resource)}${selector}`,
    start: async () => void (unsubscribe ??= informer.subscribe({ onChange: () => undefined })),
    stop: async () => {
      await unsubscribe?.();
      unsubscribe = undefined;
    },
    get synced() {
      return informer.hasSynced;
    },
    get running() {
      return unsubscribe !== undefined;
    },
    waitForSync: () => informer.waitForSync(),
  };
}

/**
 * Every informer of a process, one per cluster + resource + selector: two controllers watching
 * host Services with the same selector share one watch and one cache.
 */
export class SharedInformers {
  private readonly open = new Map<string, SharedInformer<KubernetesObject>>();

  constructor(private readonly logger: Logger) {}

  private static id(cluster: Cluster, r: Resource): string {
    return `${cluster.id}|${resourcePath(r)}|${r.labelSelector ?? ''}`;
  }

  /** The informer for `resource` on `cluster` (created, not started: `subscribe` starts it). */
  informer<T extends KubernetesObject>(cluster: Cluster, resource: Resource): SharedInformer<T> {
    const id = SharedInformers.id(cluster, resource);
    let informer = this.open.get(id);
    if (!informer) {
      const created: SharedInformer<KubernetesObject> = new SharedInformer(cluster, resource, this.logger, () => {
        if (this.open.get(id) === created) this.open.delete(id);
      });
      informer = created;
      this.open.set(id, informer);
    }
    return informer as unknown as SharedInformer<T>;
  }

  /** Informers with at least one handler. */
  get count(): number {
    return this.open.size;
  }
}
