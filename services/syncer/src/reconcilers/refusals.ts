import type { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';
import { classify, isNotFound, statusCode, type ReconcileResult } from '@netbroker/kube';
import type { Logger } from '@netbroker/runtime';
import type { SyncRefusal } from '@netbroker/translate';
import type { CountWrite } from '../writes';

/** Why an Ingress or NetworkPolicy is not synced: the translator's reasons and the syncer's own. */
export type Refusal =
  | SyncRefusal
  | { reason: 'HostnameClaimed' | 'HostnameInUse' | 'HostnameNotAllowed' | 'IngressClassNotOffered'; message: string };

/** A refused object is looked at again this often (the conflicting object may go away). */
export const REFUSAL_RECHECK_MS = 30_000;

/**
 * Warning Events on virtual objects of any kind, one per object, kind and reason (a deterministic
 * name): an Event already there is not written again, so a restart re-reporting a refusal writes nothing.
 */
export class KindWarnings {
  constructor(
    private readonly core: CoreV1Api,
    private readonly component: string,
    private readonly now: () => Date,
    private readonly countWrite: CountWrite,
    private readonly logger: Logger,
  ) {}

  /** Logs and reports `problem` on `obj`; the object is looked at again later. */
  async refuse(obj: KubernetesObject, kind: { apiVersion: string; kind: string }, problem: Refusal): Promise<ReconcileResult> {
    const namespace = obj.metadata?.namespace ?? 'default';
    this.logger.warn({ kind: kind.kind, namespace, name: obj.metadata?.name, reason: problem.reason }, problem.message);
    if (await this.warn(obj, namespace, kind, problem)) this.countWrite('virtual-event');
    return { requeueAfterMs: REFUSAL_RECHECK_MS };
  }

  private async warn(obj: KubernetesObject, namespace: string, kind: { apiVersion: string; kind: string }, problem: Refusal): Promise<boolean> {
    const name = `${obj.metadata?.name ?? ''}.netbroker-${kind.kind.toLowerCase()}-${problem.reason.toLowerCase()}`;
    try {
      await this.core.readNamespacedEvent({ name, namespace });
      return false;
    } catch (e) {
      if (!isNotFound(e)) throw classify(e, `read Event ${namespace}/${name}`);
    }
    const at = this.now();
    try {
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name, namespace },
          involvedObject: { ...kind, name: obj.metadata?.name, namespace, uid: obj.metadata?.uid },
          type: 'Warning',
          reason: problem.reason,
          message: problem.message,
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.component,
          firstTimestamp: at,
          lastTimestamp: at,
          count: 1,
        },
      });
      return true;
    } catch (e) {
      if (statusCode(e) === 409) return false;
      throw classify(e, `create Event ${namespace}/${name}`);
    }
  }
}
