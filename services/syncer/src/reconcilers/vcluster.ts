import type { KubeConfig } from '@kubernetes/client-node';
import type { VClusterRecord } from '@netbroker/contracts';
import type { JsonKv } from '@netbroker/bus';
import { kubeConfigFromString, TerminalError, type OwnedApplier, type ReconcileResult } from '@netbroker/kube';
import { openSecret, type Logger } from '@netbroker/runtime';
import { syncContextFor } from '@netbroker/translate';
import { VClusterSync } from '../vcluster-sync';
import type { CountWrite } from '../writes';

export interface VClusterDeps {
  vclusters: JsonKv<typeof VClusterRecord>;
  hostConfig: KubeConfig;
  applier: OwnedApplier;
  encryptionKey: Buffer;
  countWrite: CountWrite;
  onReconciled: () => void;
  logger: Logger;
  concurrency: number;
  now: () => Date;
}

interface Running {
  sync: VClusterSync;
  /** The record the loop was started from: another one restarts it. */
  fingerprint: string;
}

/**
 * A registration, key `<tenant>.<project>`: a record means a running sync loop built from it
 * (re-started when the record changes); no record means no loop and none of its host objects.
 */
export class VClusterReconciler {
  private readonly running = new Map<string, Running>();

  constructor(private readonly deps: VClusterDeps) {}

  /** Every loop has filled its caches and made its first pass. */
  get synced(): boolean {
    return [...this.running.values()].every((r) => r.sync.hasSynced);
  }

  get count(): number {
    return this.running.size;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const record = (await this.deps.vclusters.get(key))?.value;
    const current = this.running.get(key);
    if (!record) {
      if (!current) return;
      await current.sync.stop();
      const deleted = await current.sync.deleteHostObjects();
      this.running.delete(key);
      this.deps.logger.info({ key, deleted }, 'virtual cluster deregistered; its host objects are deleted');
      return;
    }
    const fingerprint = JSON.stringify(record);
    if (current?.fingerprint === fingerprint) return;
    if (current) {
      await current.sync.stop();
      this.running.delete(key);
    }
    const virtualConfig = this.virtualConfigOf(key, record);
    if (!virtualConfig) return;
    const sync = new VClusterSync({ ...this.deps, ctx: syncContextFor(record), virtualConfig });
    this.running.set(key, { sync, fingerprint });
    await sync.start();
    this.deps.logger.info({ key, vcluster: record.options.name ?? record.project }, 'syncing virtual cluster');
  }

  private virtualConfigOf(key: string, record: VClusterRecord): KubeConfig | undefined {
    if (!record.kubeconfig) {
      this.deps.logger.warn({ key, secretRef: record.secretRef }, 'kubeconfig from a Secret is not supported yet; virtual cluster not synced');
      return undefined;
    }
    try {
      return kubeConfigFromString(openSecret(record.kubeconfig, this.deps.encryptionKey));
    } catch (e) {
      throw new TerminalError('KubeconfigUnreadable', `the kubeconfig of ${key} cannot be opened or read`, { cause: e });
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => r.sync.stop()));
    this.running.clear();
  }
}
