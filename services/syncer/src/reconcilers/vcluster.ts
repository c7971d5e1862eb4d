import type { AnnotationPolicy, VClusterRecord, VClusterStatus } from '@netbroker/contracts';
import type { OwnedApplier } from '@netbroker/kube';
import type { Cluster, ControllerMetrics, LeaseHolder, ReconcileResult, SharedInformers, VirtualClusterPool } from '@netbroker/controller';
import type { Logger } from '@netbroker/runtime';
import { syncContextFor } from '@netbroker/translate';
import type { StatusWriter } from '../status';
import type { SyncBuckets } from '../claims';
import { VClusterSync } from '../vcluster-sync';
import type { CountWrite } from '../writes';

export interface VClusterDeps {
  /** The current registration (the followed bucket's memory). */
  record: (key: string) => VClusterRecord | undefined;
  /** Figures of the per-cluster queues, by kind. */
  queueMetrics?: ControllerMetrics;
  leases: LeaseHolder;
  status: StatusWriter;
  host: Cluster;
  informers: SharedInformers;
  /** Opens registrations (sanitiser, server policy), one client set per generation. */
  pool: VirtualClusterPool;
  hostServiceCidr: string;
  /** How often a held registration is looked at again (reachability, status). */
  probeMs: number;
  applier: OwnedApplier;
  countWrite: CountWrite;
  onReconciled: () => void;
  logger: Logger;
  concurrency: number;
  now: () => Date;
  /** Hostname claims, tenants and project status: what Ingress and NetworkPolicy sync read. */
  buckets: SyncBuckets;
  /** Which tenant annotations reach host objects (`ANNOTATION_POLICY`; absent: the built-in defaults). */
  annotationPolicy?: AnnotationPolicy;
}

/** Virtual objects refused or blocked by unowned host objects, and those synced without some annotations. */
function issuesOf(sync: VClusterSync): Pick<VClusterStatus, 'conflicts' | 'refused' | 'dropped' | 'droppedCount'> {
  const { conflicts, refused, dropped, droppedCount } = sync.issues();
  return { conflicts, ...(refused.length > 0 ? { refused } : {}), ...(dropped.length > 0 ? { dropped, droppedCount } : {}) };
}

interface Running {
  sync: VClusterSync;
  /** The record the loop was started from: another one restarts it. */
  fingerprint: string;
  lastSyncAt?: string;
}

/**
 * A registration, key `<tenant>.<project>`: a record whose lease this replica holds means a
 * running sync loop built from it (re-started when the record changes) and a status record; no
 * record means no loop and none of its host objects. Requeued every `probeMs` while held.
 */
export class VClusterReconciler {
  private readonly running = new Map<string, Running>();
  private readonly seen = new Set<string>();
  private readonly expected = new Set<string>();

  constructor(private readonly deps: VClusterDeps) {}

  /** Every registration seen was looked at once, and every loop has filled its caches and made its first pass. */
  get synced(): boolean {
    return [...this.expected].every((k) => this.seen.has(k)) && [...this.running.values()].every((r) => r.sync.hasSynced);
  }

  get count(): number {
    return this.running.size;
  }

  /** A key the watch delivered: `synced` waits for its first reconcile. */
  expect(key: string): void {
    this.expected.add(key);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    try {
      return await this.reconcileHeld(key);
    } finally {
      this.seen.add(key);
    }
  }

  private async reconcileHeld(key: string): Promise<ReconcileResult> {
    const { leases, status, logger } = this.deps;
    const record = this.deps.record(key);
    const current = this.running.get(key);
    if (!record) {
      if (current) {
        await this.stopLoop(key);
        const deleted = await current.sync.deleteHostObjects();
        logger.info({ key, deleted }, 'virtual cluster deregistered; its host objects are deleted');
      }
      if (leases.holds(key)) {
        await status.delete(key);
        await leases.release(key);
      }
      return;
    }
    const lease = await leases.acquire(key);
    if (!lease.held) {
      if (current) await this.stopLoop(key);
      status.forget(key);
      return { requeueAfterMs: lease.retryAfterMs };
    }
    const requeue = { requeueAfterMs: this.deps.probeMs };
    const fingerprint = JSON.stringify(record);
    if (current && current.fingerprint !== fingerprint) await this.stopLoop(key);
    const opened = this.deps.pool.openRecord(key, record);
    if (!opened.ok) {
      // Nothing is contacted: a refused kubeconfig or server never reaches a client. Looked at
      // again when the record changes (the watch), not every probe period: the answer is the same.
      if (current) await this.stopLoop(key);
      logger.warn({ key, reason: opened.reason }, 'virtual cluster not synced');
      await status.write(key, { phase: 'Failed', reason: opened.reason, message: opened.message, conflicts: 0 });
      return;
    }
    const probe = await this.deps.pool.probe(opened.cluster, this.deps.hostServiceCidr);
    const running = this.running.get(key);
    if (!probe.ok) {
      if (probe.phase === 'Failed' && running) await this.stopLoop(key); // do not sync then
      const stillRunning = this.running.get(key);
      await status.write(key, {
        phase: probe.phase,
        reason: probe.reason,
        message: probe.message,
        ...(stillRunning ? issuesOf(stillRunning.sync) : { conflicts: 0 }),
        ...(running?.lastSyncAt ? { lastSyncAt: running.lastSyncAt } : {}),
      });
      return requeue;
    }
    if (!running) {
      const sync = new VClusterSync({ ...this.deps, ctx: syncContextFor(record), virtual: opened.cluster, options: record.options });
      const started: Running = { sync, fingerprint };
      this.running.set(key, started);
      await sync.start();
      if (!leases.holds(key)) {
        await this.stopLoop(key); // lost while starting
        return { requeueAfterMs: this.deps.probeMs };
      }
      logger.info({ key, vcluster: record.options.name ?? record.project }, 'syncing virtual cluster');
    }
    const now = this.running.get(key)!;
    if (now.sync.hasSynced) now.lastSyncAt ??= this.deps.now().toISOString();
    await status.write(key, {
      phase: 'Syncing',
      reason: now.sync.hasSynced ? 'Synced' : 'InitialSync',
      message: now.sync.hasSynced ? 'every object is synced; changes follow' : 'filling caches and making the first pass',
      ...issuesOf(now.sync),
      ...(now.lastSyncAt ? { lastSyncAt: now.lastSyncAt } : {}),
    });
    return requeue;
  }

  /** The lease was lost: stop the loop at once (the host objects stay for the new holder). */
  async lost(key: string): Promise<void> {
    this.deps.status.forget(key);
    if (this.running.has(key)) await this.stopLoop(key);
  }

  private async stopLoop(key: string): Promise<void> {
    const current = this.running.get(key);
    this.running.delete(key);
    await current?.sync.stop();
  }

  /** Stops every loop and releases every lease, so other replicas take over at once. */
  async stop(): Promise<void> {
    await Promise.all([...this.running.keys()].map((k) => this.stopLoop(k)));
    await this.deps.leases.stop();
  }
}
