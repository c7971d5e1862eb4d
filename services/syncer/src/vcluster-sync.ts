import {
  CoreV1Api,
  NetworkingV1Api,
  type KubernetesObject,
  type V1Ingress,
  type V1IngressClass,
  type V1Namespace,
  type V1NetworkPolicy,
  type V1Service,
} from '@kubernetes/client-node';
import type { KvFollower } from '@netbroker/bus';
import type { AnnotationPolicy, SyncIssue, VClusterOptions } from '@netbroker/contracts';
import { CachedReader, EventRecorder, kinds, SharedInformers, WorkQueue, type Cluster, type ControllerMetrics, type SharedInformer } from '@netbroker/controller';
import { classify, OwnedApplier, type Resource } from '@netbroker/kube';
import { labels, MANAGED_BY } from '@netbroker/naming';
import type { Logger } from '@netbroker/runtime';
import { hostnameFromClaimKey, ingressClassesOf, ingressHostnames, isOwnedByVCluster, recordedVirtualRef, type SyncContext } from '@netbroker/translate';
import { HostnameClaims, hostnameSuffixesOf, projectCidrOf, type SyncBuckets } from './claims';
import { IngressReconciler } from './reconcilers/ingress';
import { IngressClassReconciler } from './reconcilers/ingress-class';
import { NetworkPolicyReconciler } from './reconcilers/network-policy';
import { Conflicts, KindWarnings, requeueOf, type SyncResult } from './reconcilers/refusals';
import { isSkipped, ServiceReconciler, serviceKey } from './reconcilers/service';
import { WarningEvents } from './reconcilers/warnings';
import type { CountWrite } from './writes';

export interface VClusterSyncDeps {
  ctx: SyncContext;
  /** The virtual cluster (its id names its registration generation: informers are shared per id). */
  virtual: Cluster;
  host: Cluster;
  /** Figures of this loop's queues, by kind (the runtime's per-controller metrics). */
  queueMetrics?: ControllerMetrics;
  /** The process's informers (absent: this loop's own). */
  informers?: SharedInformers;
  applier: OwnedApplier;
  countWrite: CountWrite;
  onReconciled: () => void;
  logger: Logger;
  concurrency: number;
  now: () => Date;
  /** The kinds the registration syncs besides Services (absent: Services only). */
  options?: Pick<VClusterOptions, 'syncIngresses' | 'syncNetworkPolicies' | 'syncIngressClasses'>;
  /** Hostname claims, tenants and project status: needed to sync Ingresses and NetworkPolicies. */
  buckets?: SyncBuckets;
  /** Which tenant annotations reach host objects (absent: the built-in defaults). */
  annotationPolicy?: AnnotationPolicy;
}

/** What the registration status says about the objects of one virtual cluster. */
export interface SyncIssues {
  conflicts: number;
  refused: SyncIssue[];
  dropped: SyncIssue[];
  droppedCount: number;
}

/** Something that fills a cache (an informer, a KV watch) before the first pass counts as done. */
interface Source {
  start(): Promise<void>;
  stop(): Promise<void>;
  waitForSync(): Promise<void>;
}

const keyOf = (obj: KubernetesObject) => serviceKey(obj.metadata?.namespace ?? 'default', obj.metadata?.name ?? '');

/**
 * The sync loop of one virtual cluster: per kind, informers on the virtual cluster and the host
 * feeding keys to a work queue (Services always; Ingresses, IngressClasses and NetworkPolicies as
 * the registration asks). Once every cache is filled, every key either side knows has been
 * enqueued: that is the start-up sweep (owned host objects without a virtual source are deleted
 * by the reconcilers; claims no Ingress uses are released).
 */
export class VClusterSync {
  private readonly sources: Source[] = [];
  private readonly queues: WorkQueue[] = [];
  private readonly hostCore: CoreV1Api;
  private readonly hostNet: NetworkingV1Api;
  private readonly virtualCore: CoreV1Api;
  private readonly virtualNet: NetworkingV1Api;
  private readonly log: Logger;
  private readonly claims: HostnameClaims | undefined;
  private projectCidr: string | undefined;
  private virtualIngresses: SharedInformer<V1Ingress> | undefined;
  private ingressQueue: WorkQueue | undefined;
  private hostClasses: SharedInformer<V1IngressClass> | undefined;
  private virtualNamespaces: SharedInformer<V1Namespace> | undefined;
  private readonly subscriptions: Array<() => () => Promise<void>> = [];
  private readonly unsubscribes: Array<() => Promise<void>> = [];
  /** Reconciles wait for every cache to be filled (a half-filled cache would read as "absent"). */
  private readonly cachesFilled: Promise<void>;
  private fillCaches!: () => void;
  private readonly events: EventRecorder;
  private stopping = false;
  private readonly informers: SharedInformers;
  private readonly refusals = new Conflicts();
  private synced = false;
  /** The registration's context with the annotation policy. */
  private readonly ctx: SyncContext;

