import type { KubernetesObject } from '@kubernetes/client-node';
import { resourcePath, type Resource } from '@netbroker/kube';
import type { Cluster, SharedInformers } from './informers';
import { CachedReader } from './reader';

interface Open {
  scope: string;
  cluster: string;
  reader: CachedReader<KubernetesObject>;
  unsubscribe: Array<() => Promise<void>>;
}

/**
 * Cached readers that come and go with what reconciles need: the Services of a namespace while a
 * project's records read them, a virtual cluster's objects while its registration stands. `get`
 * opens a reader (on a shared informer) on first use, and opens it again when the cluster behind
 * its scope changed (a re-registration); `retain` and `close` let go of scopes no longer wanted
 * (the last record gone, a lease lost).
 */
export class ReaderSet {
  private readonly open = new Map<string, Open>();
  private readonly closing = new Set<Promise<void>>();

  constructor(private readonly informers: SharedInformers) {}

  /**
   * The reader of `resource` on `cluster` under `scope`, once its cache is filled (or the reason
   * it cannot be: see SharedInformer.ready). `onChange` hears of every object added, changed or
   * deleted while the reader is open.
   */
  async get<T extends KubernetesObject>(scope: string, cluster: Cluster, resource: Resource, onChange?: (obj: T) => void): Promise<CachedReader<T>> {
    const id = `${scope}|${resourcePath(resource)}|${resource.labelSelector ?? ''}`;
    let entry = this.open.get(id);
    if (entry && entry.cluster !== cluster.id) {
      this.drop(id);
      entry = undefined;
    }
    if (!entry) {
      const informer = this.informers.informer<T>(cluster, resource);
      const reader = new CachedReader<T>(informer);
      const unsubscribe = [reader.unsubscribe];
      if (onChange) unsubscribe.push(informer.subscribe({ onChange }));
      entry = { scope, cluster: cluster.id, reader: reader as unknown as CachedReader<KubernetesObject>, unsubscribe };
      this.open.set(id, entry);
    }
    await entry.reader.informer.ready();
    return entry.reader as unknown as CachedReader<T>;
  }

  /** Lets go of every reader whose scope `keep` refuses. */
  retain(keep: (scope: string) => boolean): void {
    for (const [id, entry] of [...this.open]) if (!keep(entry.scope)) this.drop(id);
  }

  close(scope: string): void {
    this.retain((s) => s !== scope);
  }

  /** Scopes with a reader open. */
  get scopes(): Set<string> {
    return new Set([...this.open.values()].map((e) => e.scope));
  }

  async stop(): Promise<void> {
    this.retain(() => false);
    await Promise.all(this.closing);
  }

  private drop(id: string): void {
    const entry = this.open.get(id);
    if (!entry) return;
    this.open.delete(id);
    const done: Promise<void> = Promise.all(entry.unsubscribe.map((u) => u())).then(() => void this.closing.delete(done));
    this.closing.add(done);
  }
}
