import { NetworkingV1Api, CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { projectKey, type VClusterRecord, type VClusterStatus } from '@netbroker/contracts';
import type { JsonKv } from '@netbroker/bus';
import { classify, isNotOwned, type OwnedApplier } from '@netbroker/kube';
import { labels, MANAGED_BY } from '@netbroker/naming';
import type { Logger } from '@netbroker/runtime';
import type { LeaseHolder } from '@netbroker/controller';
import type { CountWrite } from '../writes';

/** The lease key of the sweep: not a registration key (those are `<tenant>.<project>`). */
export const SWEEP_LEASE = 'sweep';

export interface OrphanSweepDeps {
  vclusters: JsonKv<typeof VClusterRecord>;
  /**
   * Status records: one is written for every registration a replica of this installation
   * synced, and deleted with its host objects. Only keys found here are swept, so objects of
   * another installation sharing the host cluster (another NATS) are never touched.
   */
  statuses: JsonKv<typeof VClusterStatus>;
  /** Takes the `sweep` lease, so one replica sweeps at a time. */
  leases: LeaseHolder;
  hostConfig: KubeConfig;
  applier: OwnedApplier;
  countWrite: CountWrite;
  logger: Logger;
}

/** The registration key of a host object synced from a virtual cluster; undefined when not one. */
export function registrationOf(obj: KubernetesObject): string | undefined {
  const l = obj.metadata?.labels ?? {};
  const [tenant, project] = [l[labels.tenant], l[labels.project]];
  if (l[labels.managedBy] !== MANAGED_BY || !l[labels.vcluster] || !tenant || !project) return undefined;
  return projectKey(tenant, project);
}

/**
 * Host Services, Ingresses and NetworkPolicies synced for a registration that no longer exists
 * (deleted while no replica held its lease: its status record stayed) are deleted, then that
 * status record. Returns how many were deleted; -1 when
 * another replica holds the sweep lease.
 */
export async function sweepOrphans(deps: OrphanSweepDeps): Promise<number> {
  const { vclusters, statuses, leases, hostConfig, applier, countWrite, logger } = deps;
  const lease = await leases.acquire(SWEEP_LEASE);
  if (!lease.held) return -1;
  try {
    const core = hostConfig.makeApiClient(CoreV1Api);
    const net = hostConfig.makeApiClient(NetworkingV1Api);
    const labelSelector = `${labels.managedBy}=${MANAGED_BY},${labels.vcluster}`;
    const kinds = [
      { apiVersion: 'v1', kind: 'Service', list: () => core.listServiceForAllNamespaces({ labelSelector }) },
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', list: () => net.listIngressForAllNamespaces({ labelSelector }) },
      { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', list: () => net.listNetworkPolicyForAllNamespaces({ labelSelector }) },
    ];
    // Host objects first, registrations second: an object listed was created before the
    // registrations were read, so a registration made meanwhile cannot lose its new objects.
    const found: Array<{ apiVersion: string; kind: string; obj: KubernetesObject }> = [];
    for (const { apiVersion, kind, list } of kinds) {
      try {
        for (const obj of (await list()).items as KubernetesObject[]) found.push({ apiVersion, kind, obj });
      } catch (e) {
        throw classify(e, `list host ${kind}s of virtual clusters`);
      }
    }
    const known = new Set((await statuses.list()).map((r) => r.key));
    const registered = new Set((await vclusters.list()).map((r) => r.key));
    const orphaned = new Set([...known].filter((k) => !registered.has(k)));
    let deleted = 0;
    for (const { apiVersion, kind, obj } of found) {
      const registration = registrationOf(obj);
      if (!registration || !orphaned.has(registration)) continue;
      const { name = '', namespace } = obj.metadata ?? {};
      try {
        if (await applier.delete({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } })) {
          countWrite('host-delete');
          deleted++;
        }
      } catch (e) {
        if (!isNotOwned(e)) throw e;
        logger.warn({ kind, namespace, name, registration }, 'orphaned host object is not owned by the syncer; left alone');
      }
    }
    // Every host object of these is gone (a failure threw above): their status goes too.
    for (const key of orphaned) await statuses.delete(key);
    if (deleted > 0) logger.info({ deleted, registrations: [...orphaned] }, 'host objects of deleted registrations are deleted');
    return deleted;
  } finally {
    await leases.release(SWEEP_LEASE);
  }
}

/** Sweeps now and every `intervalMs`; one sweep at a time. */
/** How often host objects of registrations deleted while no replica held them are looked for. */
export const SWEEP_INTERVAL_MS = 5 * 60_000;

/** Sweeps once `after` resolves (every registration read), then every `intervalMs`. */
export function startOrphanSweep(deps: OrphanSweepDeps, intervalMs: number, after: Promise<void>): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const run = () => {
    if (stopped) return;
    running = running.then(() => sweepOrphans(deps)).catch((err: unknown) => deps.logger.error({ err }, 'orphan sweep failed'));
  };
  after.then(run, () => undefined); // a watch that ended is the manager's to report
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
