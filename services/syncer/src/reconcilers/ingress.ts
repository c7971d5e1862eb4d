import { PatchStrategy, setHeaderOptions, type NetworkingV1Api, type V1Ingress } from '@kubernetes/client-node';
import type { CachedReader } from '@netbroker/controller';
import { applyIfChanged, classify, isNotOwned, type OwnedApplier } from '@netbroker/kube';
import { hostName } from '@netbroker/naming';
import {
  hostIngressFor,
  hostnameAllowed,
  ingressClassesOf,
  ingressClassOffered,
  ingressHostnames,
  ingressStatusBackSync,
  isOwnedByVCluster,
  ownershipConflict,
  recordedVirtualRef,
  reviewIngress,
  type SyncContext,
} from '@netbroker/translate';
import type { HostnameClaims } from '../claims';
import type { CountWrite } from '../writes';
import type { KindWarnings, Refusal, SyncResult } from './refusals';

const INGRESS = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface IngressSyncDeps {
  ctx: SyncContext;
  /** The virtual cluster's networking API (writes). */
  virtual: NetworkingV1Api;
  /** Virtual and host Ingresses, from the informer caches. */
  virtualIngresses: CachedReader<V1Ingress>;
  hostIngresses: CachedReader<V1Ingress>;
  applier: OwnedApplier;
  warnings: KindWarnings;
  claims: HostnameClaims;
  /** The tenant's hostname suffix allowlist (empty: any name). */
  hostnameSuffixes: () => Promise<string[]>;
  /** Host Ingresses netbroker does not own that use `host` (`namespace/name`), from the host cache. */
  unownedUsersOf: (host: string) => string[];
  /** Whether another virtual Ingress of this cluster (not `key`) uses `host`, from the virtual cache. */
  usedByOther: (host: string, key: string) => boolean;
  /** The IngressClasses offered to the virtual cluster, or undefined when classes are not synced. */
  offeredClasses: () => string[] | undefined;
  countWrite: CountWrite;
}

/** Names outside the tenant's suffixes, or used by host Ingresses netbroker does not own (`namespace/name` each). */
export function hostnameRefusal(names: readonly string[], suffixes: readonly string[], unownedUsersOf: (host: string) => string[]): Refusal | undefined {
  const outside = names.filter((n) => !hostnameAllowed(n, suffixes));
  if (outside.length > 0) {
    return { reason: 'HostnameNotAllowed', message: `host names ${outside.join(', ')} are outside the tenant's allowed suffixes (${suffixes.join(', ')})` };
  }
  for (const host of names) {
    const users = unownedUsersOf(host);
    if (users.length > 0) return { reason: 'HostnameInUse', message: `host name ${host} is used by host Ingress ${users.join(', ')}, not managed by netbroker` };
  }
  return undefined;
}

/** An Ingress naming a class not offered, in its spec or a class annotation (`offered` undefined: classes are not synced, every class goes). */
export function classRefusal(virtual: V1Ingress, offered: readonly string[] | undefined): Refusal | undefined {
  if (!offered || ingressClassOffered(virtual, offered)) return undefined;
  const offeredText = offered.length > 0 ? offered.join(', ') : 'none';
  const named = ingressClassesOf(virtual).filter((c) => !offered.includes(c));
  return { reason: 'IngressClassNotOffered', message: `IngressClass ${named.join(', ')} is not offered to this virtual cluster (offered: ${offeredText})` };
}

/**
 * One virtual Ingress, key `<namespace>/<name>`: read both sides (caches) -> check the policy (annotations,
 * TLS Secrets, backends, paths), host names (suffixes, unowned host Ingresses), class, ownership,
 * then claims -> apply host -> back-sync status -> report annotations dropped. A refused Ingress
 * has no host copy. Claims a key no longer uses are released unless another Ingress of this
 * cluster uses them.
 */
export class IngressReconciler {
  /** The host names each key used at its last reconcile: the candidates for release. */
  private readonly used = new Map<string, string[]>();

  constructor(private readonly deps: IngressSyncDeps) {}

