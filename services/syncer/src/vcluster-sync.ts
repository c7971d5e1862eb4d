import { CoreV1Api, type KubeConfig, type V1Service } from '@kubernetes/client-node';
import { classify, Informer, WorkQueue, type OwnedApplier } from '@netbroker/kube';
import { labels } from '@netbroker/naming';
import type { Logger } from '@netbroker/runtime';
import { isOwnedByVCluster, recordedVirtualRef, type SyncContext } from '@netbroker/translate';
import { isSkipped, ServiceReconciler, serviceKey } from './reconcilers/service';
import { WarningEvents } from './reconcilers/warnings';
import type { CountWrite } from './writes';

export interface VClusterSyncDeps {
  ctx: SyncContext;
  virtualConfig: KubeConfig;
  hostConfig: KubeConfig;
  applier: OwnedApplier;
  countWrite: CountWrite;
  onReconciled: () => void;
  logger: Logger;
  concurrency: number;
  now: () => Date;
}

/**
 * The sync loop of one virtual cluster: an informer on its Services (all namespaces) and one on
 * the host Services it owns in the project's namespace, both feeding `<namespace>/<name>` keys to
 * a work queue. Once both caches are filled, every key either side knows is enqueued: that is the
 * start-up sweep (owned host Services without a virtual source are deleted by the reconciler).
 */
export class VClusterSync {
  private readonly virtualInformer: Informer<V1Service>;
  private readonly hostInformer: Informer<V1Service>;
  private readonly queue: WorkQueue;
  private readonly hostCore: CoreV1Api;
  private synced = false;

  constructor(private readonly deps: VClusterSyncDeps) {
    const { ctx, logger } = deps;
    const log = logger.child({ vcluster: ctx.vcluster, tenant: ctx.tenant, project: ctx.project });
    const virtualCore = deps.virtualConfig.makeApiClient(CoreV1Api);
    this.hostCore = deps.hostConfig.makeApiClient(CoreV1Api);
    const reconciler = new ServiceReconciler({
      ctx,
      virtual: virtualCore,
      applier: deps.applier,
      warnings: new WarningEvents(virtualCore, deps.applier.fieldManager, deps.now),
      countWrite: deps.countWrite,
      logger: log,
    });
    this.queue = new WorkQueue({
      concurrency: deps.concurrency,
      reconcile: async (key) => {
        const result = await reconciler.reconcile(key);
        deps.onReconciled();
        return result;
      },
      onError: (key, err, retrying) => log.error({ err, service: key, retrying }, 'service sync failed'),
    });
    const enqueueVirtual = (svc: V1Service) => {
      const { namespace = 'default', name = '' } = svc.metadata ?? {};
      if (!isSkipped(namespace, name)) this.queue.add(serviceKey(namespace, name));
    };
    const enqueueHost = (svc: V1Service) => {
      const ref = recordedVirtualRef(svc);
      if (ref && isOwnedByVCluster(svc, ctx)) this.queue.add(serviceKey(ref.namespace, ref.name));
    };
    const onError = (side: string) => (err: unknown, restartInMs: number) => log.warn({ err, side, restartInMs }, 'informer failed; restarting');
    this.virtualInformer = new Informer<V1Service>(deps.virtualConfig, {
      path: '/api/v1/services',
      list: () => virtualCore.listServiceForAllNamespaces(),
      onChange: enqueueVirtual,
      onDelete: enqueueVirtual,
      onError: onError('virtual'),
    });
    const selector = `${labels.vcluster}=${ctx.vcluster}`;
    this.hostInformer = new Informer<V1Service>(deps.hostConfig, {
      path: `/api/v1/namespaces/${ctx.hostNamespace}/services`,
      labelSelector: selector,
      list: () => this.hostCore.listNamespacedService({ namespace: ctx.hostNamespace, labelSelector: selector }),
      onChange: enqueueHost,
      onDelete: enqueueHost,
      onError: onError('host'),
    });
  }

  /** Starts both informers; `synced` turns true once both caches are filled and the first pass is done. */
  async start(): Promise<void> {
    await Promise.all([this.virtualInformer.start(), this.hostInformer.start()]);
    void Promise.all([this.virtualInformer.waitForSync(), this.hostInformer.waitForSync()])
      .then(() => this.queue.idle())
      .then(() => (this.synced = true));
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  async stop(): Promise<void> {
    await Promise.all([this.virtualInformer.stop(), this.hostInformer.stop()]);
    await this.queue.stop();
  }

  /** Deregistration: every host Service this virtual cluster owns is deleted (read from the API, not the cache). */
  async deleteHostObjects(): Promise<number> {
    const { ctx, applier, countWrite } = this.deps;
    let list;
    try {
      list = await this.hostCore.listNamespacedService({ namespace: ctx.hostNamespace, labelSelector: `${labels.vcluster}=${ctx.vcluster}` });
    } catch (e) {
      throw classify(e, `list host Services of ${ctx.vcluster}`);
    }
    let deleted = 0;
    for (const svc of list.items.filter((s) => isOwnedByVCluster(s, ctx) && recordedVirtualRef(s))) {
      const ref = { apiVersion: 'v1', kind: 'Service', metadata: { name: svc.metadata?.name ?? '', namespace: ctx.hostNamespace } };
      if (await applier.delete(ref)) {
        countWrite('host-delete');
        deleted++;
      }
    }
    return deleted;
  }
}
