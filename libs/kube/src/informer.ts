import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';

export interface InformerOptions<T extends KubernetesObject> {
  /** Watch path, e.g. `/api/v1/services` or `/api/v1/namespaces/ns/services`. */
  path: string;
  /** The matching list call (same path and selector). */
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  /** An object was added or changed (also for every object of a relist). Enqueue its key, nothing more. */
  onChange: (obj: T) => void;
  /** An object was deleted (or is gone from a relist). */
  onDelete: (obj: T) => void;
  /** A list or watch failed; the informer restarts after a backoff. */
  onError?: (error: unknown, restartInMs: number) => void;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * client-node's informer (list, then watch; a 410 Gone relists) plus what it lacks: it restarts
 * after any other error with exponential backoff, and tells when its cache has been filled once.
 * Events only feed a work queue; the reconciler reads current state.
 */
export class Informer<T extends KubernetesObject> {
  private readonly inner: ReturnType<typeof makeInformer<T>>;
  private synced = false;
  private stopped = false;
  private failures = 0;
  private listed = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly syncWaiters: Array<() => void> = [];

  constructor(
    kubeConfig: KubeConfig,
    private readonly opts: InformerOptions<T>,
  ) {
    const list = async () => {
      const result = await opts.list();
      this.listed = true;
      return result;
    };
    this.inner = makeInformer<T>(kubeConfig, opts.path, list, opts.labelSelector);
    this.inner.on('add', (obj) => opts.onChange(obj));
    this.inner.on('update', (obj) => opts.onChange(obj));
    this.inner.on('delete', (obj) => opts.onDelete(obj));
    this.inner.on('error', (err) => this.restartLater(err));
  }

  /** Lists and starts watching; resolves once the first attempt ended (synced or failed and scheduled a retry). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.inner.stop();
  }

  /** Every object in the cache (filled by the first successful list). */
  list(namespace?: string): readonly T[] {
    return this.inner.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.inner.get(name, namespace);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the cache has been filled from a successful list. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  private async attempt(): Promise<void> {
    const failuresBefore = this.failures;
    try {
      await this.inner.start();
    } catch (e) {
      this.restartLater(e);
      return;
    }
    if (this.stopped || this.failures !== failuresBefore || !this.listed) return;
    this.failures = 0;
    if (!this.synced) {
      this.synced = true;
      this.syncWaiters.splice(0).forEach((resolve) => resolve());
    }
  }

  private restartLater(err: unknown): void {
    if (this.stopped) return;
    this.failures++;
    const delay = Math.min((this.opts.baseDelayMs ?? 200) * 2 ** (this.failures - 1), this.opts.maxDelayMs ?? 30_000);
    this.opts.onError?.(err, delay);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) void this.attempt();
    }, delay);
  }
}
