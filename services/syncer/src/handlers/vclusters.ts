import type { VClusterRecord } from '@netbroker/contracts';
import type { JsonKv } from '@netbroker/bus';
import type { WorkQueue } from '@netbroker/controller';
import type { Logger } from '@netbroker/runtime';

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
