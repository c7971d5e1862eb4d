import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { projectBuckets, type VClusterRecord } from '@netbroker/contracts';
import type { JsonKv } from '@netbroker/bus';
import { Informer, openRegisteredCluster, OwnedApplier, type TenantAccess } from '@netbroker/kube';
import { openSecret, type Logger } from '@netbroker/runtime';
import { syncContextFor, type SyncContext } from '@netbroker/translate';

export const FIELD_MANAGER = 'netbroker-mapper';

/** A project's registered virtual cluster, opened: its API, an applier and a watch on its Services. */
export interface VirtualCluster {
  ctx: SyncContext;
  core: CoreV1Api;
  applier: OwnedApplier;
}

export type ClusterLookup = { ok: true; cluster: VirtualCluster } | { ok: false; reason: string; message: string };

interface Open {
  fingerprint: string;
  cluster: VirtualCluster;
  informer: Informer<V1Service>;
}

/**
 * Virtual clusters of projects with mappings, opened from KV `vclusters` on first use and kept
 * while the registration is unchanged. Their Service events go to `onService(project, ns, name)`.
 */
export class VirtualClusters {
  private readonly open = new Map<string, Open>();

  constructor(
    private readonly deps: {
      vclusters: JsonKv<typeof VClusterRecord>;
      encryptionKey: Buffer;
      access: TenantAccess;
      onService: (project: string, namespace: string, name: string) => void;
      logger: Logger;
    },
  ) {}

  async get(project: string): Promise<ClusterLookup> {
    const record = (await this.deps.vclusters.get(project))?.value;
    const current = this.open.get(project);
    if (!record) {
      await this.close(project);
      return { ok: false, reason: 'VClusterNotRegistered', message: `project ${project} has no registered virtual cluster (bucket ${projectBuckets.vclusters})` };
    }
    const fingerprint = JSON.stringify(record);
    if (current?.fingerprint === fingerprint) return { ok: true, cluster: current.cluster };
    await this.close(project);
    const opened = openRegisteredCluster(record, this.deps.access, (sealed) => openSecret(sealed, this.deps.encryptionKey));
    if (!opened.ok) return { ok: false, reason: opened.reason, message: `the virtual cluster of ${project}: ${opened.message}` };
    const kc = opened.kubeConfig;
    const core = kc.makeApiClient(CoreV1Api);
    const cluster: VirtualCluster = { ctx: syncContextFor(record), core, applier: new OwnedApplier(kc, FIELD_MANAGER) };
    const onEvent = (svc: V1Service) => this.deps.onService(project, svc.metadata?.namespace ?? 'default', svc.metadata?.name ?? '');
    const informer = new Informer<V1Service>(kc, {
      path: '/api/v1/services',
      list: () => core.listServiceForAllNamespaces(),
      onChange: onEvent,
      onDelete: onEvent,
      onError: (err, restartInMs) => this.deps.logger.warn({ err, project, restartInMs }, 'virtual informer failed; restarting'),
    });
    this.open.set(project, { fingerprint, cluster, informer });
    await informer.start();
    return { ok: true, cluster };
  }

  /** Closes every cluster no mapping needs any more. */
  async retain(projects: Set<string>): Promise<void> {
    for (const project of [...this.open.keys()]) if (!projects.has(project)) await this.close(project);
  }

  private async close(project: string): Promise<void> {
    const current = this.open.get(project);
    if (!current) return;
    this.open.delete(project);
    await current.informer.stop();
  }

  async stop(): Promise<void> {
    await this.retain(new Set());
  }
}
