import type { ProjectRecord } from '@netbroker/contracts';
import type { JsonKv } from '@netbroker/bus';
import type { WorkQueue } from '@netbroker/controller';
import type { Logger } from '@netbroker/runtime';

export interface ProjectWatch {
  readonly running: boolean;
  stop(): void;
}

/**
 * Level-triggered input: every change of a project record (and, as a safety net, every project
 * at each resync) only enqueues its key; the reconciler re-reads the current state.
 */
export async function watchProjects(deps: {
  projects: JsonKv<typeof ProjectRecord>;
  queue: WorkQueue;
  logger: Logger;
  resyncIntervalMs: number;
}): Promise<ProjectWatch> {
  const { projects, queue, logger } = deps;
  const follower = await projects.follow(
    (change) => queue.add(change.key),
    (key, err) => logger.error({ err, key }, 'unreadable project record'),
  );
  const resync = setInterval(() => {
    void projects.list().then(
      (records) => records.forEach((r) => queue.add(r.key)),
      (err: unknown) => logger.error({ err }, 'resync failed'),
    );
  }, deps.resyncIntervalMs);
  resync.unref();
  return {
    get running() {
      return follower.running;
    },
    stop() {
      clearInterval(resync);
      follower.stop();
    },
  };
}
