import type { GrantRecord } from '@netbroker/contracts';

const exporterOf = (key: string) => key.split('.').slice(0, 2).join('.');

/**
 * What the exposer knows from the buckets it follows, only to find work-queue keys (exporting
 * projects, `<tenant>.<project>`): the reconciler reads the records again.
 */
export class ExporterIndex {
  private readonly exposures = new Set<string>();
  /** grant key -> consumer project key. */
  private readonly grants = new Map<string, string>();

  exposure(key: string, present: boolean): string {
    if (present) this.exposures.add(key);
    else this.exposures.delete(key);
    return exporterOf(key);
  }

  grant(key: string, record: GrantRecord | undefined): string {
    if (record) this.grants.set(key, `${record.consumer.tenant}.${record.consumer.project}`);
    else this.grants.delete(key);
    return exporterOf(key);
  }

  /** Exporters that changed when project `key` changed: itself, and those granting it access. */
  affectedBy(project: string): string[] {
    const out = new Set<string>();
    if ([...this.exposures].some((k) => exporterOf(k) === project)) out.add(project);
    for (const [grant, consumer] of this.grants) if (consumer === project) out.add(exporterOf(grant));
    return [...out];
  }

  exporters(): string[] {
    return [...new Set([...this.exposures, ...this.grants.keys()].map(exporterOf))];
  }

  get counts() {
    return { exposures: this.exposures.size, grants: this.grants.size };
  }
}
