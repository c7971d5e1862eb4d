import { RouterCommand, routerCommandSubject, type RouterReply } from '@netbroker/contracts';
import { serve, type NatsConnection } from '@netbroker/bus';
import type { Cancel, Clock, LeaseHolder } from '@netbroker/controller';
import type { Logger } from '@netbroker/runtime';
import type { Subscription } from '@nats-io/transport-node';

/** The writer lease's name (in `controller-leases`, under `router.`). */
export const WRITER_LEASE = 'writer';
const RETRY_FAILED_MS = 1_000;

export interface WriterDeps {
  nc: NatsConnection;
  leases: LeaseHolder;
  /** Resolves once this replica's view has every write made before the call (the previous writer's last ones too). */
  catchUp: () => Promise<void>;
  handle: (cmd: RouterCommand) => Promise<RouterReply>;
  clock: Clock;
  logger: Logger;
}

/**
 * One replica answers the router's commands: the holder of the writer lease. It catches its view
 * up first, then subscribes; it unsubscribes when the lease is lost or it stops (the manager then
 * releases the lease, so another replica takes over at once). A replica that does not hold the
 * lease is not subscribed, so a request finds the writer or nobody (the api retries).
 */
export class Writer {
  private subscription: Subscription | undefined;
  private timer: Cancel | undefined;
  private taking = false;
  private stopped = false;

  constructor(private readonly deps: WriterDeps) {}

  get serving(): boolean {
    return this.subscription !== undefined;
  }

  start(): void {
    this.deps.leases.onReleased((lease) => lease === WRITER_LEASE && this.ensure());
    this.deps.leases.onLost((lease) => lease === WRITER_LEASE && void this.drop('lease lost').then(() => this.ensure()));
    this.ensure();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.();
    await this.drop('stopping');
  }

  private ensure(): void {
    if (this.stopped || this.subscription || this.taking) return;
    this.timer?.();
    this.taking = true;
    void this.take().finally(() => (this.taking = false));
  }

  private async take(): Promise<void> {
    const { leases, clock, logger } = this.deps;
    let retryAfterMs = RETRY_FAILED_MS;
    try {
      const got = await leases.acquire(WRITER_LEASE);
      if (got.held) {
        await this.deps.catchUp();
        if (this.stopped || !leases.holds(WRITER_LEASE) || this.subscription) return;
        this.subscription = this.subscribe();
        logger.info('holding the writer lease: answering router commands');
        return;
      }
      retryAfterMs = got.retryAfterMs;
    } catch (err) {
      logger.warn({ err }, 'could not take the writer lease; trying again');
    }
    if (!this.stopped) this.timer = clock.schedule(retryAfterMs, () => this.ensure());
  }

  private subscribe(): Subscription {
    const { nc, leases, handle, logger } = this.deps;
    const failure = (reason: 'invalid-request' | 'unavailable' | 'internal', message: string): RouterReply => ({ ok: false, error: { reason, message } });
    return serve(nc, {
      subject: routerCommandSubject,
      queue: 'router',
      schema: RouterCommand,
      // A writer that lost its lease since it subscribed answers nothing it could race on.
      handle: (cmd) => (leases.holds(WRITER_LEASE) ? handle(cmd) : Promise.resolve(failure('unavailable', 'this router replica no longer holds the writer lease; ask again'))),
      invalid: (e) => failure('invalid-request', e.message),
      failed: (err) => {
        logger.error({ err }, 'router command failed');
        return failure('internal', 'the router failed on the request (its log says why); nothing was decided unless a later read shows it');
      },
      tooLarge: (bytes, max) => failure('internal', `the reply (${bytes} bytes) is larger than the max payload ${max}`),
      log: logger,
    });
  }

  private async drop(why: string): Promise<void> {
    const sub = this.subscription;
    if (!sub) return;
    this.subscription = undefined;
    await sub.drain();
    this.deps.logger.info({ why }, 'no longer the router writer');
  }
}
