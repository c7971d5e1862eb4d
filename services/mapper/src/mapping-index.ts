import { projectKey, type MappingRecord, type TenantRecord } from '@netbroker/contracts';
import { hostNamespace } from '@netbroker/naming';
import { splitRef } from '@netbroker/translate';

/**
 * What the mapper knows from the buckets it follows: live mappings, deleted ones whose objects
 * are still to be removed, and tenants (their import allowlists). Only used to find keys and
 * namespaces; reconcilers read the records again.
 */
export class MappingIndex {
  private readonly live = new Map<string, MappingRecord>();
  private readonly gone = new Map<string, MappingRecord>();
  private readonly tenants = new Map<string, TenantRecord>();

  put(key: string, record: MappingRecord): void {
    this.live.set(key, record);
    this.gone.delete(key);
  }

  delete(key: string): void {
    const record = this.live.get(key);
    this.live.delete(key);
    if (record) this.gone.set(key, record);
  }

  /** The live record, or the last one of a deleted mapping whose objects are not removed yet. */
  lookup(key: string): { record: MappingRecord; live: boolean } | undefined {
    const live = this.live.get(key);
    if (live) return { record: live, live: true };
    const gone = this.gone.get(key);
    return gone ? { record: gone, live: false } : undefined;
  }

  forget(key: string): void {
    this.gone.delete(key);
  }

  setTenant(name: string, record: TenantRecord | undefined): void {
    if (record) this.tenants.set(name, record);
    else this.tenants.delete(name);
  }

  /** fromHost may read the project's own host namespace and those on the tenant's allowlist. */
  importAllowed(record: MappingRecord): boolean {
    const { namespace } = splitRef(record.spec.from);
    return namespace === hostNamespace(record.tenant, record.project) || (this.tenants.get(record.tenant)?.importNamespaces.includes(namespace) ?? false);
  }

  keys(filter: (record: MappingRecord) => boolean = () => true): string[] {
    return [...this.live.entries(), ...this.gone.entries()].filter(([, r]) => filter(r)).map(([k]) => k);
  }

  /** Host namespaces to watch: allowed fromHost sources, and the host namespaces fromVirtual writes to. */
  hostNamespaces(): Set<string> {
    const out = new Set<string>();
    for (const r of this.live.values()) {
      if (r.spec.direction === 'fromVirtual') out.add(hostNamespace(r.tenant, r.project));
      else if (this.importAllowed(r)) out.add(splitRef(r.spec.from).namespace);
    }
    return out;
  }

  /** `<tenant>.<project>` of every project with a mapping (live or pending removal). */
  projects(): Set<string> {
    return new Set([...this.live.values(), ...this.gone.values()].map((r) => projectKey(r.tenant, r.project)));
  }
}