  constructor(private readonly deps: VClusterSyncDeps) {
    const { options, buckets } = deps;
    const ctx: SyncContext = deps.annotationPolicy ? { ...deps.ctx, annotationPolicy: deps.annotationPolicy } : deps.ctx;
    this.ctx = ctx;
    this.log = deps.logger.child({ vcluster: ctx.vcluster, tenant: ctx.tenant, project: ctx.project });
    this.informers = deps.informers ?? new SharedInformers(deps.logger);
    this.cachesFilled = new Promise((resolve) => (this.fillCaches = resolve));
    this.virtualCore = deps.virtual.kubeConfig.makeApiClient(CoreV1Api);
    this.virtualNet = deps.virtual.kubeConfig.makeApiClient(NetworkingV1Api);
    this.hostCore = deps.host.kubeConfig.makeApiClient(CoreV1Api);
    this.hostNet = deps.host.kubeConfig.makeApiClient(NetworkingV1Api);
    this.events = new EventRecorder(this.virtualCore, deps.applier.fieldManager);
    this.claims = buckets && new HostnameClaims(buckets.claims, ctx, deps.now);
    this.serviceLoop();
    if (options?.syncIngressClasses) this.ingressClassLoop();
    if (options?.syncIngresses && buckets) this.ingressLoop(buckets);
    if (options?.syncNetworkPolicies) this.networkPolicyLoop();
    if ((options?.syncIngresses || options?.syncNetworkPolicies) && !buckets) {
      this.log.error('no KV buckets given: Ingresses are not synced and NetworkPolicy ipBlocks are refused');
    }
  }

  private queue(kind: string, reconcile: (key: string) => Promise<SyncResult>): WorkQueue {
    const queue = new WorkQueue({
      concurrency: this.deps.concurrency,
      reconcile: async (key) => {
        await this.cachesFilled;
        if (this.stopping) return;
        const result = await reconcile(key);
        this.refusals.record(kind, key, result);
        this.deps.onReconciled();
        return requeueOf(result);
      },
      onError: (key, err, retrying) => this.log.error({ err, kind, key, retrying }, `${kind} sync failed`),
      onDone: (_key, outcome, ms) => this.deps.queueMetrics?.done(kind, outcome, ms),
    });
    this.queues.push(queue);
    return queue;
  }

  /** A shared informer on one side; `onChange` (also for deletions) is subscribed at start. */
  private informer<T extends KubernetesObject>(side: 'virtual' | 'host', resource: Resource, onChange: (obj: T) => void): SharedInformer<T> {
    const informer = this.informers.informer<T>(side === 'virtual' ? this.deps.virtual : this.deps.host, resource);
    this.subscriptions.push(() => informer.subscribe({ onChange }));
    this.sources.push({ start: async () => undefined, stop: async () => undefined, waitForSync: () => informer.waitForSync() });
    return informer;
  }

  /** Reads of one kind from an informer's cache, seeing this loop's own writes. */
  private reader<T extends KubernetesObject>(informer: SharedInformer<T>): CachedReader<T> {
    const reader = new CachedReader(informer);
    this.unsubscribes.push(reader.unsubscribe);
    return reader;
  }

  /** Host objects of this virtual cluster: enqueue the virtual key they record. */
  private enqueueOwned(queue: WorkQueue) {
    return (obj: KubernetesObject) => {
      const ref = recordedVirtualRef(obj);
      if (ref && isOwnedByVCluster(obj, this.ctx)) queue.add(serviceKey(ref.namespace, ref.name));
    };
  }

