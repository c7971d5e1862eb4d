import type { KubernetesObject } from '@kubernetes/client-node';
import type { KvChange } from '@netbroker/bus';
import type { Logger } from '@netbroker/runtime';
import type { z } from 'zod';
import { every, systemClock, type Cancel, type Clock } from './clock';
import type { SharedInformer } from './informers';
import type { KvSource } from './kv-source';
import type { LeaseHolder } from './lease';
import { WorkQueue, type Outcome, type ReconcileResult } from './work-queue';

/** What a change maps to: keys to reconcile (none, one or many). */
export type Keys = string | Iterable<string> | undefined | void;

export interface Sharding {
  leases: LeaseHolder;
  /** The lease covering a key (default: the key itself). Keys of one lease are worked by one replica. */
  leaseOf?: (key: string) => string;
  /** A lease of this replica was lost: stop what its keys run (in-flight reconciles finish). */
  onLost?: (lease: string) => void | Promise<void>;
}

export interface ControllerOptions {
  name: string;
  concurrency?: number;
  reconcile: (key: string) => Promise<ReconcileResult>;
  /** One replica per lease works a key; the others hold the key until the lease is free. */
  sharding?: Sharding;
  /** Every key again on a period (level-triggered safety net: a missed event heals). */
  resync?: { everyMs: number; keys: () => Iterable<string> };
}

export interface ControllerMetrics {
  done(controller: string, outcome: Outcome, ms: number): void;
  write(controller: string, kind: string): void;
}

const each = (keys: Keys, fn: (key: string) => void) => {
  if (keys === undefined || keys === null) return;
  if (typeof keys === 'string') return fn(keys);
  for (const k of keys) fn(k);
};

/**
 * A reconciler and its queue: sources map changes to keys, the queue runs `reconcile(key)` with
 * de-duplication and back-off, and with sharding a key is only worked while this replica holds
 * its lease. Built by a Manager, which starts it once its sources are synced.
 */
export class Controller {
  readonly queue: WorkQueue;
  private readonly parked = new Map<string, { keys: Set<string>; cancel: Cancel }>();
  private readonly clock: Clock;
  private readonly unsubscribes: Array<() => Promise<void>> = [];
  private cancelResync: Cancel | undefined;
  private started = false;
  private readonly early = new Set<string>();

  constructor(
    private readonly opts: ControllerOptions,
    private readonly deps: { logger: Logger; clock?: Clock; metrics?: ControllerMetrics },
  ) {
    this.clock = deps.clock ?? systemClock;
    const log = deps.logger.child({ controller: opts.name });
    this.queue = new WorkQueue({
      concurrency: opts.concurrency ?? 4,
      clock: this.clock,
      reconcile: (key) => this.run(key),
      onError: (key, err, retrying) => log.error({ err, key, retrying }, 'reconcile failed'),
      onDone: (_key, outcome, ms) => deps.metrics?.done(opts.name, outcome, ms),
    });
    const sharding = opts.sharding;
    if (sharding) {
      sharding.leases.onReleased((lease) => this.unpark(lease));
      sharding.leases.onLost((lease) => {
        log.warn({ lease }, 'lease lost: its keys are left to the new holder');
        void Promise.resolve(sharding.onLost?.(lease)).catch((err: unknown) => log.error({ err, lease }, 'stopping the work of a lost lease failed'));
      });
    }
  }

  get name(): string {
    return this.opts.name;
  }

  enqueue(keys: Keys): void {
    each(keys, (key) => (this.started ? this.queue.add(key) : this.early.add(key)));
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /** Every change of the bucket (puts and deletes) maps to keys; default: the change's key. */
  watch<S extends z.ZodType>(source: KvSource<S>, map: (change: KvChange<z.infer<S>>) => Keys | Promise<Keys> = (c) => c.key): this {
    source.onChange(async (change) => this.enqueue(await map(change)));
    return this;
  }

  /** Every object added, changed or deleted maps to keys. */
  watchObjects<T extends KubernetesObject>(informer: SharedInformer<T>, map: (obj: T) => Keys): this {
    this.unsubscribes.push(informer.subscribe({ onChange: (obj) => this.enqueue(map(obj)) }));
    return this;
  }

  /** Counts a write (metrics: writes by controller and kind; a restart in sync must add none). */
  countWrite(kind: string): void {
    this.deps.metrics?.write(this.opts.name, kind);
  }

  /** Starts working keys (the manager calls it once the sources are synced). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const key of this.early) this.queue.add(key);
    this.early.clear();
    const resync = this.opts.resync;
    if (resync) this.cancelResync = every(this.clock, resync.everyMs, () => this.enqueue(resync.keys()));
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.cancelResync?.();
    for (const { cancel } of this.parked.values()) cancel();
    this.parked.clear();
    await Promise.all(this.unsubscribes.splice(0).map((u) => u()));
    await this.queue.stop();
  }

  private async run(key: string): Promise<ReconcileResult> {
    const sharding = this.opts.sharding;
    if (sharding) {
      const lease = sharding.leaseOf?.(key) ?? key;
      const got = await sharding.leases.acquire(lease);
      if (!got.held) {
        this.park(lease, key, got.retryAfterMs);
        return;
      }
    }
    return this.opts.reconcile(key);
  }

  /** Another replica works `lease`: its keys wait here until it is released or expires. */
  private park(lease: string, key: string, retryAfterMs: number): void {
    const parked = this.parked.get(lease);
    if (parked) {
      parked.keys.add(key);
      return;
    }
    this.parked.set(lease, { keys: new Set([key]), cancel: this.clock.schedule(retryAfterMs, () => this.unpark(lease)) });
  }

  private unpark(lease: string): void {
    const parked = this.parked.get(lease);
    if (!parked) return;
    parked.cancel();
    this.parked.delete(lease);
    for (const key of parked.keys) this.queue.add(key);
  }

  /** Keys waiting for a lease another replica holds. */
  get waiting(): number {
    let n = 0;
    for (const { keys } of this.parked.values()) n += keys.size;
    return n;
  }
}
