import type { ExposureRecord, GrantRecord } from '@netbroker/contracts';
import type { KvChange, KvRecord } from '@netbroker/bus';

const exporterOf = (key: string) => key.split('.').slice(0, 2).join('.');

/**
 * The exposures and grants the exposer follows, kept in memory as an informer keeps objects: the
 * work-queue keys (exporting projects, `<tenant>.<project>`) are found here, and a reconcile reads
 * the records here instead of listing the buckets. A record here may trail the bucket by the
 * follower's delay; every change enqueues its exporter again, and deletions are decided on fresh reads.
 */
export class ExporterCache {
  private readonly exposures = new Map<string, KvRecord<ExposureRecord>>();
  private readonly grants = new Map<string, KvRecord<GrantRecord>>();

  /** Applies a change of bucket `exposures`; answers the exporter to enqueue. */
  exposure(change: KvChange<ExposureRecord>): string {
    if (change.op === 'put') this.exposures.set(change.key, { key: change.key, value: change.value, revision: change.revision });
    else this.exposures.delete(change.key);
    return exporterOf(change.key);
  }

  /** Applies a change of bucket `exposure-grants`; answers the exporter to enqueue. */
  grant(change: KvChange<GrantRecord>): string {
    if (change.op === 'put') this.grants.set(change.key, { key: change.key, value: change.value, revision: change.revision });
    else this.grants.delete(change.key);
    return exporterOf(change.key);
  }

  exposuresOf(exporter: string): Array<KvRecord<ExposureRecord>> {
    return [...this.exposures.values()].filter((r) => exporterOf(r.key) === exporter);
  }

  grantsOf(exporter: string): Array<KvRecord<GrantRecord>> {
    return [...this.grants.values()].filter((r) => exporterOf(r.key) === exporter);
  }

  /** Exporters that changed when project `key` changed: itself, and those granting it access. */
  affectedBy(project: string): string[] {
    const out = new Set<string>();
    if (this.exposuresOf(project).length > 0) out.add(project);
    for (const g of this.grants.values()) if (`${g.value.consumer.tenant}.${g.value.consumer.project}` === project) out.add(exporterOf(g.key));
    return [...out];
  }

  exporters(): string[] {
    return [...new Set([...this.exposures.keys(), ...this.grants.keys()].map(exporterOf))];
  }

  get counts() {
    return { exposures: this.exposures.size, grants: this.grants.size };
  }
}
