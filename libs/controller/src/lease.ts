import { isConflict, type JsonKv, type KvFollower, type KvRecord } from '@netbroker/bus';
import type { Lease } from '@netbroker/contracts';
import type { Logger } from '@netbroker/runtime';
import { every, systemClock, type Cancel, type Clock } from './clock';

// --- Pure decisions: the time is passed in ---------------------------------------------------

/** What a replica does about one lease, given the lease as read now. */
export type LeaseDecision =
  | { action: 'create' }
  | { action: 'update'; revision: number; takeover: boolean }
  | { action: 'wait'; retryAfterMs: number };

export const isExpired = (lease: Lease, now: number): boolean => Date.parse(lease.expiresAt) <= now;

/** Absent → create; ours → renew; another's but expired → take over (CAS); another's and live → wait until it expires. */
export function decideLease(current: KvRecord<Lease> | undefined, me: string, now: number): LeaseDecision {
  if (!current) return { action: 'create' };
  if (current.value.holder === me) return { action: 'update', revision: current.revision, takeover: false };
  if (isExpired(current.value, now)) return { action: 'update', revision: current.revision, takeover: true };
  return { action: 'wait', retryAfterMs: Date.parse(current.value.expiresAt) - now };
}

export const leaseValue = (holder: string, now: number, leaseMs: number): Lease => ({
  v: 1,
  holder,
  renewedAt: new Date(now).toISOString(),
  expiresAt: new Date(now + leaseMs).toISOString(),
});

/** A lease is renewed every third of its length: two renewals may fail before it expires. */
export const renewIntervalMs = (leaseMs: number): number => Math.max(1, Math.floor(leaseMs / 3));

/**
 * Spread: before taking a free lease, a replica waits longer the more it already holds, so a
 * replica with fewer leases wins the race for new ones. `random` in [0, 1).
 */
export const takeDelayMs = (held: number, leaseMs: number, random: number): number =>
  held === 0 ? 0 : Math.round(Math.min(held * 100, leaseMs / 2) * (0.5 + random / 2));

// --- The KV side -----------------------------------------------------------------------------

export interface LeaseHolderOptions {
  leases: JsonKv<typeof Lease>;
  /** This replica. */
  holder: string;
  leaseMs: number;
  /** Prepended to every lease name in the bucket (e.g. `mapper.mappings.`); the syncer's registrations use none. */
  prefix?: string;
  clock?: Clock;
  random?: () => number;
  logger: Logger;
}

interface Held {
  revision: number;
  renewedAt: number;
}

type Listener = (lease: string) => void;
type Acquired = { held: true } | { held: false; retryAfterMs: number };

/**
 * The leases one replica holds in one bucket, renewed on a timer, compare-and-set everywhere.
 * `onLost` hears of a lease taken by another replica or not renewed in time (stop its work now);
 * `onReleased` of a lease another replica deleted (take it at once, not at expiry).
 */
