import type { SyncerLease } from '@netbroker/contracts';
import { isConflict, type JsonKv, type KvRecord } from '@netbroker/bus';
import type { Logger } from '@netbroker/runtime';

// --- Pure decisions: the clock is passed in --------------------------------------------------

/** What a replica does about one registration's lease, given the lease as read now. */
export type LeaseDecision =
  | { action: 'create' }
  | { action: 'update'; revision: number; takeover: boolean }
  | { action: 'wait'; retryAfterMs: number };

export const isExpired = (lease: SyncerLease, now: Date): boolean => Date.parse(lease.expiresAt) <= now.getTime();

/** Absent → create; ours → renew; another's but expired → take over (CAS); another's and live → wait until it expires. */
export function decideLease(current: KvRecord<SyncerLease> | undefined, me: string, now: Date): LeaseDecision {
  if (!current) return { action: 'create' };
  if (current.value.holder === me) return { action: 'update', revision: current.revision, takeover: false };
  if (isExpired(current.value, now)) return { action: 'update', revision: current.revision, takeover: true };
  return { action: 'wait', retryAfterMs: Date.parse(current.value.expiresAt) - now.getTime() };
}

export const leaseValue = (holder: string, now: Date, leaseMs: number): SyncerLease => ({
  v: 1,
  holder,
  renewedAt: now.toISOString(),
  expiresAt: new Date(now.getTime() + leaseMs).toISOString(),
});

/** A lease is renewed every third of its length: two renewals may fail before it expires. */
export const renewIntervalMs = (leaseMs: number): number => Math.max(1, Math.floor(leaseMs / 3));

/**
 * Spread: before taking a free lease, a replica waits longer the more it already holds, so a
 * replica with fewer registrations wins the race for new ones. `random` in [0, 1).
 */
export const takeDelayMs = (held: number, leaseMs: number, random: number): number =>
  held === 0 ? 0 : Math.round(Math.min(held * 100, leaseMs / 2) * (0.5 + random / 2));

// --- The KV side -----------------------------------------------------------------------------

export interface LeaseHolderDeps {
  leases: JsonKv<typeof SyncerLease>;
  holder: string;
  leaseMs: number;
  now: () => Date;
  random: () => number;
  /** A held lease was taken by another replica or could not be renewed in time: stop its loop now. */
  onLost: (key: string) => void;
  logger: Logger;
}

interface Held {
  revision: number;
  renewedAt: number;
}

/** The leases this replica holds, renewed on a timer; compare-and-set everywhere. */
export class LeaseHolder {
  private readonly held = new Map<string, Held>();
  private readonly deferred = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: LeaseHolderDeps) {}

  get id(): string {
    return this.deps.holder;
  }

  get count(): number {
    return this.held.size;
  }

  holds(key: string): boolean {
    return this.held.has(key);
  }

  /** Takes or takes over the lease of `key` (a held one is the renewal timer's); `retryAfterMs` when another replica holds it. */
  async acquire(key: string): Promise<{ held: true } | { held: false; retryAfterMs: number }> {
    if (this.held.has(key)) return { held: true };
    const { leases, holder, leaseMs, now } = this.deps;
    const at = now();
    const decision = decideLease(await leases.get(key), holder, at);
    if (decision.action === 'wait') {
      this.deferred.delete(key);
      return { held: false, retryAfterMs: Math.max(decision.retryAfterMs, 50) };
    }
    const free = decision.action === 'create' || decision.takeover;
    if (free && !this.deferred.has(key)) {
      const delay = takeDelayMs(this.held.size, leaseMs, this.deps.random());
      if (delay > 0) {
        this.deferred.add(key);
        return { held: false, retryAfterMs: delay };
      }
    }
    this.deferred.delete(key);
    try {
      const value = leaseValue(holder, at, leaseMs);
      const revision = decision.action === 'create' ? await leases.create(key, value) : await leases.update(key, value, decision.revision);
      this.held.set(key, { revision, renewedAt: at.getTime() });
      return { held: true };
    } catch (e) {
      if (!isConflict(e)) throw e;
      return { held: false, retryAfterMs: leaseMs };
    }
  }

  /** Deletes the lease if still ours (CAS), so another replica takes it at once. */
  async release(key: string): Promise<void> {
    const held = this.held.get(key);
    if (!held) return;
    this.held.delete(key);
    try {
      await this.deps.leases.delete(key, held.revision);
    } catch (e) {
      if (!isConflict(e)) throw e; // taken over meanwhile: nothing of ours to release
    }
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.renewing = this.renewing.then(() => this.renewAll());
    }, renewIntervalMs(this.deps.leaseMs));
  }

  async renewAll(): Promise<void> {
    const { leases, holder, leaseMs, now, onLost, logger } = this.deps;
    await Promise.all(
      [...this.held.entries()].map(async ([key, held]) => {
        const at = now();
        try {
          const revision = await leases.update(key, leaseValue(holder, at, leaseMs), held.revision);
          if (this.held.get(key) === held) this.held.set(key, { revision, renewedAt: at.getTime() });
        } catch (e) {
          if (this.held.get(key) !== held) return; // released meanwhile
          if (isConflict(e) || at.getTime() >= held.renewedAt + leaseMs) {
            this.held.delete(key);
            logger.warn({ err: e, key }, 'lease lost; stopping its sync loop');
            onLost(key);
            return;
          }
          logger.warn({ err: e, key }, 'lease renewal failed; retrying before it expires');
        }
      }),
    );
  }

  /** Stops renewing and releases every lease held. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.renewing;
    await Promise.all([...this.held.keys()].map((key) => this.release(key)));
  }
}
