import {
  fail,
  ipamSubjects,
  ok,
  type AllocateReply,
  type AllocateRequest,
  type Allocation,
  type IpamEvent,
  type ListPoolsReply,
  type ListPoolsRequest,
  type LookupReply,
  type LookupRequest,
  type Owner,
  type PoolMapReply,
  type PoolMapRequest,
  type PoolRecord,
  type PoolSpec,
  type PoolStatus,
  type ReleaseRequest,
  type Result,
} from '@netbroker/contracts';
import { decodeKeyToken, encodeKeyToken, isConflict, type Facts, type JsonKv, type KvChange, type KvFollower } from '@netbroker/bus';
import type { Logger } from '@netbroker/runtime';
import type { Allocation as AllocationSchema, PoolRecord as PoolRecordSchema } from '@netbroker/contracts';
import { allocationOrder, pageOf, poolOrder } from './paging';
import { rebuild, type PoolView } from './view';


export interface IpamDeps {
  pools: JsonKv<typeof PoolRecordSchema>;
  allocations: JsonKv<typeof AllocationSchema>;
  events: Facts;
  logger: Logger;
  hostReserved: string[];
  now: () => Date;
}

/** How many blocks one request tries before it gives up racing other replicas. */
const MAX_ATTEMPTS = 32;
/** How long a block another replica took stays out of this replica's picks, at most. */
const HOLD_TAKEN_MS = 2_000;

export const allocationKey = (pool: string, cidr: string) => `${pool}.${encodeKeyToken(cidr)}`;

/** The pool and CIDR of an allocation key (`<pool>.<cidr token>`); undefined for any other key. */
export function parseAllocationKey(key: string): { pool: string; cidr: string } | undefined {
  const dot = key.indexOf('.');
  if (dot <= 0 || dot === key.length - 1 || key.indexOf('.', dot + 1) >= 0) return undefined;
  return { pool: key.slice(0, dot), cidr: decodeKeyToken(key.slice(dot + 1)) };
}

const ownedBy = (a: Allocation, owner: Partial<Owner>) =>
  a.owner.tenant === owner.tenant &&
  (owner.project === undefined || a.owner.project === owner.project) &&
  (owner.purpose === undefined || a.owner.purpose === owner.purpose);

/**
 * One ipam replica: an in-memory view of every pool and allocation, kept by following the KV
 * buckets, and KV `create()` as the arbiter between replicas (see PoolView for the rule).
 */
export class Ipam {
  private readonly views = new Map<string, PoolView>();
  /** Allocation records of pools this replica does not know yet, in revision order. */
  private readonly waiting = new Map<string, Array<{ revision: number; allocation: Allocation }>>();
  private readonly localRequests = new Map<string, Promise<AllocateReply>>();
  private poolFollower: KvFollower | undefined;
  private allocationFollower: KvFollower | undefined;
  private catchingUp = true;
  private readonly publishing = new Set<Promise<unknown>>();
  private readonly poolListeners: Array<(pool: string, exists: boolean) => void> = [];
  /** Allocations this replica wrote and had accepted, by pool (the metric shows where they land). */
  readonly written = new Map<string, number>();

  constructor(private readonly deps: IpamDeps) {}

  /** Hears of every pool that appears or goes (the holders take and release its lease). */
  onPool(listener: (pool: string, exists: boolean) => void): void {
    this.poolListeners.push(listener);
  }

  has(pool: string): boolean {
    return this.views.has(pool);
  }

  get pools(): string[] {
    return [...this.views.keys()];
  }

  async start(): Promise<void> {
    const { pools, allocations, logger } = this.deps;
    const invalid = (key: string, e: unknown) => logger.error({ err: e, key }, 'unreadable KV record ignored');
    this.poolFollower = await pools.follow((c) => this.applyPool(c), invalid);
    await this.poolFollower.caughtUp;
    this.allocationFollower = await allocations.follow((c) => this.applyAllocation(c), invalid);
    await this.allocationFollower.caughtUp;
    this.catchingUp = false;
    logger.info({ pools: this.views.size, allocations: this.count() }, 'view rebuilt from KV');
  }

  /** Resolves once the view has applied every write made to the buckets before this call (see ReadBarrier). */
  async catchUp(): Promise<void> {
    const [pools, allocations] = await Promise.all([this.deps.pools.lastRevision(), this.deps.allocations.lastRevision()]);
    await Promise.all([this.poolFollower!.waitFor(pools), this.allocationFollower!.waitFor(allocations)]);
  }

  get ready(): boolean {
    return !this.catchingUp && !!this.poolFollower?.running && !!this.allocationFollower?.running;
  }

  stop(): void {
    this.poolFollower?.stop();
    this.allocationFollower?.stop();
  }

  private count(): number {
    return [...this.views.values()].reduce((n, v) => n + v.accepted.size, 0);
  }

