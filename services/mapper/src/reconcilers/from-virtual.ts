import type { V1Service } from '@kubernetes/client-node';
import type { MappingRecord } from '@netbroker/contracts';
import type { OwnedApplier } from '@netbroker/kube';
import { hostNamespace } from '@netbroker/naming';
import { isHeadless, mappedHostService, splitRef } from '@netbroker/translate';
import type { VirtualCluster } from '../virtual-clusters';
import { CONFLICT_RECHECK_MS, deleteMine, isMine, serviceRef, type Outcome } from './outcome';
import { warn } from './warnings';

/**
 * fromVirtual `{from: vNs/svc, to: hostSvc}`: a ClusterIP Service `to` in the project's host
 * namespace selecting the virtual Service's pods as the synced Service does. A host Service it
 * does not own is never changed or deleted.
 */
export class FromVirtual {
  constructor(
    private readonly host: OwnedApplier,
    private readonly hostCore: VirtualCluster['core'],
    private readonly now: () => Date,
  ) {}

  async reconcile(m: MappingRecord, vc: VirtualCluster): Promise<Outcome> {
    const from = splitRef(m.spec.from);
    const hostNs = vc.ctx.hostNamespace;
    const source = await vc.applier.read<V1Service>(serviceRef(from.namespace, from.name));
    const existing = await this.host.read<V1Service>(serviceRef(hostNs, m.spec.to));
    if (existing && !isMine(existing, m)) {
      const message = `host Service ${hostNs}/${m.spec.to} exists and is not this mapping's; it is left untouched`;
      const on = source
        ? { core: vc.core, kind: 'Service', namespace: from.namespace, name: from.name, uid: source.metadata?.uid }
        : { core: this.hostCore, kind: 'Service', namespace: hostNs, name: m.spec.to, uid: existing.metadata?.uid };
      await warn(on.core, on, 'NotOwned', message, this.now());
      return { ready: false, reason: 'NotOwned', message, requeueAfterMs: CONFLICT_RECHECK_MS };
    }
    if (!source || source.metadata?.deletionTimestamp) {
      await this.remove(m);
      return { ready: false, reason: 'SourceNotFound', message: `virtual Service ${m.spec.from} does not exist; the host Service is removed until it is back` };
    }
    if (source.spec?.type === 'ExternalName') return { ready: false, reason: 'Unsupported', message: 'an ExternalName Service cannot be mapped' };
    let current = existing;
    if (current && isHeadless(current) !== isHeadless(source)) {
      await this.host.delete(serviceRef(hostNs, m.spec.to)); // clusterIP is immutable: re-create
      current = undefined;
    }
    const applied = await this.host.apply(mappedHostService(source, m, vc.ctx), current ?? null);
    return { ready: true, reason: 'Mapped', message: `host Service ${hostNs}/${m.spec.to} (${applied.spec?.clusterIP ?? 'no ClusterIP yet'}) selects the pods of ${m.spec.from}` };
  }

  /** Needs no virtual cluster: the host Service carries the mapping it was written for. */
  async remove(m: MappingRecord): Promise<void> {
    await deleteMine(this.host, serviceRef(hostNamespace(m.tenant, m.project), m.spec.to), m);
  }
}
