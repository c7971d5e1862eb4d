import type { ExposureRecord, GrantRecord, ProjectRecord } from '@netbroker/contracts';
import type { ReconcileResult } from '@netbroker/controller';
import { hostNamespace } from '@netbroker/naming';
import { notReady, type ConsumerRecords } from '@netbroker/translate';
import type { ExposerCaches } from '../caches';
import type { Entry, Exporters } from '../exporters';
import type { Cleanup } from './cleanup';
import type { ExposureReconciler } from './exposure';
import type { StatusWriter } from './status';

export interface ExporterDeps {
  exporters: Exporters;
  caches: ExposerCaches;
  cleanup: Cleanup;
  exposure: ExposureReconciler;
  status: StatusWriter;
}

/** Waiting for something outside (an address pool, a load balancer): look again after this long. */
const RECHECK_MS = 15_000;
const byAge = (a: Entry<ExposureRecord>, b: Entry<ExposureRecord>) => a.value.createdAt.localeCompare(b.value.createdAt) || a.value.name.localeCompare(b.value.name);
const projectKeyOf = (ref: { tenant: string; project: string }) => `${ref.tenant}.${ref.project}`;

/**
 * Every exposure of one exporting project (key `<tenant>.<project>`), level-triggered: EIPs,
 * LoadBalancer Services, NetworkPolicies admitting exactly the accepted consumers, the consumers'
 * entries, status. A project that is gone or being deleted has everything removed and released.
 * Reads come from the bucket sources and informer caches; only changes are written.
 */
export class ExporterReconciler {
  constructor(private readonly deps: ExporterDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { exporters, cleanup, status } = this.deps;
    const exposures = exporters.exposuresOf(key);
    const grants = exporters.grantsOf(key);
    const statuses = exporters.statusesOf(key);
    const alive = await cleanup.project(key, exposures, grants);
    const live = exposures.filter((e) => e.value.projectUid === alive?.uid).sort(byAge);
    const held = await cleanup.run(key, alive, { exposures, live, grants, statuses });
    if (!alive) return;

    const projectStatus = exporters.buckets.projectStatus.get(key);
    if (projectStatus?.phase !== 'Ready' || projectStatus.uid !== alive.uid) {
      const message = `project ${alive.name} is not Ready yet (${projectStatus?.phase ?? 'no status'})`;
      for (const e of live) await status.write(e.key, notReady('ProjectNotReady', message));
      return;
    }
    const view = {
      services: await this.deps.caches.exporterServices(key, hostNamespace(alive.tenant, alive.name)),
      eips: new Map(held.map((a) => [a.requestId, a])),
      vcluster: exporters.buckets.vclusters.get(key),
      consumers: await this.consumers(grants),
    };
    let recheck = false;
    for (const e of live) {
      const previous = statuses.find((s) => s.key === e.key)?.value;
      const mine = grants.filter((g) => g.value.exposure === e.value.name && g.value.exporter.uid === alive.uid);
      const outcome = await this.deps.exposure.converge(e.value, live, mine, previous, view);
      recheck ||= !outcome.ready;
      await status.write(e.key, outcome);
    }
    return recheck ? { requeueAfterMs: RECHECK_MS } : undefined;
  }

  /**
   * Projects of accepted grants with their status, as the sources have them. A project the source
   * says is gone (its grant would be deleted) is read again from the bucket.
   */
  private async consumers(grants: Array<Entry<GrantRecord>>): Promise<(g: GrantRecord) => ConsumerRecords> {
    const { projects, projectStatus } = this.deps.exporters.buckets;
    const records = new Map<string, ConsumerRecords>();
    for (const { value: g } of grants.filter((g) => g.value.state === 'accepted')) {
      const k = projectKeyOf(g.consumer);
      if (records.has(k)) continue;
      let project: ProjectRecord | undefined = projects.get(k);
      if (project?.uid !== g.consumer.uid) project = (await projects.bucket.get(k))?.value;
      records.set(k, { project, status: projectStatus.get(k) });
    }
    return (g) => records.get(projectKeyOf(g.consumer)) ?? {};
  }
}
