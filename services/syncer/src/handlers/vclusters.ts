import type { VClusterRecord } from '@netbroker/contracts';
import type { JsonKv } from '@netbroker/bus';
import type { WorkQueue } from '@netbroker/kube';
import type { Logger } from '@netbroker/runtime';

export interface VClusterWatch {
  readonly running: boolean;
  readonly caughtUp: boolean;
  stop(): void;
}

/** Every change of a registration (put or delete) only enqueues its key; the reconciler re-reads it. */
export async function watchVClusters(deps: { vclusters: JsonKv<typeof VClusterRecord>; queue: WorkQueue; logger: Logger }): Promise<VClusterWatch> {
  const { vclusters, queue, logger } = deps;
  const follower = await vclusters.follow(
    (change) => queue.add(change.key),
    (key, err) => logger.error({ err, key }, 'unreadable virtual cluster record'),
  );
  let caughtUp = false;
  void follower.caughtUp.then(
    () => (caughtUp = true),
    (err: unknown) => logger.error({ err }, 'virtual cluster watch ended before catching up'),
  );
  return {
    get running() {
      return follower.running;
    },
    get caughtUp() {
      return caughtUp;
    },
    stop: () => follower.stop(),
  };
}