  async reconcile(key: string): Promise<SyncResult> {
    const slash = key.indexOf('/');
    const [namespace, name] = [key.slice(0, slash), key.slice(slash + 1)];
    const { ctx, applier } = this.deps;
    const cached = this.deps.virtualIngresses.get(name, namespace);
    const virtual = cached?.metadata?.deletionTimestamp ? undefined : cached;
    const host = this.deps.hostIngresses.get(hostName({ name, namespace, vcluster: ctx.vcluster }), ctx.hostNamespace);
    const names = virtual ? ingressHostnames(virtual) : [];
    await this.releaseDropped(key, names);
    if (!virtual) return this.deleteHostCopy(host, namespace, name);
    const review = reviewIngress(virtual, ctx);
    const problem =
      review.refusal ??
      hostnameRefusal(names, await this.deps.hostnameSuffixes(), this.deps.unownedUsersOf) ??
      classRefusal(virtual, this.deps.offeredClasses()) ??
      ownershipConflict(host, virtual, ctx) ??
      (await this.claimAll(names));
    if (problem) {
      await this.deleteHostCopy(host, namespace, name); // only a copy of this very Ingress, owned by this cluster
      return this.deps.warnings.refuse(virtual, INGRESS, problem);
    }
    let synced: V1Ingress;
    try {
      const applied = await applyIfChanged(applier, hostIngressFor(virtual, ctx), host);
      if (applied.wrote) {
        this.deps.hostIngresses.wrote(applied.object);
        this.deps.countWrite('host-apply');
      }
      synced = applied.object;
    } catch (e) {
      if (isNotOwned(e)) return this.deps.warnings.refuse(virtual, INGRESS, { reason: 'HostObjectNotOwned', message: e.message });
      throw e;
    }
    await this.backSyncStatus(virtual, synced);
    if (review.dropped.length > 0) return this.deps.warnings.drop(virtual, INGRESS, review.dropped);
  }

  /** Claims every name (the only check that writes, hence the last). */
  private async claimAll(names: string[]): Promise<Refusal | undefined> {
    for (const host of names) {
      const holder = await this.deps.claims.claim(host);
      if (holder) return { reason: 'HostnameClaimed', message: `host name ${host} is claimed by another project (since ${holder.claimedAt})` };
    }
    return undefined;
  }

  /** Names `key` used before and no longer does: released unless another Ingress of this cluster uses them. */
  private async releaseDropped(key: string, names: string[]): Promise<void> {
    const dropped = (this.used.get(key) ?? []).filter((n) => !names.includes(n));
    if (names.length > 0) this.used.set(key, names);
    else this.used.delete(key);
    for (const host of dropped) if (!this.deps.usedByOther(host, key)) await this.deps.claims.release(host);
  }

  /** Deletes the host copy of `namespace/name` if this virtual cluster owns it. */
  private async deleteHostCopy(host: V1Ingress | undefined, namespace: string, name: string): Promise<void> {
    const ref = host && recordedVirtualRef(host);
    if (!host || ref?.namespace !== namespace || ref.name !== name || !isOwnedByVCluster(host, this.deps.ctx)) return;
    const hostRef = { ...INGRESS, metadata: { name: host.metadata?.name ?? '', namespace: this.deps.ctx.hostNamespace } };
    if (await this.deps.applier.delete(hostRef)) {
      this.deps.hostIngresses.deleted(hostRef.metadata.name, hostRef.metadata.namespace, host);
      this.deps.countWrite('host-delete');
    }
  }

  private async backSyncStatus(virtual: V1Ingress, host: V1Ingress): Promise<void> {
    const status = ingressStatusBackSync(virtual, host);
    if (!status) return;
    const { name = '', namespace = 'default' } = virtual.metadata ?? {};
    const body = { status: { loadBalancer: { ingress: status.loadBalancer?.ingress ?? null } } };
    try {
      this.deps.virtualIngresses.wrote(await this.deps.virtual.patchNamespacedIngressStatus({ name, namespace, body }, mergePatch));
    } catch (e) {
      throw classify(e, `back-sync virtual Ingress status ${namespace}/${name}`);
    }
    this.deps.countWrite('virtual-status');
  }
}
