import type { JsonKv, KvChange, KvFollower } from '@netbroker/bus';
import type { Logger } from '@netbroker/runtime';
import type { z } from 'zod';
import { ReadBarrier } from './barrier';

/** Something a manager starts, stops and waits for before it reports ready. */
export interface Source {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Filled once (a list done, a watch caught up). */
  readonly synced: boolean;
  /** Still watching. */
  readonly running: boolean;
  waitForSync(): Promise<void>;
}

type Listener<T> = (change: KvChange<T>) => void | Promise<void>;

/**
 * A KV bucket followed from its start: the current value of every key in memory, and each
 * change handed to every listener in revision order. `waitFor(revision)` answers once a change a
 * caller has seen (a revision it wrote or read) is visible here; `current()` once every write
 * acknowledged before the call is (a read barrier, shared by the calls of one moment).
 */
export class KvSource<S extends z.ZodType> implements Source {
  readonly name: string;
  private readonly values = new Map<string, z.infer<S>>();
  /** Keys whose last record did not match the schema (the value before it, if any, is kept in `values`). */
  private readonly unreadableKeys = new Map<string, unknown>();
  private readonly listeners: Array<Listener<z.infer<S>>> = [];
  private follower: KvFollower | undefined;
  private caughtUp = false;
  private readonly whenSynced: Promise<void>;
  private markSynced!: (result: { error?: unknown }) => void;
  private readonly barrier = new ReadBarrier(async () => this.waitFor(await this.bucket.lastRevision()));

  constructor(
    readonly bucket: JsonKv<S>,
    private readonly logger: Logger,
  ) {
    this.name = `kv:${bucket.bucket}`;
    this.whenSynced = new Promise<void>((resolve, reject) => {
      this.markSynced = ({ error }) => (error === undefined ? resolve() : reject(error));
    });
    this.whenSynced.catch(() => undefined); // reported where it happens; callers get the rejection
  }

  /** Listeners added before `start()` see every key; later ones only later changes. */
  onChange(listener: Listener<z.infer<S>>): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    this.follower ??= await this.bucket.follow(
      async (change) => {
        this.unreadableKeys.delete(change.key);
        if (change.op === 'put') this.values.set(change.key, change.value);
        else this.values.delete(change.key);
        for (const l of this.listeners) await l(change);
      },
      (key, err) => {
        this.unreadableKeys.set(key, err);
        this.logger.error({ err, bucket: this.bucket.bucket, key }, 'unreadable record; skipped');
      },
    );
    this.follower.caughtUp.then(
      () => {
        this.caughtUp = true;
        this.markSynced({});
      },
      (err: unknown) => {
        this.logger.error({ err, bucket: this.bucket.bucket }, 'bucket watch ended before catching up');
        this.markSynced({ error: err ?? new Error('bucket watch ended') });
      },
    );
  }

  async stop(): Promise<void> {
    this.follower?.stop();
  }

  get synced(): boolean {
    return this.caughtUp;
  }

  get running(): boolean {
    return this.follower?.running ?? false;
  }

  /** Resolves once every key present at start was handed to the listeners (callable before `start()`). */
  waitForSync(): Promise<void> {
    return this.whenSynced;
  }

  /** Resolves once every change up to `revision` is applied here. */
  waitFor(revision: number): Promise<void> {
    return this.follower ? this.follower.waitFor(revision) : Promise.reject(new Error(`${this.name} is not started`));
  }

  /**
   * Resolves once this copy holds every write the bucket acknowledged before the call: one look
   * at the bucket's last revision per batch of callers, then a wait for the watch to reach it.
   * Read after it, a key written by any replica (or any client) before the call is seen here.
   */
  current(): Promise<void> {
    return this.barrier.wait();
  }

  get(key: string): z.infer<S> | undefined {
    return this.values.get(key);
  }

  /**
   * Why the key's last record could not be read (it did not match the schema), or undefined.
   * `get()` still gives the value before it: a controller keeps working from the last good one;
   * a reader that must not answer from it (the api) asks here first.
   */
  unreadable(key: string): unknown {
    return this.unreadableKeys.get(key);
  }

  keys(): IterableIterator<string> {
    return this.values.keys();
  }

  entries(): IterableIterator<[string, z.infer<S>]> {
    return this.values.entries();
  }

  get size(): number {
    return this.values.size;
  }
}
