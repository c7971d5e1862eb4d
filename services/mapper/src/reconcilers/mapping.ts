import type { MappingRecord, MappingStatus, ProjectRecord } from '@netbroker/contracts';
import type { KvSource, ReconcileResult, VirtualCluster, VirtualClusterPool } from '@netbroker/controller';
import { isServerRefused, SERVER_REFUSED_MESSAGE, type OwnedApplier } from '@netbroker/kube';
import type { MapperCaches } from '../caches';
import { projectOf, type MappingIndex } from '../mapping-index';
import { FromHost } from './from-host';
import { FromVirtual } from './from-virtual';
import { CONFLICT_RECHECK_MS, type CountWrite, type Outcome } from './outcome';

export interface MappingDeps {
  index: MappingIndex;
  clusters: VirtualClusterPool;
  caches: MapperCaches;
  /** Writes to the host cluster as netbroker-mapper. */
  host: OwnedApplier;
  statuses: KvSource<typeof MappingStatus>;
  /** Mappings of a project that is gone or being deleted are deleted with it. */
  mappings: KvSource<typeof MappingRecord>;
  projects: KvSource<typeof ProjectRecord>;
  count: CountWrite;
  now: () => Date;
}

/**
 * A mapping, key `<tenant>.<project>.<id>`: a record means its objects exist as it says (or a
 * status saying why not); no record means none of the objects it wrote, and no status.
 */
export class MappingReconciler {
  private readonly fromHost: FromHost;
  private readonly fromVirtual: FromVirtual;

  constructor(private readonly deps: MappingDeps) {
    this.fromHost = new FromHost(deps.caches, deps.count);
    this.fromVirtual = new FromVirtual(deps.host, deps.caches, deps.count);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { index, clusters } = this.deps;
    const found = index.lookup(key);
    if (!found) return;
    const { record } = found;
    let { live } = found;
    if (live && !(await this.projectLives(record))) {
      await this.deps.mappings.bucket.delete(key);
      this.deps.count('mapping-delete');
      index.markGone(key, record);
      live = false;
    }
    const cluster = await clusters.get(projectOf(record));
    if (!live) {
      if (record.spec.direction === 'fromVirtual') await this.fromVirtual.remove(record);
      else if (cluster.ok) await this.fromHost.remove(record, cluster.cluster);
      await this.deleteStatus(key);
      index.forget(key);
      return;
    }
    let outcome: Outcome;
    if (!cluster.ok) outcome = { ready: false, reason: cluster.reason, message: cluster.message };
    else outcome = await this.sync(record, cluster.cluster);
    // The mapping may have been deleted meanwhile: its status must not come back.
    if (index.lookup(key)?.live) await this.writeStatus(key, outcome);
    return outcome.requeueAfterMs ? { requeueAfterMs: outcome.requeueAfterMs } : undefined;
  }

  /** A server refused at connect time (its name now resolves somewhere forbidden) is a status, not a retry storm. */
  private async sync(record: MappingRecord, cluster: VirtualCluster): Promise<Outcome> {
    try {
      if (record.spec.direction === 'fromHost') return await this.fromHost.reconcile(record, cluster, this.deps.index.importAllowed(record));
      return await this.fromVirtual.reconcile(record, cluster);
    } catch (e) {
      if (!isServerRefused(e)) throw e;
      return { ready: false, reason: 'ServerNotAllowed', message: SERVER_REFUSED_MESSAGE, requeueAfterMs: CONFLICT_RECHECK_MS };
    }
  }

  /**
   * The mapping's very project exists and is not being deleted (a new project of the same name is
   * another). Deleting the mapping is decided on the bucket itself, not on a cache that may trail it.
   */
  private async projectLives(record: MappingRecord): Promise<boolean> {
    const lives = (p: ProjectRecord | undefined) => p !== undefined && p.uid === record.projectUid && p.deletionRequestedAt === undefined;
    if (lives(this.deps.projects.get(projectOf(record)))) return true;
    return lives((await this.deps.projects.bucket.get(projectOf(record)))?.value);
  }

  /** Written only when it changed: a resync of a mapping in place writes nothing. */
  private async writeStatus(key: string, { ready, reason, message }: Outcome): Promise<void> {
    const current = this.deps.statuses.get(key);
    if (current && current.ready === ready && current.reason === reason && current.message === message) return;
    const revision = await this.deps.statuses.bucket.put(key, { v: 1, ready, reason, message, observedAt: this.deps.now().toISOString() });
    this.deps.count('status');
    await this.deps.statuses.waitFor(revision); // the next reconcile compares with this write, not an older value
  }

  private async deleteStatus(key: string): Promise<void> {
    if (!this.deps.statuses.get(key)) return;
    await this.deps.statuses.bucket.delete(key);
    this.deps.count('status');
  }
}
