import type { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';
import type { ReconcileResult } from '@netbroker/kube';
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
  async refuse(obj: KubernetesObject, kind: { apiVersion: string; kind: string }, problem: Refusal): Promise<ReconcileResult> {
    const namespace = obj.metadata?.namespace ?? 'default';
    this.logger.warn({ kind: kind.kind, namespace, name: obj.metadata?.name, reason: problem.reason }, problem.message);
    if (await this.events.warn(obj, problem, kind)) this.countWrite('virtual-event');
    return { requeueAfterMs: REFUSAL_RECHECK_MS };
  }
}
