import { MappingRecord, parentProjectKey, projectKey, type MappingStatus, type TenantRecord } from '@netbroker/contracts';
import type { JsonKv, KvChange } from '@netbroker/bus';
import type { KvSource } from '@netbroker/controller';
import { hostNamespace } from '@netbroker/naming';
import { splitRef } from '@netbroker/translate';

/** `<tenant>.<project>` of a mapping: the project whose lease covers it. */
export const projectOf = (r: Pick<MappingRecord, 'tenant' | 'project'>) => projectKey(r.tenant, r.project);

/** The project of a mapping key `<tenant>.<project>.<id>` (the key itself when it is under no project: its own lease). */
export const projectOfKey = (key: string) => parentProjectKey(key) ?? key;

/**
 * What the mapper knows from the buckets it follows: live mappings and tenants (their import
 * allowlists) as the bucket sources hold them, and deleted mappings whose objects are still to be
 * removed. Finds the keys a change concerns and the namespaces mappings read; reconcilers read
 * the records here.
 */
export class MappingIndex {
  private readonly gone = new Map<string, MappingRecord>();

  constructor(
    private readonly mappings: KvSource<typeof MappingRecord>,
    private readonly tenants: KvSource<typeof TenantRecord>,
    private readonly statuses: KvSource<typeof MappingStatus>,
  ) {
    // A deleted status means the objects of its mapping are removed (by whichever replica held it).
    statuses.onChange((c) => {
      if (c.op === 'delete') this.forget(c.key);
    });
  }

  /** Every change that may change what mappings read: mappings, allowlists, removals done. */
  onChange(listener: () => void): void {
    for (const source of [this.mappings, this.tenants, this.statuses]) source.onChange(listener);
  }

  /** A change of bucket `mappings`; a deleted mapping (also one deleted while no mapper ran) is kept with its last value until its objects are gone. */
  async changed(change: KvChange<MappingRecord>): Promise<string> {
    if (change.op === 'put') this.gone.delete(change.key);
    else if (!this.gone.has(change.key)) {
      const last = await lastValue(this.mappings.bucket, change.key);
      if (last) this.gone.set(change.key, last);
    }
    return change.key;
  }

  /** The live record, or the last one of a deleted mapping whose objects are not removed yet. */
  lookup(key: string): { record: MappingRecord; live: boolean } | undefined {
    const live = this.mappings.get(key);
    if (live) return { record: live, live: true };
    const gone = this.gone.get(key);
    return gone ? { record: gone, live: false } : undefined;
  }

  /** Deleted by the mapper itself (its project is gone): removed like any deleted mapping. */
  markGone(key: string, record: MappingRecord): void {
    this.gone.set(key, record);
  }

  forget(key: string): void {
    this.gone.delete(key);
  }

  /** fromHost may read the project's own host namespace and those on the tenant's allowlist. */
  importAllowed(record: MappingRecord): boolean {
    const { namespace } = splitRef(record.spec.from);
    return namespace === hostNamespace(record.tenant, record.project) || (this.tenants.get(record.tenant)?.importNamespaces.includes(namespace) ?? false);
  }

  keys(filter: (record: MappingRecord) => boolean = () => true): string[] {
    const out: string[] = [];
    for (const [k, r] of this.mappings.entries()) if (filter(r)) out.push(k);
    for (const [k, r] of this.gone) if (!this.mappings.get(k) && filter(r)) out.push(k);
    return out;
  }

  ofProject(project: string): string[] {
    return this.keys((r) => projectOf(r) === project);
  }

  ofTenant(tenant: string): string[] {
    return this.keys((r) => r.tenant === tenant);
  }

  /** Mappings reading or writing host Service `namespace/name`. */
  ofHostService(namespace: string, name: string): string[] {
    const ref = `${namespace}/${name}`;
    return this.keys((r) => (r.spec.direction === 'fromHost' ? r.spec.from === ref : hostNamespace(r.tenant, r.project) === namespace && r.spec.to === name));
  }

  /** Mappings of `project` reading or writing its virtual Service `namespace/name`. */
  ofVirtualService(project: string, namespace: string, name: string): string[] {
    const ref = `${namespace}/${name}`;
    return this.keys((r) => projectOf(r) === project && (r.spec.direction === 'fromHost' ? r.spec.to === ref : r.spec.from === ref));
  }

  /**
   * Every project with mappings (live or pending removal) and the host namespaces they read or
   * write: allowed fromHost sources, and the project's own namespace for fromVirtual.
   */
  reads(): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    const add = (r: MappingRecord, live: boolean) => {
      const namespaces = out.get(projectOf(r)) ?? new Set<string>();
      out.set(projectOf(r), namespaces);
      if (r.spec.direction === 'fromVirtual') namespaces.add(hostNamespace(r.tenant, r.project));
      else if (live && this.importAllowed(r)) namespaces.add(splitRef(r.spec.from).namespace);
    };
    for (const r of this.mappings.entries()) add(r[1], true);
    for (const [k, r] of this.gone) if (!this.mappings.get(k)) add(r, false);
    return out;
  }

  get size(): number {
    return this.mappings.size + this.gone.size;
  }
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
