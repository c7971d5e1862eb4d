import type { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '@netbroker/runtime';
import type { SyncRefusal } from '@netbroker/translate';
import type { CountWrite } from '../writes';
import { WarningEvents } from './warnings';

/** Why an Ingress or NetworkPolicy is not synced: the translator's reasons and the syncer's own. */
export type Refusal =
  | SyncRefusal
  | { reason: 'HostnameClaimed' | 'HostnameInUse' | 'HostnameNotAllowed' | 'IngressClassNotOffered'; message: string };

/** A refused object is looked at again this often (the conflicting object may go away). */
export const REFUSAL_RECHECK_MS = 30_000;

/** A reconcile's outcome: `refused` set when the virtual object was refused (it is looked at again later). */
export type SyncResult = void | { requeueAfterMs: number; refused?: { reason: string } };

/** The result of a refusal: looked at again later, and counted as a conflict. */
export const refused = (problem: { reason: string }): SyncResult => ({ requeueAfterMs: REFUSAL_RECHECK_MS, refused: { reason: problem.reason } });

/**
 * The virtual objects (any kind) currently refused or blocked by a host object netbroker does not
 * own, as `<kind>/<namespace>/<name>`: added when a reconcile refuses, removed when the object
 * syncs or is gone. A reconcile that fails (an error, retried) leaves its entry as it was.
 */
export class Conflicts {
  private readonly keys = new Set<string>();

  /** Records the outcome of reconciling `key` (`<namespace>/<name>`, or `<name>` for cluster-scoped kinds). */
  record(kind: string, key: string, result: SyncResult): void {
    const entry = `${kind}/${key.includes('/') ? key : `/${key}`}`;
    if (result && result.refused) this.keys.add(entry);
    else this.keys.delete(entry);
  }

  get size(): number {
    return this.keys.size;
  }

  /** The entries, sorted (for logs and tests). */
  list(): string[] {
    return [...this.keys].sort();
  }
}

/** Refusals of Ingresses and NetworkPolicies: logged, reported as a Warning Event, looked at again later. */
export class KindWarnings {
  private readonly events: WarningEvents;

  constructor(
    core: CoreV1Api,
    component: string,
    now: () => Date,
    private readonly countWrite: CountWrite,
    private readonly logger: Logger,
  ) {
    this.events = new WarningEvents(core, component, now);
  }

  /** Logs and reports `problem` on `obj`; the object is looked at again later. */
  async refuse(obj: KubernetesObject, kind: { apiVersion: string; kind: string }, problem: Refusal): Promise<SyncResult> {
    const namespace = obj.metadata?.namespace ?? 'default';
    this.logger.warn({ kind: kind.kind, namespace, name: obj.metadata?.name, reason: problem.reason }, problem.message);
    if (await this.events.warn(obj, problem, kind)) this.countWrite('virtual-event');
    return refused(problem);
  }
}
