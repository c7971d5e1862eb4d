import { parentProjectKey, projectKey, type ExposureRecord, type ExposureStatus, type GrantRecord, type ProjectRecord, type ProjectStatus, type VClusterRecord } from '@netbroker/contracts';
import type { KvChange } from '@netbroker/bus';
import type { KvSource } from '@netbroker/controller';
import { Gauge, type Registry } from 'prom-client';

/** The exporting project of an exposure, grant or status key (`<tenant>.<project>.…`); undefined for a key under no project. */
export const exporterOf = (key: string): string | undefined => parentProjectKey(key);

export interface Entry<T> {
  key: string;
  value: T;
}

/** The buckets the exposer follows, each held in memory by its source. */
export interface ExposerBuckets {
  exposures: KvSource<typeof ExposureRecord>;
  grants: KvSource<typeof GrantRecord>;
  statuses: KvSource<typeof ExposureStatus>;
  projects: KvSource<typeof ProjectRecord>;
  projectStatus: KvSource<typeof ProjectStatus>;
  vclusters: KvSource<typeof VClusterRecord>;
}

/**
 * The records of exporting projects (the work-queue keys, `<tenant>.<project>`) as the bucket
 * sources hold them: a reconcile reads them here instead of the buckets. A source may trail its
 * bucket by the watch's delay: every change enqueues its exporter again, and what a reconcile
 * deletes is decided on a fresh read.
 */
export class Exporters {
  constructor(
    readonly buckets: ExposerBuckets,
    registry: Registry,
  ) {
    new Gauge({ name: 'netbroker_exposer_exposures', help: 'Exposures known', registers: [registry], collect() { this.set(buckets.exposures.size); } });
    new Gauge({ name: 'netbroker_exposer_grants', help: 'Grants known', registers: [registry], collect() { this.set(buckets.grants.size); } });
  }

  /** Keys of exporting projects a change of a project record, status or registration concerns. */
  ofProject = (change: { key: string }): string[] => this.affectedBy(change.key);

  exposuresOf(exporter: string): Array<Entry<ExposureRecord>> {
    return this.of(this.buckets.exposures, exporter);
  }

  grantsOf(exporter: string): Array<Entry<GrantRecord>> {
    return this.of(this.buckets.grants, exporter);
  }

  /** Statuses say what was written, also for exposures deleted while no exposer ran. */
  statusesOf(exporter: string): Array<Entry<ExposureStatus>> {
    return this.of(this.buckets.statuses, exporter);
  }

  /** Exporters that changed when project `key` changed: itself, and those granting it access. */
  affectedBy(project: string): string[] {
    const out = new Set<string>();
    if (this.exposuresOf(project).length > 0) out.add(project);
    for (const [key, g] of this.buckets.grants.entries()) {
      const exporter = exporterOf(key);
      if (exporter && projectKey(g.consumer.tenant, g.consumer.project) === project) out.add(exporter);
    }
    return [...out];
  }

  /** A status with no exposure (deleted while no exposer ran) names an exporter with objects to remove. */
  orphanStatus(change: KvChange<ExposureStatus>): string | undefined {
    return change.op === 'put' && !this.buckets.exposures.get(change.key) ? exporterOf(change.key) : undefined;
  }

  exporters(): Set<string> {
    const { exposures, grants, statuses } = this.buckets;
    return new Set([...exposures.keys(), ...grants.keys(), ...statuses.keys()].flatMap((k) => exporterOf(k) ?? []));
  }

  /** Consumers (`<tenant>.<project>`) an accepted grant names. */
  consumers(): Set<string> {
    const out = new Set<string>();
    for (const g of this.buckets.grants.entries()) if (g[1].state === 'accepted') out.add(projectKey(g[1].consumer.tenant, g[1].consumer.project));
    return out;
  }

  private of<T>(source: { entries(): IterableIterator<[string, T]> }, exporter: string): Array<Entry<T>> {
    const out: Array<Entry<T>> = [];
    for (const [key, value] of source.entries()) if (exporterOf(key) === exporter) out.push({ key, value });
    return out;
  }
}