  private serviceLoop(): void {
    const { applier, countWrite } = this.deps;
    const ctx = this.ctx;
    // Reconciles run only after start(), once `reconciler` below exists.
    const queue = this.queue('Service', (key) => reconciler.reconcile(key));
    const enqueue = (key: string) => queue.add(key);
    const virtualServices = this.informer<V1Service>('virtual', kinds.service, (svc) => {
      const { namespace = 'default', name = '' } = svc.metadata ?? {};
      if (!isSkipped(namespace, name)) enqueue(serviceKey(namespace, name));
    });
    // Every Service of the host namespace, not only ours: a Service someone else made under a name
    // we would write must be seen, or an apply would take it over.
    const hostServices = this.informer<V1Service>('host', { ...kinds.service, namespace: ctx.hostNamespace }, (obj) => {
      const ref = recordedVirtualRef(obj);
      if (ref && isOwnedByVCluster(obj, this.ctx)) enqueue(serviceKey(ref.namespace, ref.name));
    });
    // A namespace added or deleted: ExternalName Services are looked at again (`svc.ns` may name a Service now, or no longer).
    const enqueueExternalNames = () => {
      for (const svc of virtualServices.list()) if (svc.spec?.type === 'ExternalName') enqueue(keyOf(svc));
    };
    const namespaces = this.informer<V1Namespace>('virtual', kinds.namespace, enqueueExternalNames);
    this.virtualNamespaces = namespaces;
    const reconciler = new ServiceReconciler({
      // The virtual cluster's namespaces, read at each reconcile: `svc.ns` ExternalNames name a Service only in a known `ns`.
      // Unknown (undefined) until the cache is filled: ExternalName Services wait for it (see start()).
      ctx: () => (namespaces.hasSynced ? { ...ctx, virtualNamespaces: namespaces.list().map((n) => n.metadata?.name ?? '') } : ctx),
      virtual: this.virtualCore,
      virtualServices: this.reader(virtualServices),
      hostServices: this.reader(hostServices),
      applier,
      warnings: new WarningEvents(this.events),
      countWrite,
      logger: this.log,
    });
    // Skipped until the namespaces are known; any arriving later comes through the Service informer.
    this.sources.push({ start: async () => void namespaces.waitForSync().then(enqueueExternalNames), stop: async () => {}, waitForSync: () => namespaces.waitForSync() });
  }

  private kindWarnings(): KindWarnings {
    return new KindWarnings(new WarningEvents(this.events), this.deps.countWrite, this.log);
  }

  /** Virtual Ingresses using `host` (from the cache). */
  private enqueueIngressesUsing(host: string): void {
    for (const ing of this.virtualIngresses?.list() ?? []) if (ingressHostnames(ing).includes(host)) this.ingressQueue?.add(keyOf(ing));
  }

  private ingressLoop(buckets: SyncBuckets): void {
    const { applier, countWrite } = this.deps;
    const ctx = this.ctx;
    const claims = this.claims!;
    const offered = () => this.hostClasses?.list().map((c) => c.metadata?.name ?? '');
    // Reconciles run only after start(), once `reconciler` below exists.
    const queue = this.queue('Ingress', (key) => reconciler.reconcile(key));
    this.ingressQueue = queue;
    const virtualIngresses = this.informer<V1Ingress>('virtual', kinds.ingress, (ing) => queue.add(keyOf(ing)));
    this.virtualIngresses = virtualIngresses;
    const enqueueOwned = this.enqueueOwned(queue);
    // Cluster-wide: a host Ingress netbroker does not own takes its host names from every project.
    const hostIngresses = this.informer<V1Ingress>('host', kinds.ingress, (ing) => {
      if (ing.metadata?.labels?.[labels.managedBy] === MANAGED_BY) enqueueOwned(ing);
      else ingressHostnames(ing).forEach((host) => this.enqueueIngressesUsing(host));
    });
    const reconciler = new IngressReconciler({
      ctx,
      virtual: this.virtualNet,
      virtualIngresses: this.reader(virtualIngresses),
      hostIngresses: this.reader(hostIngresses),
      applier,
      warnings: this.kindWarnings(),
      claims,
      hostnameSuffixes: () => hostnameSuffixesOf(buckets, ctx),
      unownedUsersOf: (host) =>
        hostIngresses.list().filter((h) => h.metadata?.labels?.[labels.managedBy] !== MANAGED_BY && ingressHostnames(h).includes(host)).map(keyOf),
      usedByOther: (host, key) => virtualIngresses.list().some((v) => keyOf(v) !== key && ingressHostnames(v).includes(host)),
      offeredClasses: () => (this.deps.options?.syncIngressClasses ? offered() : undefined),
      countWrite,
    });
    // A released claim: Ingresses of this cluster refused for that name may take it now.
    let follower: KvFollower | undefined;
    this.sources.push({
      start: async () => {
        follower = await buckets.claims.follow(
          (change) => (change.op === 'delete' ? this.enqueueIngressesUsing(hostnameFromClaimKey(change.key)) : undefined),
          (key, err) => this.log.warn({ key, err }, 'unreadable hostname claim'),
        );
      },
      stop: async () => follower?.stop(),
      waitForSync: async () => follower?.caughtUp,
    });
  }

  private networkPolicyLoop(): void {
    const { applier, countWrite } = this.deps;
    const ctx = this.ctx;
    // Reconciles run only after start(), once `reconciler` below exists.
    const queue = this.queue('NetworkPolicy', (key) => reconciler.reconcile(key));
    const virtualPolicies = this.informer<V1NetworkPolicy>('virtual', kinds.networkPolicy, (policy) => queue.add(keyOf(policy)));
    // Every policy of the host namespace: one someone else made under our name must be seen, not taken over.
    const hostPolicies = this.informer<V1NetworkPolicy>('host', { ...kinds.networkPolicy, namespace: ctx.hostNamespace }, this.enqueueOwned(queue));
    const reconciler = new NetworkPolicyReconciler({
      ctx: () => ({ ...ctx, ...(this.projectCidr ? { projectCidr: this.projectCidr } : {}) }),
      virtualPolicies: this.reader(virtualPolicies),
      hostPolicies: this.reader(hostPolicies),
      applier,
      warnings: this.kindWarnings(),
      countWrite,
    });
  }