  // --- following KV -----------------------------------------------------------------------------

  private applyPool(change: KvChange<PoolRecord>): void {
    const previous = this.views.get(change.key);
    if (change.op === 'delete') {
      if (this.views.delete(change.key)) this.poolListeners.forEach((l) => l(change.key, false));
      return;
    }
    const replay = previous ? [...previous.accepted.values()].sort((a, b) => a.revision - b.revision) : [];
    replay.push(...(this.waiting.get(change.key) ?? []));
    this.waiting.delete(change.key);
    const built = rebuild(change.value, this.deps.hostReserved, replay);
    if (!built.ok) {
      this.deps.logger.error({ pool: change.key, error: built.error }, 'pool update does not fit its allocations; keeping the previous pool');
      return;
    }
    if (previous) built.value.adoptClaims(previous.claimed);
    this.views.set(change.key, built.value);
    if (!previous) this.poolListeners.forEach((l) => l(change.key, true));
  }

  private async applyAllocation(change: KvChange<Allocation>): Promise<void> {
    const parsed = parseAllocationKey(change.key);
    if (!parsed) {
      this.deps.logger.error({ key: change.key }, 'a key of no allocation in the allocations bucket; ignored');
      return;
    }
    const { pool, cidr } = parsed;
    const view = this.views.get(pool);
    if (change.op === 'delete') {
      if (view) view.forget(cidr);
      else this.waiting.set(pool, (this.waiting.get(pool) ?? []).filter((w) => w.allocation.cidr !== cidr));
      return;
    }
    if (!view) {
      const list = this.waiting.get(pool) ?? [];
      list.push({ revision: change.revision, allocation: change.value });
      this.waiting.set(pool, list);
      return;
    }
    if (!view.accept(change.revision, change.value) && this.catchingUp) {
      // A loser left behind by a replica that died before deleting it.
      await this.deps.allocations.delete(change.key, change.revision).catch((e: unknown) => {
        if (!isConflict(e)) throw e;
      });
    }
  }

  // --- requests ---------------------------------------------------------------------------------

  /** Idempotent per request id: a repeated request answers the allocation of the first. */
  allocate(req: AllocateRequest): Promise<AllocateReply> {
    const local = `${req.pool}/${req.requestId}`;
    const running = this.localRequests.get(local);
    if (running) return running;
    const work = this.claim(req).finally(() => this.localRequests.delete(local));
    this.localRequests.set(local, work);
    return work;
  }

  private existing(view: PoolView, req: AllocateRequest): AllocateReply | undefined {
    const cidr = view.byRequest.get(req.requestId);
    if (cidr === undefined) return undefined;
    const found = view.accepted.get(cidr)!.allocation;
    if (!ownedBy(found, req.owner) || found.owner.purpose !== req.owner.purpose) {
      return fail('invalid-request', `request id ${req.requestId} was used by another owner`);
    }
    return ok(found);
  }

