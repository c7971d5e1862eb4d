import type { V1NetworkPolicy } from '@kubernetes/client-node';
import type { CachedReader } from '@netbroker/controller';
import { applyIfChanged, isNotOwned, type OwnedApplier } from '@netbroker/kube';
import { hostName } from '@netbroker/naming';
import { hostNetworkPolicyFor, isOwnedByVCluster, ownershipConflict, recordedVirtualRef, type SyncContext } from '@netbroker/translate';
import type { CountWrite } from '../writes';
import type { KindWarnings, SyncResult } from './refusals';

const NETWORK_POLICY = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' };

export interface NetworkPolicySyncDeps {
  /** The context with the project's CIDR (read when the loop starts). */
  ctx: () => SyncContext;
  /** Virtual and host NetworkPolicies, from the informer caches. */
  virtualPolicies: CachedReader<V1NetworkPolicy>;
  hostPolicies: CachedReader<V1NetworkPolicy>;
  applier: OwnedApplier;
  warnings: KindWarnings;
  countWrite: CountWrite;
}

/**
 * One virtual NetworkPolicy, key `<namespace>/<name>`: read both sides (caches) -> translate (or refuse)
 * -> apply host. A refused policy has no host copy: one synced before is deleted.
 */
export class NetworkPolicyReconciler {
  constructor(private readonly deps: NetworkPolicySyncDeps) {}

  async reconcile(key: string): Promise<SyncResult> {
    const slash = key.indexOf('/');
    const [namespace, name] = [key.slice(0, slash), key.slice(slash + 1)];
    const { applier, warnings } = this.deps;
    const ctx = this.deps.ctx();
    const cached = this.deps.virtualPolicies.get(name, namespace);
    const virtual = cached?.metadata?.deletionTimestamp ? undefined : cached;
    const hostRef = { ...NETWORK_POLICY, metadata: { name: hostName({ name, namespace, vcluster: ctx.vcluster }), namespace: ctx.hostNamespace } };
    const host = this.deps.hostPolicies.get(hostRef.metadata.name, ctx.hostNamespace);
    const ref = host && recordedVirtualRef(host);
    const ownCopy = !!host && ref?.namespace === namespace && ref.name === name && isOwnedByVCluster(host, ctx);
    const translation = virtual ? hostNetworkPolicyFor(virtual, ctx) : undefined;
    if (!virtual || translation?.refused) {
      if (ownCopy && (await applier.delete(hostRef))) {
        this.deps.hostPolicies.deleted(hostRef.metadata.name, ctx.hostNamespace, host);
        this.deps.countWrite('host-delete');
      }
      return virtual && translation?.refused ? warnings.refuse(virtual, NETWORK_POLICY, translation.refused) : undefined;
    }
    const conflict = ownershipConflict(host, virtual, ctx);
    if (conflict) return warnings.refuse(virtual, NETWORK_POLICY, conflict);
    if (!translation?.policy) return;
    try {
      const applied = await applyIfChanged(applier, translation.policy, host);
      if (applied.wrote) {
        this.deps.hostPolicies.wrote(applied.object);
        this.deps.countWrite('host-apply');
      }
    } catch (e) {
      if (isNotOwned(e)) return warnings.refuse(virtual, NETWORK_POLICY, { reason: 'HostObjectNotOwned', message: e.message });
      throw e;
    }
  }
}
