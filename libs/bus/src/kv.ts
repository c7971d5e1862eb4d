import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import type { z } from 'zod';
import { decodeJson, encodeJson } from './codec';
import { ConflictError } from './errors';
import { runWrite, verifyStored, type RetryOptions, type StoredEntry } from './retry';

/** The header a KV delete or purge marker carries (`DEL`, `PURGE`); a put has none. */
const KV_OPERATION = 'KV-Operation';

export interface KvRecord<T> {
  key: string;
  value: T;
  revision: number;
}

export type KvChange<T> = { op: 'put'; key: string; revision: number; value: T } | { op: 'delete'; key: string; revision: number };

/** KV keys allow `[-/_=.a-zA-Z0-9]`; `.` separates tokens. Encodes an address or CIDR as one token. */
export const encodeKeyToken = (s: string): string => s.replace(/\./g, '-').replace(/:/g, '_');
export const decodeKeyToken = (s: string): string => s.replace(/-/g, '.').replace(/_/g, ':');

/**
 * A JetStream KV bucket of JSON values checked against one zod schema, with compare-and-set.
 * Every write goes through the bus's retry policy (retry.ts): retried while JetStream cannot
 * answer (an election, a time-out), until a deadline (then BusUnavailableError); a compare-and-set
 * lost on a retry is read back, as an earlier attempt whose answer was lost may have stored it.
 */
export class JsonKv<S extends z.ZodType> {
  private jsm: Promise<JetStreamManager> | undefined;

  constructor(
    readonly kv: KV,
    readonly bucket: string,
    private readonly schema: S,
    private readonly nc: NatsConnection,
    private readonly retry: RetryOptions = {},
  ) {}

  /** Writes only if the key does not exist (or was deleted); ConflictError otherwise. `retry` overrides the bucket's policy for this write. */
  async create(key: string, value: z.infer<S>, retry?: RetryOptions): Promise<number> {
    const data = encodeJson(value);
    return runWrite({ op: 'kv.create', target: `${this.bucket}/${key}`, key, attempt: () => this.kv.create(key, data), verify: () => this.readBack('kv.create', key, data) }, { ...this.retry, ...retry });
  }

  /** Writes only if the key is still at `revision`; ConflictError otherwise. */
  async update(key: string, value: z.infer<S>, revision: number, retry?: RetryOptions): Promise<number> {
    const data = encodeJson(value);
    return runWrite(
      { op: 'kv.update', target: `${this.bucket}/${key}`, key, attempt: () => this.kv.update(key, data, revision), verify: () => this.readBack('kv.update', key, data, revision) },
      { ...this.retry, ...retry },
    );
  }

  async put(key: string, value: z.infer<S>, retry?: RetryOptions): Promise<number> {
    const data = encodeJson(value);
    return runWrite({ op: 'kv.put', target: `${this.bucket}/${key}`, key, attempt: () => this.kv.put(key, data) }, { ...this.retry, ...retry });
  }

  /** After a compare-and-set lost on a retry: the revision our earlier attempt stored, or ConflictError. */
  private async readBack(op: 'kv.create' | 'kv.update' | 'kv.delete', key: string, data: Uint8Array, expectedRevision?: number): Promise<number> {
    const verdict = verifyStored(op, data, await this.latest(key), expectedRevision);
    if (!verdict.stored) throw new ConflictError(key);
    return verdict.revision;
  }

  /** The key's current value, as the stream's leader has it (see `latest`). */
  async get(key: string): Promise<KvRecord<z.infer<S>> | undefined> {
    const entry = await this.latest(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    return { key, revision: entry.revision, value: decodeJson(this.schema, entry.value, `${this.bucket}/${key}`) };
  }

  private manager(): Promise<JetStreamManager> {
    this.jsm ??= jetstreamManager(this.nc, { checkAPI: false });
    return this.jsm;
  }

  /**
   * The key's newest entry, read from the stream's leader (`STREAM.MSG.GET`, `last_by_subj`) rather
   * than by a direct get, which on a cluster any replica answers — a follower may not have applied
   * a write acknowledged a moment before. The reads a decision depends on (a compare-and-set's
   * revision, a read-back after a retry, a 404) must see it. As fast as a direct get here (about
   * 2 ms at 2,800 writes/s on a 3-node cluster); the leader answers them all.
   */
  private async latest(key: string): Promise<StoredEntry | undefined> {
    const msg = await (await this.manager()).streams.getMessage(`KV_${this.bucket}`, { last_by_subj: `$KV.${this.bucket}.${key}` });
    if (!msg) return undefined;
    const operation = msg.header?.get(KV_OPERATION);
    return { operation: operation === 'DEL' || operation === 'PURGE' ? operation : 'PUT', value: msg.data, revision: msg.seq };
  }

  /** Deletes; with `revision`, only if the key is still at it (ConflictError otherwise). */
  async delete(key: string, revision?: number, retry?: RetryOptions): Promise<void> {
    const options = revision === undefined ? undefined : { previousSeq: revision };
    await runWrite(
      { op: 'kv.delete', target: `${this.bucket}/${key}`, key, attempt: () => this.kv.delete(key, options), verify: async () => void (await this.readBack('kv.delete', key, new Uint8Array(), revision)) },
      { ...this.retry, ...retry },
    );
  }

  async list(filter = '>'): Promise<Array<KvRecord<z.infer<S>>>> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys(filter)) keys.push(key);
    const records = await Promise.all(keys.map((k) => this.get(k)));
    return records.filter((r): r is KvRecord<z.infer<S>> => r !== undefined);
  }

  /**
   * The bucket's last revision: every change up to it is visible to a follower started now. Read
   * as the last message of any key (`last_by_subj` `$KV.<bucket>.>`) from the stream's leader, so
   * on a cluster too it covers every acknowledged write (a direct get may be answered by a
   * follower behind it). 0 for a bucket that holds no message.
   */
  async lastRevision(): Promise<number> {
    const last = await (await this.manager()).streams.getMessage(`KV_${this.bucket}`, { last_by_subj: `$KV.${this.bucket}.>` });
    return last?.seq ?? 0;
  }

  /**
   * Follows every key of the bucket: first the current value of each, then every change, in
   * revision order. `onChange` runs for one change at a time.
   */
  async follow(onChange: (change: KvChange<z.infer<S>>) => void | Promise<void>, onInvalid: (key: string, e: unknown) => void): Promise<KvFollower> {
    const target = await this.lastRevision();
    const watch = await this.kv.watch();
    const follower = new KvFollower(target, () => watch.stop());
    void (async () => {
      for await (const entry of watch) {
        if (entry.operation === 'PUT') {
          let value: z.infer<S>;
          try {
            value = decodeJson(this.schema, entry.value, `${this.bucket}/${entry.key}`);
          } catch (e) {
            onInvalid(entry.key, e);
            follower.advance(entry.revision);
            continue;
          }
          await onChange({ op: 'put', key: entry.key, revision: entry.revision, value });
        } else {
          await onChange({ op: 'delete', key: entry.key, revision: entry.revision });
        }
        follower.advance(entry.revision);
      }
    })().then(
      () => follower.end(),
      (e: unknown) => follower.end(e),
    );
    return follower;
  }
}