  private async claim(req: AllocateRequest): Promise<AllocateReply> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const view = this.views.get(req.pool);
      if (!view) return fail('unknown-pool', `pool ${req.pool} does not exist`);
      const done = this.existing(view, req);
      if (done) return done;
      const picked = view.claim(req);
      if (!picked.ok) return picked;
      const cidr = picked.value;
      const allocation: Allocation = { v: 1, pool: req.pool, cidr, owner: req.owner, requestId: req.requestId, allocatedAt: this.deps.now().toISOString() };
      if (req.dryRun) {
        view.unclaim(cidr);
        return ok(allocation);
      }
      const key = allocationKey(req.pool, cidr);
      let held = false;
      try {
        const revision = await this.deps.allocations.create(key, allocation);
        await this.allocationFollower!.waitFor(revision);
        const mine = this.views.get(req.pool)?.accepted.get(cidr);
        if (mine?.revision === revision) {
          this.written.set(req.pool, (this.written.get(req.pool) ?? 0) + 1);
          this.publish(ipamSubjects.allocated, allocation, revision);
          return ok(allocation);
        }
        // Lost to a record with a lower revision: remove ours and try again.
        await this.deps.allocations.delete(key, revision).catch((e: unknown) => {
          if (!isConflict(e)) throw e;
        });
      } catch (e) {
        if (!isConflict(e)) throw e;
        // Another replica wrote this key first: keep the block out of our picks until the watch
        // has brought its record (accepted, it then stays held) rather than asking KV for it.
        held = true;
        setTimeout(() => this.views.get(req.pool)?.unclaim(cidr), HOLD_TAKEN_MS).unref();
      } finally {
        if (!held) this.views.get(req.pool)?.unclaim(cidr);
      }
    }
    return fail('exhausted', `gave up after ${MAX_ATTEMPTS} contended attempts on pool ${req.pool}; retry`);
  }

  async release(req: ReleaseRequest): Promise<Result<{ released: Allocation[] }>> {
    const targets: Array<{ revision: number; allocation: Allocation }> = [];
    for (const view of this.views.values()) {
      if (req.pool !== undefined && view.record.name !== req.pool) continue;
      for (const entry of view.accepted.values()) {
        const match = req.cidr !== undefined ? entry.allocation.cidr === req.cidr : true;
        if (match && (req.owner === undefined || ownedBy(entry.allocation, req.owner))) targets.push(entry);
      }
    }
    if (req.pool !== undefined && !this.views.has(req.pool)) return fail('unknown-pool', `pool ${req.pool} does not exist`);
    const released: Allocation[] = [];
    for (const { revision, allocation } of targets) {
      try {
        await this.deps.allocations.delete(allocationKey(allocation.pool, allocation.cidr), revision);
        released.push(allocation);
        this.publish(ipamSubjects.released, allocation, revision);
      } catch (e) {
        if (!isConflict(e)) throw e; // already released by someone else: harmless
      }
    }
    return ok({ released });
  }

  /** One page of the allocations matching `pool` and `owner`, in allocationOrder (see LookupRequest). */
  lookup(req: LookupRequest): LookupReply {
    if (req.pool !== undefined && !this.views.has(req.pool)) return fail('unknown-pool', `pool ${req.pool} does not exist`);
    const allocations = [...this.views.values()]
      .filter((v) => req.pool === undefined || v.record.name === req.pool)
      .flatMap((v) => [...v.accepted.values()].map((e) => e.allocation))
      .filter((a) => req.owner === undefined || ownedBy(a, req.owner));
    const page = pageOf(allocationOrder, allocations, req);
    return page.ok ? ok({ allocations: page.value.items, ...(page.value.continue !== undefined ? { continue: page.value.continue } : {}) }) : page;
  }

  /** The map of a window of a pool, from this replica's view (see PoolMapRequest). */
  poolMap(req: PoolMapRequest): PoolMapReply {
    const view = this.views.get(req.pool);
    if (!view) return fail('unknown-pool', `pool ${req.pool} does not exist`);
    return view.map(req.pool, req);
  }

  // --- pools ------------------------------------------------------------------------------------

  async putPool(spec: PoolSpec): Promise<Result<PoolStatus>> {
    const record: PoolRecord = { ...spec, v: 1 };
    const current = this.views.get(spec.name);
    const allocations = current ? [...current.accepted.values()].sort((a, b) => a.revision - b.revision) : [];
    const built = rebuild(record, this.deps.hostReserved, allocations);
    if (!built.ok) return built;
    const existing = await this.deps.pools.get(spec.name);
    if (existing && existing.value.kind !== record.kind) return fail('invalid-request', `pool ${spec.name} is a ${existing.value.kind} pool; its kind cannot change`);
    const revision = existing ? await this.deps.pools.update(spec.name, record, existing.revision) : await this.deps.pools.create(spec.name, record);
    await this.poolFollower!.waitFor(revision);
    return ok(this.status(spec.name)!);
  }

  async deletePool(name: string): Promise<Result<{ deleted: boolean }>> {
    const view = this.views.get(name);
    if (!view) return ok({ deleted: false });
    if (view.accepted.size > 0) return fail('pool-in-use', `pool ${name} still holds ${view.accepted.size} allocation(s)`);
    await this.deps.pools.delete(name);
    return ok({ deleted: true });
  }

  status(name: string): PoolStatus | undefined {
    const view = this.views.get(name);
    return view && { pool: view.record, utilisation: view.utilisation() };
  }

  listPools(): PoolStatus[] {
    return [...this.views.keys()].sort().map((name) => this.status(name)!);
  }

  /** One page of pools by name (see ListPoolsRequest). */
  listPoolsPage(req: ListPoolsRequest): ListPoolsReply {
    const page = pageOf(poolOrder, this.listPools(), req);
    return page.ok ? ok({ pools: page.value.items, ...(page.value.continue !== undefined ? { continue: page.value.continue } : {}) }) : page;
  }

  /**
   * Publishes a fact after the reply, not awaited: the KV record is the truth, the fact is for
   * audit (Facts retries it, and counts and logs it if lost). Pending publishes are awaited on
   * shutdown (`flush`).
   */
  private publish(subject: string, allocation: Allocation, revision: number): void {
    const event: IpamEvent = { v: 1, allocation, revision };
    const sent = this.deps.events
      .publish(subject, event, `${subject}:${allocation.pool}:${allocation.cidr}:${revision}`)
      .catch((e: unknown) => this.deps.logger.error({ err: e, subject, cidr: allocation.cidr }, 'fact not published'))
      .finally(() => this.publishing.delete(sent));
    this.publishing.add(sent);
  }

  async flush(): Promise<void> {
    await Promise.all(this.publishing);
  }
}