  private ingressClassLoop(): void {
    const reconciler = new IngressClassReconciler({
      host: this.deps.applier,
      virtual: new OwnedApplier(this.deps.virtual.kubeConfig, this.deps.applier.fieldManager),
      countWrite: this.deps.countWrite,
      onForeign: (name) => this.log.debug({ ingressClass: name }, 'the virtual cluster has its own IngressClass of that name; not mirrored'),
    });
    const queue = this.queue('IngressClass', (key) => reconciler.reconcile(key));
    const enqueue = (cls: V1IngressClass) => queue.add(cls.metadata?.name ?? '');
    this.hostClasses = this.informer<V1IngressClass>('host', kinds.ingressClass, (cls) => {
      enqueue(cls);
      // Ingresses naming this class may be offered it now, or no longer.
      for (const ing of this.virtualIngresses?.list() ?? []) if (ingressClassesOf(ing).includes(cls.metadata?.name ?? '')) this.ingressQueue?.add(keyOf(ing));
    });
    this.informer<V1IngressClass>('virtual', kinds.ingressClass, enqueue);
  }

  /** Starts every source; `synced` turns true once every cache is filled and the first pass is done. */
  async start(): Promise<void> {
    const { buckets, options } = this.deps;
    if (buckets && options?.syncNetworkPolicies) this.projectCidr = await projectCidrOf(buckets, this.ctx);
    for (const subscribe of this.subscriptions) this.unsubscribes.push(subscribe());
    await Promise.all(this.sources.map((s) => s.start()));
    void Promise.all(this.sources.map((s) => s.waitForSync()))
      .then(() => this.fillCaches())
      .then(() => this.releaseStaleClaims())
      .then(() => Promise.all(this.queues.map((q) => q.idle())))
      .then(
        () => (this.synced = true),
        (err: unknown) => this.log.error({ err }, 'first pass failed'),
      );
  }

  /** Claims of this project no virtual Ingress uses (deleted while no syncer ran) are released. */
  private async releaseStaleClaims(): Promise<void> {
    if (!this.claims || !this.virtualIngresses) return;
    const inUse = new Set(this.virtualIngresses.list().flatMap(ingressHostnames));
    const released = await this.claims.releaseAllBut(inUse);
    if (released.length > 0) this.log.info({ released }, 'released hostname claims no Ingress uses');
  }

  /** The virtual objects (any kind) currently refused or blocked by a host object netbroker does not own. */
  conflicts(): number {
    return this.refusals.size;
  }

  /** Refused objects and objects synced without some annotations, bounded, for the registration status. */
  issues(): SyncIssues {
    return { conflicts: this.refusals.size, refused: this.refusals.refused(), dropped: this.refusals.dropped(), droppedCount: this.refusals.droppedCount };
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.sources.map((s) => s.stop()));
    this.fillCaches(); // reconciles waiting for the caches end (the queues take no more work)
    await Promise.all(this.queues.map((q) => q.stop()));
    await Promise.all(this.unsubscribes.splice(0).map((u) => u()));
  }

  /** Deregistration: every host object this virtual cluster owns is deleted (read from the API, not the cache), its claims released. */
  async deleteHostObjects(): Promise<number> {
    const ctx = this.ctx;
    const labelSelector = `${labels.vcluster}=${ctx.vcluster}`;
    const namespace = ctx.hostNamespace;
    let deleted = 0;
    const kinds = [
      { apiVersion: 'v1', kind: 'Service', list: () => this.hostCore.listNamespacedService({ namespace, labelSelector }) },
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', list: () => this.hostNet.listNamespacedIngress({ namespace, labelSelector }) },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', list: () => this.hostNet.listNamespacedNetworkPolicy({ namespace, labelSelector }) },
    ];
    for (const { apiVersion, kind, list } of kinds) {
      let items: KubernetesObject[];
      try {
        items = (await list()).items;
      } catch (e) {
        throw classify(e, `list host ${kind}s of ${ctx.vcluster}`);
      }
      for (const obj of items.filter((o) => isOwnedByVCluster(o, ctx) && recordedVirtualRef(o))) {
        if (await this.deps.applier.delete({ apiVersion, kind, metadata: { name: obj.metadata?.name ?? '', namespace } })) {
          this.deps.countWrite('host-delete');
          deleted++;
        }
      }
    }
    await this.claims?.releaseAllBut(new Set());
    return deleted;
  }
}
