import { projectKey, type MappingRecord, type MappingStatus, type ProjectRecord } from '@netbroker/contracts';
import type { JsonKv } from '@netbroker/bus';
import { isServerRefused, SERVER_REFUSED_MESSAGE, type ReconcileResult } from '@netbroker/kube';
import type { MappingIndex } from '../mapping-index';
import type { VirtualCluster, VirtualClusters } from '../virtual-clusters';
import type { FromHost } from './from-host';
import type { FromVirtual } from './from-virtual';
import { CONFLICT_RECHECK_MS, type Outcome } from './outcome';

export interface MappingDeps {
  index: MappingIndex;
  clusters: VirtualClusters;
  fromHost: FromHost;
  fromVirtual: FromVirtual;
  statuses: JsonKv<typeof MappingStatus>;
  /** Mappings of a project that is gone or being deleted are deleted with it. */
  mappings: JsonKv<typeof MappingRecord>;
  projects: JsonKv<typeof ProjectRecord>;
  now: () => Date;
}

/**
 * A mapping, key `<tenant>.<project>.<id>`: a record means its objects exist as it says (or a
 * status saying why not); no record means none of the objects it wrote, and no status.
 */
export class MappingReconciler {
  constructor(private readonly deps: MappingDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { index, clusters } = this.deps;
    const found = index.lookup(key);
    if (!found) return;
    const { record } = found;
    let { live } = found;
    if (live && !(await this.projectLives(record))) {
      await this.deps.mappings.delete(key);
      index.delete(key);
      live = false;
    }
    const cluster = await clusters.get(projectKey(record.tenant, record.project));
    if (!live) {
      if (record.spec.direction === 'fromVirtual') await this.deps.fromVirtual.remove(record);
      else if (cluster.ok) await this.deps.fromHost.remove(record, cluster.cluster);
      index.forget(key);
      await this.deps.statuses.delete(key);
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
      if (record.spec.direction === 'fromHost') return await this.deps.fromHost.reconcile(record, cluster, this.deps.index.importAllowed(record));
      return await this.deps.fromVirtual.reconcile(record, cluster);
    } catch (e) {
      if (!isServerRefused(e)) throw e;
      return { ready: false, reason: 'ServerNotAllowed', message: SERVER_REFUSED_MESSAGE, requeueAfterMs: CONFLICT_RECHECK_MS };
    }
  }

  /** The mapping's very project exists and is not being deleted (a new project of the same name is another). */
  private async projectLives(record: MappingRecord): Promise<boolean> {
    const project = (await this.deps.projects.get(projectKey(record.tenant, record.project)))?.value;
    return project !== undefined && project.uid === record.projectUid && project.deletionRequestedAt === undefined;
  }

  /** Written only when it changed: a resync of a mapping in place writes nothing. */
  private async writeStatus(key: string, { ready, reason, message }: Outcome): Promise<void> {
    const current = (await this.deps.statuses.get(key))?.value;
    if (current && current.ready === ready && current.reason === reason && current.message === message) return;
    await this.deps.statuses.put(key, { v: 1, ready, reason, message, observedAt: this.deps.now().toISOString() });
  }
}
