import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Service } from '@kubernetes/client-node';
import type { CachedReader } from '@netbroker/controller';
import { applyIfChanged, classify, invalidFields, isNotFound, isNotOwned, type OwnedApplier } from '@netbroker/kube';
import { hostName, labels, PREFIX } from '@netbroker/naming';
import type { Logger } from '@netbroker/runtime';
import {
  hostServiceFor,
  isOwnedByVCluster,
  mappingLabels,
  ownershipConflict,
  recordedVirtualRef,
  requestedClusterIP,
  reviewService,
  virtualServiceBackSync,
  virtualServiceRecreated,
  type SyncContext,
  type SyncRefusal,
} from '@netbroker/translate';
import type { CountWrite } from '../writes';
import { refused, reportDropped, type SyncResult } from './refusals';
import type { WarningEvents } from './warnings';

/** Set on a virtual Service that could not take its host's ClusterIP: not tried again for that IP. */
export const CLUSTER_IP_UNAVAILABLE = `${PREFIX}/cluster-ip-unavailable`;
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export const serviceKey = (namespace: string, name: string) => `${namespace}/${name}`;
/** The virtual cluster's own Services are never synced. */
export const isSkipped = (namespace: string, name: string) => namespace === 'kube-system' || (namespace === 'default' && name === 'kubernetes');

export interface ServiceSyncDeps {
  /** The context, read at each reconcile (the virtual cluster's namespaces change). */
  ctx: () => SyncContext;
  /** The virtual cluster's API (writes). */
  virtual: CoreV1Api;
  /** The virtual cluster's Services, from the informer cache. */
  virtualServices: CachedReader<V1Service>;
  /** This virtual cluster's host Services, from the informer cache. */
  hostServices: CachedReader<V1Service>;
  /** The host's API, writing as `netbroker-syncer`. */
  applier: OwnedApplier;
  warnings: WarningEvents;
  countWrite: CountWrite;
  logger: Logger;
}

/** A 422 on these fields: the ClusterIP asked for is taken (or outside the host's range). */
const CLUSTER_IP_FIELDS = new Set(['spec.clusterIP', 'spec.clusterIPs']);

/**
 * One virtual Service, key `<namespace>/<name>`: read both sides (from the caches) -> check the
 * annotation policy and ownership -> translate -> apply host -> back-sync virtual -> report
 * annotations dropped. A Service the policy refuses has no host copy. A new host copy asks for
 * the virtual Service's own ClusterIP, so usually nothing has to be re-created.
 */
export class ServiceReconciler {
  constructor(private readonly deps: ServiceSyncDeps) {}

  async reconcile(key: string): Promise<SyncResult> {
    const slash = key.indexOf('/');
    const [namespace, name] = [key.slice(0, slash), key.slice(slash + 1)];
    if (isSkipped(namespace, name)) return;
    const { applier } = this.deps;
    const ctx = this.deps.ctx();
    // A Service the mapper (a fromHost mapping) or the exposer (a `<service>-ext` entry) wrote is the host's already: never synced back.
    const cached = this.deps.virtualServices.get(name, namespace);
    const read = cached?.metadata?.deletionTimestamp ? undefined : cached;
    const virtual = read?.metadata?.labels?.[mappingLabels.mapping] || read?.metadata?.labels?.[labels.component] === 'exposure-entry' ? undefined : read;
    const hostRef = { apiVersion: 'v1', kind: 'Service', metadata: { name: hostName({ name, namespace, vcluster: ctx.vcluster }), namespace: ctx.hostNamespace } };
    const host = this.deps.hostServices.get(hostRef.metadata.name, ctx.hostNamespace);
    const deleteOwnCopy = async () => {
      const ref = host && recordedVirtualRef(host);
      if (host && ref?.namespace === namespace && ref.name === name && isOwnedByVCluster(host, ctx) && (await applier.delete(hostRef))) {
        this.deps.hostServices.deleted(hostRef.metadata.name, ctx.hostNamespace, host);
        this.deps.countWrite('host-delete');
      }
    };
    if (!virtual) return deleteOwnCopy();
    // `svc.ns` depends on the virtual cluster's namespaces: not translated before they are known (re-enqueued then).
    if (virtual.spec?.type === 'ExternalName' && !ctx.virtualNamespaces) return;
    const review = reviewService(virtual, ctx);
    if (review.refusal) {
      await deleteOwnCopy();
      return this.refuse(virtual, review.refusal);
    }
    const conflict = ownershipConflict(host, virtual, ctx);
    if (conflict) return this.refuse(virtual, conflict);
    let synced: V1Service;
    try {
      synced = await this.applyHost(virtual, host, ctx);
    } catch (e) {
      if (isNotOwned(e)) return this.refuse(virtual, { reason: 'HostObjectNotOwned', message: e.message });
      throw e;
    }
    await this.backSync(virtual, synced);
    if (review.dropped.length === 0) return;
    const { warnings, countWrite, logger } = this.deps;
    return reportDropped(warnings, virtual, { apiVersion: 'v1', kind: 'Service' }, review.dropped, countWrite, logger);
  }

