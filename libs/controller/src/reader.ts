import type { KubernetesObject } from '@kubernetes/client-node';
import type { SharedInformer } from './informers';

/**
 * `a` is at least as new as `b`. Resource versions are opaque to clients, but the API server
 * hands out etcd revisions, which only grow; client-go's mutation cache relies on the same. When
 * either is not a number, only equality counts as caught up.
 */
export function isAtLeast(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) >= BigInt(b);
  return a === b;
}

type Written<T> = { obj: T } | { deleted: true; resourceVersion: string | undefined };

const keyOf = (name: string, namespace?: string) => `${namespace ?? ''}/${name}`;

/**
 * Reads one kind from an informer's cache and remembers this process's own writes until the
 * watch has delivered them: a reconcile that just applied or deleted an object reads its own
 * result, never the older cached copy (no stale read after your own write, no second write).
 */
export class CachedReader<T extends KubernetesObject> {
  private readonly written = new Map<string, Written<T>>();
  readonly unsubscribe: () => Promise<void>;

  constructor(readonly informer: SharedInformer<T>) {
    const caughtUp = (obj: T) => {
      const key = keyOf(obj.metadata?.name ?? '', obj.metadata?.namespace);
      const mine = this.written.get(key);
      if (!mine) return;
      const rv = 'obj' in mine ? mine.obj.metadata?.resourceVersion : mine.resourceVersion;
      if (isAtLeast(obj.metadata?.resourceVersion, rv)) this.written.delete(key);
    };
    this.unsubscribe = informer.subscribe({
      onChange: caughtUp,
      onDelete: (obj) => {
        const key = keyOf(obj.metadata?.name ?? '', obj.metadata?.namespace);
        const mine = this.written.get(key);
        if (mine && 'deleted' in mine) this.written.delete(key);
        else caughtUp(obj);
      },
    });
  }

  get hasSynced(): boolean {
    return this.informer.hasSynced;
  }

  get(name: string, namespace?: string): T | undefined {
    const key = keyOf(name, namespace);
    const cached = this.informer.get(name, namespace);
    const mine = this.written.get(key);
    if (!mine) return cached;
    if ('obj' in mine) {
      if (cached && isAtLeast(cached.metadata?.resourceVersion, mine.obj.metadata?.resourceVersion)) {
        this.written.delete(key);
        return cached;
      }
      return mine.obj;
    }
    // Deleted by us: gone until the watch says so, unless the cache holds a newer object of that name (re-created).
    if (!cached) {
      this.written.delete(key);
      return undefined;
    }
    if (mine.resourceVersion === undefined || isAtLeast(mine.resourceVersion, cached.metadata?.resourceVersion)) return undefined;
    this.written.delete(key);
    return cached;
  }

  list(namespace?: string): T[] {
    const seen = new Set<string>();
    const out: T[] = [];
    for (const obj of this.informer.list(namespace)) {
      const name = obj.metadata?.name ?? '';
      seen.add(keyOf(name, obj.metadata?.namespace));
      const current = this.get(name, obj.metadata?.namespace);
      if (current) out.push(current);
    }
    for (const [key, mine] of this.written) {
      if (seen.has(key) || !('obj' in mine)) continue;
      if (namespace === undefined || mine.obj.metadata?.namespace === namespace) out.push(mine.obj);
    }
    return out;
  }

  /** The object as a write of ours answered it. */
  wrote(obj: T): void {
    this.written.set(keyOf(obj.metadata?.name ?? '', obj.metadata?.namespace), { obj });
  }

  /** Deleted by us; `last` is the object as we last knew it. */
  deleted(name: string, namespace: string | undefined, last?: KubernetesObject): void {
    this.written.set(keyOf(name, namespace), { deleted: true, resourceVersion: last?.metadata?.resourceVersion ?? this.informer.get(name, namespace)?.metadata?.resourceVersion });
  }

  /** Writes not yet seen on the watch. */
  get pending(): number {
    return this.written.size;
  }
}
