import { MappingRecord, projectKey, type ProjectRecord, type TenantRecord, type VClusterRecord } from '@netbroker/contracts';
import type { JsonKv, KvFollower } from '@netbroker/bus';
import type { WorkQueue } from '@netbroker/kube';
import type { Logger } from '@netbroker/runtime';
import type { MappingIndex } from '../mapping-index';

export interface Follows {
  readonly running: boolean;
  readonly caughtUp: boolean;
  stop(): void;
}

/**
 * Follows the buckets mappings depend on; every change only updates the index and enqueues the
 * keys it concerns (the reconciler reads current state): mappings themselves, registrations of
 * virtual clusters and projects (`<tenant>.<project>`), and tenants (their import allowlists).
 */
export async function followBuckets(deps: {
  mappings: JsonKv<typeof MappingRecord>;
  vclusters: JsonKv<typeof VClusterRecord>;
  tenants: JsonKv<typeof TenantRecord>;
  projects: JsonKv<typeof ProjectRecord>;
  index: MappingIndex;
  queue: WorkQueue;
  /** The set of mappings changed: watches follow. */
  onMappingsChanged: () => Promise<void>;
  logger: Logger;
}): Promise<Follows> {
  const { index, queue, logger } = deps;
  const invalid = (bucket: string) => (key: string, err: unknown) => logger.error({ err, bucket, key }, 'unreadable record');
  const followers: KvFollower[] = [
    await deps.tenants.follow(async (change) => {
      index.setTenant(change.key, change.op === 'put' ? change.value : undefined);
      index.keys((r) => r.tenant === change.key).forEach((k) => queue.add(k));
      await deps.onMappingsChanged();
    }, invalid('tenants')),
    await deps.mappings.follow(async (change) => {
      if (change.op === 'put') index.put(change.key, change.value);
      else {
        // Deleted while the mapper was down: the last value in the key's history says what to remove.
        const last = index.lookup(change.key) ? undefined : await lastValue(deps.mappings, change.key);
        if (last) index.put(change.key, last);
        index.delete(change.key);
      }
      queue.add(change.key);
      await deps.onMappingsChanged();
    }, invalid('mappings')),
    await deps.vclusters.follow((change) => {
      index.keys((r) => projectKey(r.tenant, r.project) === change.key).forEach((k) => queue.add(k));
    }, invalid('vclusters')),
    // A project being deleted takes its mappings with it.
    await deps.projects.follow((change) => {
      index.keys((r) => projectKey(r.tenant, r.project) === change.key).forEach((k) => queue.add(k));
    }, invalid('projects')),
  ];
  let caughtUp = false;
  void Promise.all(followers.map((f) => f.caughtUp)).then(
    () => (caughtUp = true),
    (err: unknown) => logger.error({ err }, 'a bucket watch ended before catching up'),
  );
  return {
    get running() {
      return followers.every((f) => f.running);
    },
    get caughtUp() {
      return caughtUp;
    },
    stop: () => followers.forEach((f) => f.stop()),
  };
}

/** The last value a deleted key held (KV history), if any is left. */
async function lastValue(bucket: JsonKv<typeof MappingRecord>, key: string): Promise<MappingRecord | undefined> {
  let last: MappingRecord | undefined;
  for await (const entry of await bucket.kv.history({ key })) {
    if (entry.operation !== 'PUT') continue;
    try {
      last = MappingRecord.parse(JSON.parse(new TextDecoder().decode(entry.value)));
    } catch {
      // an unreadable old value (reported by the follower when it was current) names nothing to remove
    }
  }
  return last;
}
