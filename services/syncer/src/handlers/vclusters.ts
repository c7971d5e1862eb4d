import type { SyncerLease, VClusterRecord } from '@netbroker/contracts';
import type { JsonKv } from '@netbroker/bus';
import type { WorkQueue } from '@netbroker/kube';
import type { Logger } from '@netbroker/runtime';
import { SWEEP_LEASE } from './sweep';

export interface VClusterWatch {
  readonly running: boolean;
  readonly caughtUp: boolean;
  /** Resolves once every registration present at start was delivered. */
  readonly whenCaughtUp: Promise<void>;
  stop(): void;
}

/** Every change of a registration (put or delete) only enqueues its key; the reconciler re-reads it. */
export async function watchVClusters(deps: {
  vclusters: JsonKv<typeof VClusterRecord>;
  queue: WorkQueue;
  /** Called before a key is first enqueued: readiness waits for its first reconcile. */
  expect: (key: string) => void;
  logger: Logger;
}): Promise<VClusterWatch> {
  const { vclusters, queue, expect, logger } = deps;
  const follower = await vclusters.follow(
    (change) => {
      expect(change.key);
      queue.add(change.key);
    },
    (key, err) => logger.error({ err, key }, 'unreadable virtual cluster record'),
  );
  let caughtUp = false;
  const whenCaughtUp = follower.caughtUp.then(() => {
    caughtUp = true;
  });
  whenCaughtUp.catch((err: unknown) => logger.error({ err }, 'virtual cluster watch ended before catching up'));
  return {
    get running() {
      return follower.running;
    },
    get caughtUp() {
      return caughtUp;
    },
    whenCaughtUp,
    stop: () => follower.stop(),
  };
}

/**
 * A released lease (deleted by a replica that stops) enqueues its key, so a replica waiting for
 * it takes it over at once instead of at expiry. Renewals (puts) enqueue nothing.
 */
export async function watchLeases(deps: { leases: JsonKv<typeof SyncerLease>; queue: WorkQueue; logger: Logger }): Promise<{ stop(): void }> {
  const { leases, queue, logger } = deps;
  const follower = await leases.follow(
    (change) => {
      if (change.op === 'delete' && change.key !== SWEEP_LEASE) queue.add(change.key);
    },
    (key, err) => logger.error({ err, key }, 'unreadable lease record'),
  );
  return { stop: () => follower.stop() };
}