export class LeaseHolder {
  private readonly held = new Map<string, Held>();
  private readonly deferred = new Set<string>();
  private readonly acquiring = new Map<string, Promise<Acquired>>();
  private readonly lostListeners: Listener[] = [];
  private readonly releasedListeners: Listener[] = [];
  private readonly clock: Clock;
  private readonly prefix: string;
  private cancelRenew: Cancel | undefined;
  private follower: KvFollower | undefined;
  private renewing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LeaseHolderOptions) {
    this.clock = opts.clock ?? systemClock;
    this.prefix = opts.prefix ?? '';
  }

  get id(): string {
    return this.opts.holder;
  }

  get count(): number {
    return this.held.size;
  }

  holds(lease: string): boolean {
    return this.held.has(lease);
  }

  onLost(listener: Listener): void {
    this.lostListeners.push(listener);
  }

  onReleased(listener: Listener): void {
    this.releasedListeners.push(listener);
  }

  /**
   * Takes or takes over `lease` (a held one is the renewal timer's); `retryAfterMs` when another
   * replica holds it. Concurrent calls for one lease share one attempt (two keys of one shard
   * must not race each other into a conflict).
   */
  acquire(lease: string): Promise<Acquired> {
    if (this.held.has(lease)) return Promise.resolve({ held: true });
    let attempt = this.acquiring.get(lease);
    if (!attempt) {
      attempt = this.attempt(lease).finally(() => this.acquiring.delete(lease));
      this.acquiring.set(lease, attempt);
    }
    return attempt;
  }

  private async attempt(lease: string): Promise<Acquired> {
    const { leases, holder, leaseMs } = this.opts;
    const at = this.clock.now();
    const key = this.prefix + lease;
    const decision = decideLease(await leases.get(key), holder, at);
    if (decision.action === 'wait') {
      this.deferred.delete(lease);
      return { held: false, retryAfterMs: Math.max(decision.retryAfterMs, 50) };
    }
    const free = decision.action === 'create' || decision.takeover;
    if (free && !this.deferred.has(lease)) {
      const delay = takeDelayMs(this.held.size, leaseMs, (this.opts.random ?? Math.random)());
      if (delay > 0) {
        this.deferred.add(lease);
        return { held: false, retryAfterMs: delay };
      }
    }
    this.deferred.delete(lease);
    try {
      const value = leaseValue(holder, at, leaseMs);
      const retry = this.writeRetry();
      const revision = decision.action === 'create' ? await leases.create(key, value, retry) : await leases.update(key, value, decision.revision, retry);
      this.held.set(lease, { revision, renewedAt: at });
      return { held: true };
    } catch (e) {
      if (!isConflict(e)) throw e;
      return { held: false, retryAfterMs: leaseMs };
    }
  }

  /**
   * Lease writes ride out a NATS election only for a renewal interval: a renewal still retrying
   * when the lease expires would let this replica work on while another takes the lease over.
   */
  private writeRetry(): { deadlineMs: number } {
    return { deadlineMs: renewIntervalMs(this.opts.leaseMs) };
  }

  /** Deletes the lease if still ours (CAS), so another replica takes it at once. */
  async release(lease: string): Promise<void> {
    const held = this.held.get(lease);
    if (!held) return;
    this.held.delete(lease);
    try {
      await this.opts.leases.delete(this.prefix + lease, held.revision, this.writeRetry());
    } catch (e) {
      if (!isConflict(e)) throw e; // taken over meanwhile: nothing of ours to release
    }
  }

  /** Renews on a timer and follows the bucket for leases released by others. */
  async start(): Promise<void> {
    this.cancelRenew ??= every(this.clock, renewIntervalMs(this.opts.leaseMs), () => {
      this.renewing = this.renewing.then(() => this.renewAll());
    });
    this.follower ??= await this.opts.leases.follow(
      (change) => {
        if (change.op !== 'delete' || !change.key.startsWith(this.prefix)) return;
        const lease = change.key.slice(this.prefix.length);
        if (!this.held.has(lease)) this.releasedListeners.forEach((l) => l(lease));
      },
      (key, err) => this.opts.logger.error({ err, key }, 'unreadable lease record'),
    );
  }

  async renewAll(): Promise<void> {
    const { leases, holder, leaseMs, logger } = this.opts;
    await Promise.all(
      [...this.held.entries()].map(async ([lease, held]) => {
        const at = this.clock.now();
        try {
          const revision = await leases.update(this.prefix + lease, leaseValue(holder, at, leaseMs), held.revision, this.writeRetry());
          if (this.held.get(lease) === held) this.held.set(lease, { revision, renewedAt: at });
        } catch (e) {
          if (this.held.get(lease) !== held) return; // released meanwhile
          if (isConflict(e) || at >= held.renewedAt + leaseMs) {
            this.held.delete(lease);
            logger.warn({ err: e, lease }, 'lease lost; stopping its work');
            this.lostListeners.forEach((l) => l(lease));
            return;
          }
          logger.warn({ err: e, lease }, 'lease renewal failed; retrying before it expires');
        }
      }),
    );
  }

  /** Stops renewing and releases every lease held. */
  async stop(): Promise<void> {
    this.cancelRenew?.();
    this.cancelRenew = undefined;
    this.follower?.stop();
    this.follower = undefined;
    await this.renewing;
    await Promise.all([...this.held.keys()].map((lease) => this.release(lease)));
  }
}
