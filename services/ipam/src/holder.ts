import type { Cancel, Clock, LeaseHolder } from '@netbroker/controller';
import type { Logger } from '@netbroker/runtime';

/** Something served while this replica holds a pool: its allocate subject. */
export interface Served {
  /** Stops taking requests and resolves once those taken are answered. */
  stop(): Promise<void>;
}

export interface PoolHoldersDeps {
  /** Leases in `controller-leases` under `ipam.pool.`; the lease of a pool is named by the pool. */
  leases: LeaseHolder;
  ipam: {
    onPool(listener: (pool: string, exists: boolean) => void): void;
    has(pool: string): boolean;
    readonly pools: string[];
    /** Resolves once the view has applied every write made before the call. */
    catchUp(): Promise<void>;
  };
  /** Starts serving a pool this replica now holds. */
  serve: (pool: string) => Served;
  clock: Clock;
  logger: Logger;
}

/** How long a replica waits before trying a lease again after the attempt itself failed (NATS away). */
const RETRY_FAILED_MS = 1_000;

/**
 * One allocating holder per pool. Every replica tries to take the lease of every pool it knows;
 * LeaseHolder's spread delay lets the replica holding fewest win a free one. The holder first
 * catches its view up (every allocation of the previous holder, so a repeated request id finds
 * its first answer), then serves the pool's allocate subject until it loses the lease (not renewed
 * in time, or taken), the pool goes (the lease is released) or the replica stops (the manager
 * releases its leases after `stop`, so another replica takes over at once, not at expiry).
 */
export class PoolHolders {
  private readonly serving = new Map<string, Served>();
  private readonly taking = new Set<string>();
  private readonly timers = new Map<string, Cancel>();
  private stopped = false;

  constructor(private readonly deps: PoolHoldersDeps) {}

  start(): void {
    const { ipam, leases } = this.deps;
    ipam.onPool((pool, exists) => (exists ? this.ensure(pool) : void this.drop(pool, 'pool deleted')));
    leases.onReleased((pool) => this.ensure(pool));
    leases.onLost((pool) => void this.drop(pool, 'lease lost').then(() => this.ensure(pool)));
    for (const pool of ipam.pools) this.ensure(pool);
  }

  /** True while this replica holds the pool's lease and serves it. */
  holds(pool: string): boolean {
    return this.serving.has(pool);
  }

  get held(): string[] {
    return [...this.serving.keys()].sort();
  }

  /** Stops serving every pool (answering what was taken); the leases are the manager's to release. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.forEach((cancel) => cancel());
    this.timers.clear();
    await Promise.all([...this.serving.keys()].map((pool) => this.drop(pool, 'stopping')));
  }

  /** Tries to take the pool's lease now unless held, being taken, or the pool is gone. */
  private ensure(pool: string): void {
    if (this.stopped || this.serving.has(pool) || this.taking.has(pool) || !this.deps.ipam.has(pool)) return;
    this.timers.get(pool)?.();
    this.timers.delete(pool);
    this.taking.add(pool);
    void this.take(pool).finally(() => this.taking.delete(pool));
  }

  private async take(pool: string): Promise<void> {
    const { leases, ipam, clock, logger } = this.deps;
    let retryAfterMs: number;
    try {
      const got = await leases.acquire(pool);
      if (got.held) {
        await ipam.catchUp();
        if (!ipam.has(pool)) return void (await leases.release(pool));
        if (this.stopped || !leases.holds(pool) || this.serving.has(pool)) return;
        this.serving.set(pool, this.deps.serve(pool));
        logger.info({ pool }, 'holding pool: allocating its addresses');
        return;
      }
      retryAfterMs = got.retryAfterMs;
    } catch (err) {
      logger.warn({ err, pool }, 'could not take the pool lease; trying again');
      retryAfterMs = RETRY_FAILED_MS;
    }
    if (this.stopped) return;
    this.timers.set(
      pool,
      clock.schedule(retryAfterMs, () => {
        this.timers.delete(pool);
        this.ensure(pool);
      }),
    );
  }

  private async drop(pool: string, why: 'pool deleted' | 'lease lost' | 'stopping'): Promise<void> {
    const served = this.serving.get(pool);
    this.timers.get(pool)?.();
    this.timers.delete(pool);
    if (served) {
      this.serving.delete(pool);
      await served.stop();
      this.deps.logger.info({ pool, why }, 'no longer holding pool');
    }
    // A deleted pool's lease goes too; a lost one is not ours, and stopping releases them all.
    if (why === 'pool deleted') await this.deps.leases.release(pool);
  }
}