  /** Applies the host copy (asking for the virtual ClusterIP when new; without it when the host refuses that address). */
  private async applyHost(virtual: V1Service, host: V1Service | undefined, ctx: SyncContext): Promise<V1Service> {
    const { applier, hostServices, countWrite } = this.deps;
    const ip = requestedClusterIP(virtual, host);
    let applied: { object: V1Service; wrote: boolean };
    try {
      applied = await applyIfChanged(applier, hostServiceFor(virtual, ctx, ip), host);
    } catch (e) {
      if (!ip || host || !invalidFields(e).some((f) => CLUSTER_IP_FIELDS.has(f))) throw e;
      applied = await applyIfChanged(applier, hostServiceFor(virtual, ctx), host);
    }
    if (applied.wrote) {
      hostServices.wrote(applied.object);
      countWrite('host-apply');
    }
    return applied.object;
  }

  private async refuse(virtual: V1Service, problem: SyncRefusal): Promise<SyncResult> {
    const { namespace, name } = virtual.metadata ?? {};
    this.deps.logger.warn({ vcluster: this.deps.ctx().vcluster, namespace, name, reason: problem.reason }, problem.message);
    if (await this.deps.warnings.warn(virtual, problem, undefined, problem.keys?.join('\n'))) this.deps.countWrite('virtual-event');
    return refused(problem);
  }

  /** Host -> virtual: ClusterIP (re-create), nodePorts, LoadBalancer status. */
  private async backSync(virtual: V1Service, host: V1Service): Promise<void> {
    const plan = virtualServiceBackSync(virtual, host);
    const name = virtual.metadata?.name ?? '';
    const namespace = virtual.metadata?.namespace ?? 'default';
    const ip = plan.recreateWithClusterIP;
    if (ip && virtual.metadata?.annotations?.[CLUSTER_IP_UNAVAILABLE] !== ip) {
      await this.recreate(virtual, host, ip);
      return; // the re-created Service comes back through the informer
    }
    const { virtual: api, countWrite } = this.deps;
    try {
      if (plan.nodePorts) {
        const body = { metadata: { resourceVersion: virtual.metadata?.resourceVersion }, spec: { ports: plan.nodePorts } };
        this.deps.virtualServices.wrote(await api.patchNamespacedService({ name, namespace, body }, mergePatch));
        countWrite('virtual-ports');
      }
      if (plan.statusPatch) {
        const body = { status: { loadBalancer: { ingress: plan.statusPatch.loadBalancer.ingress ?? null } } };
        this.deps.virtualServices.wrote(await api.patchNamespacedServiceStatus({ name, namespace, body }, mergePatch));
        countWrite('virtual-status');
      }
    } catch (e) {
      throw classify(e, `back-sync virtual Service ${namespace}/${name}`);
    }
  }

  /**
   * Deletes the virtual Service and creates it again with the host's ClusterIP. The virtual API
   * server allocates on its own: when it refuses the address, the Service is created as it was
   * and marked, so this IP is not tried again (a terminal reason, logged).
   */
  private async recreate(virtual: V1Service, host: V1Service, ip: string): Promise<void> {
    const name = virtual.metadata?.name ?? '';
    const namespace = virtual.metadata?.namespace ?? 'default';
    const { virtual: api, countWrite, logger } = this.deps;
    try {
      await api.deleteNamespacedService({ name, namespace, body: { preconditions: { uid: virtual.metadata?.uid } } });
    } catch (e) {
      if (isNotFound(e)) return;
      throw classify(e, `delete virtual Service ${namespace}/${name} to re-create it`);
    }
    this.deps.virtualServices.deleted(name, namespace, virtual);
    countWrite('virtual-recreate');
    try {
      this.deps.virtualServices.wrote(await api.createNamespacedService({ namespace, body: virtualServiceRecreated(virtual, host) }));
      return;
    } catch (e) {
      logger.warn({ vcluster: this.deps.ctx().vcluster, namespace, name, reason: 'ClusterIPUnavailable', err: e }, `the virtual cluster refused ClusterIP ${ip}; the Service keeps its own address`);
    }
    const original = virtualServiceRecreated(virtual, {});
    original.metadata = { ...original.metadata, annotations: { ...original.metadata?.annotations, [CLUSTER_IP_UNAVAILABLE]: ip } };
    try {
      this.deps.virtualServices.wrote(await api.createNamespacedService({ namespace, body: original }));
    } catch (e) {
      throw classify(e, `re-create virtual Service ${namespace}/${name}`);
    }
  }
}
