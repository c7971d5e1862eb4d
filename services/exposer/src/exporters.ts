import { parentProjectKey, projectKey, type ExposureRecord, type GrantRecord } from '@netbroker/contracts';
import type { KvChange, KvRecord } from '@netbroker/bus';

/** The records under one exporting project (its key and a dot start theirs; keys were checked when applied). */
const under = (exporter: string) => (r: { key: string }) => r.key.startsWith(`${exporter}.`);

/**
 * The exposures and grants the exposer follows, kept in memory as an informer keeps objects: the
 * work-queue keys (exporting projects, `<tenant>.<project>`) are found here, and a reconcile reads
 * the records here instead of listing the buckets. A record here may trail the bucket by the
 * follower's delay; every change enqueues its exporter again, and deletions are decided on fresh reads.
 */
export class ExporterCache {
  private readonly exposures = new Map<string, KvRecord<ExposureRecord>>();
  private readonly grants = new Map<string, KvRecord<GrantRecord>>();

  /** Applies a change of bucket `exposures`; answers the exporter to enqueue (none for a key under no project). */
  exposure(change: KvChange<ExposureRecord>): string[] {
    return this.apply(this.exposures, change);
  }

  /** Applies a change of bucket `exposure-grants`; answers the exporter to enqueue (none for a key under no project). */
  grant(change: KvChange<GrantRecord>): string[] {
    return this.apply(this.grants, change);
  }

  private apply<T>(records: Map<string, KvRecord<T>>, change: KvChange<T>): string[] {
    const exporter = parentProjectKey(change.key);
    if (!exporter) return [];
    if (change.op === 'put') records.set(change.key, { key: change.key, value: change.value, revision: change.revision });
    else records.delete(change.key);
    return [exporter];
  }

  exposuresOf(exporter: string): Array<KvRecord<ExposureRecord>> {
    return [...this.exposures.values()].filter(under(exporter));
  }

  grantsOf(exporter: string): Array<KvRecord<GrantRecord>> {
    return [...this.grants.values()].filter(under(exporter));
  }

  /** Exporters that changed when project `key` changed: itself, and those granting it access. */
  affectedBy(project: string): string[] {
    const out = new Set<string>();
    if (this.exposuresOf(project).length > 0) out.add(project);
    for (const g of this.grants.values()) if (projectKey(g.value.consumer.tenant, g.value.consumer.project) === project) out.add(parentProjectKey(g.key)!);
    return [...out];
  }

  exporters(): string[] {
    return [...new Set([...this.exposures.keys(), ...this.grants.keys()].map((k) => parentProjectKey(k)!))];
  }

  get counts() {
    return { exposures: this.exposures.size, grants: this.grants.size };
  }
}