/** How far a watch has got: `waitFor(r)` resolves once every change up to revision r was applied. */
export class KvFollower {
  revision = 0;
  readonly caughtUp: Promise<void>;
  readonly closed: Promise<unknown>;
  private waiters: Array<{ revision: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  private ended: { error: unknown } | undefined;
  private resolveClosed!: (e: unknown) => void;

  constructor(startTarget: number, private readonly stopWatch: () => void) {
    this.caughtUp = this.waitFor(startTarget);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  waitFor(revision: number): Promise<void> {
    if (this.revision >= revision) return Promise.resolve();
    if (this.ended) return Promise.reject(this.ended.error ?? new Error('KV watch ended'));
    return new Promise((resolve, reject) => this.waiters.push({ revision, resolve, reject }));
  }

  advance(revision: number): void {
    this.revision = Math.max(this.revision, revision);
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.revision <= this.revision) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  end(error?: unknown): void {
    this.ended = { error };
    for (const w of this.waiters) w.reject(error ?? new Error('KV watch ended'));
    this.waiters = [];
    this.resolveClosed(error);
  }

  get running(): boolean {
    return this.ended === undefined;
  }

  stop(): void {
    this.stopWatch();
  }
}

export interface OpenKvOptions {
  /** Values kept per key (default 5, at most 64). */
  history?: number;
  /** Stream replicas: 3 on a NATS cluster in production, 1 on a single server. */
  replicas?: number;
  /** Values older than this are dropped (the bucket's max age); unset: kept. */
  maxAgeMs?: number;
  /** The retry policy of its writes (default DEFAULT_RETRY). */
  retry?: RetryOptions;
}

/** A bucket that exists with another replica count than asked, and could not be changed to it. */
export class ReplicasMismatchError extends Error {
  override readonly name = 'ReplicasMismatchError';
  constructor(
    readonly bucket: string,
    readonly actual: number,
    readonly wanted: number,
    options?: ErrorOptions,
  ) {
    const cause = options?.cause instanceof Error ? ` (${options.cause.message})` : '';
    super(`KV bucket ${bucket} has ${actual} replica(s), NATS_REPLICAS asks for ${wanted}, and JetStream refused the change${cause}`, options);
  }
}

/**
 * Opens the bucket, creating it when it does not exist (with `replicas`, default 1). An existing
 * bucket with another replica count is updated to `opts.replicas` when the caller gave it
 * (JetStream adds or removes peers); ReplicasMismatchError when it refuses (more replicas than
 * servers, a single server).
 */
export async function openKv<S extends z.ZodType>(nc: NatsConnection, bucket: string, schema: S, opts: OpenKvOptions = {}): Promise<JsonKv<S>> {
  const replicas = opts.replicas ?? 1;
  const options: Partial<KvOptions> = { history: opts.history ?? 5, replicas, ...(opts.maxAgeMs ? { ttl: opts.maxAgeMs } : {}) };
  const kv = await new Kvm(nc).create(bucket, options);
  const jsm = await jetstreamManager(nc);
  const { config } = await jsm.streams.info(`KV_${bucket}`);
  // Only a caller that says how many replicas it wants changes them: a reader opening with the
  // defaults (a test, a benchmark) must not scale a production bucket down to one.
  if (opts.replicas !== undefined && config.num_replicas !== replicas) {
    await jsm.streams.update(config.name, { ...config, num_replicas: replicas }).catch((e: unknown) => {
      throw new ReplicasMismatchError(bucket, config.num_replicas, replicas, { cause: e });
    });
  }
  return new JsonKv(kv, bucket, schema, nc, opts.retry);
}
