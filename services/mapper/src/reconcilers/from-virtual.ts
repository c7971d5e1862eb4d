import type { MappingRecord } from '@netbroker/contracts';
import type { VirtualCluster } from '@netbroker/controller';
import type { OwnedApplier } from '@netbroker/kube';
import { hostNamespace } from '@netbroker/naming';
import { isHeadless, mappedHostService, splitRef, syncContextFor } from '@netbroker/translate';
import type { MapperCaches } from '../caches';
import { projectOf } from '../mapping-index';
import { CONFLICT_RECHECK_MS, deleteMine, isMine, remove, serviceRef, write, type CountWrite, type Outcome } from './outcome';

/**
 * fromVirtual `{from: vNs/svc, to: hostSvc}`: a ClusterIP Service `to` in the project's host
 * namespace selecting the virtual Service's pods as the synced Service does. A host Service it
 * does not own is never changed or deleted.
 */
export class FromVirtual {
  constructor(
    private readonly host: OwnedApplier,
    private readonly caches: MapperCaches,
    private readonly count: CountWrite,
  ) {}

  async reconcile(m: MappingRecord, vc: VirtualCluster): Promise<Outcome> {
    const from = splitRef(m.spec.from);
    const ctx = syncContextFor(vc.record);
    const hostNs = ctx.hostNamespace;
    const source = (await this.caches.virtualServices(vc)).get(from.name, from.namespace);
    const hostServices = await this.caches.hostServices(projectOf(m), hostNs);
    const existing = hostServices.get(m.spec.to, hostNs);
    if (existing && !isMine(existing, m)) {
      const message = `host Service ${hostNs}/${m.spec.to} exists and is not this mapping's; it is left untouched`;
      if (source) await this.caches.virtualRecorder(vc).warn(source, 'NotOwned', message);
      else await this.caches.hostEvents.warn(existing, 'NotOwned', message);
      return { ready: false, reason: 'NotOwned', message, requeueAfterMs: CONFLICT_RECHECK_MS };
    }
    if (!source || source.metadata?.deletionTimestamp) {
      await this.remove(m);
      return { ready: false, reason: 'SourceNotFound', message: `virtual Service ${m.spec.from} does not exist; the host Service is removed until it is back` };
    }
    if (source.spec?.type === 'ExternalName') return { ready: false, reason: 'Unsupported', message: 'an ExternalName Service cannot be mapped' };
    let current = existing;
    if (current && isHeadless(current) !== isHeadless(source)) {
      await remove(this.host, hostServices, serviceRef(hostNs, m.spec.to), current, () => this.count('host-delete')); // clusterIP is immutable: re-create
      current = undefined;
    }
    const applied = await write(this.host, hostServices, mappedHostService(source, m, ctx), current, () => this.count('host-apply'));
    return { ready: true, reason: 'Mapped', message: `host Service ${hostNs}/${m.spec.to} (${applied.spec?.clusterIP ?? 'no ClusterIP yet'}) selects the pods of ${m.spec.from}` };
  }

  /** Needs no virtual cluster: the host Service carries the mapping it was written for. */
  async remove(m: MappingRecord): Promise<void> {
    const hostNs = hostNamespace(m.tenant, m.project);
    const hostServices = await this.caches.hostServices(projectOf(m), hostNs);
    await deleteMine(this.host, hostServices, serviceRef(hostNs, m.spec.to), m, () => this.count('host-delete'));
  }
}
