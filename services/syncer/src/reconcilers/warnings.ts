import { type CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { classify, isNotFound, statusCode } from '@netbroker/kube';
import type { SyncRefusal } from '@netbroker/translate';

/**
 * Warning Events on virtual objects, one per object and reason (a deterministic name): an Event
 * already there is not written again, so a restart re-reporting the same refusal writes nothing.
 */
export class WarningEvents {
  constructor(
    private readonly core: CoreV1Api,
    private readonly component: string,
    private readonly now: () => Date,
  ) {}

  /** Answers whether an Event was written. */
  async warn(obj: V1Service, problem: SyncRefusal): Promise<boolean> {
    const namespace = obj.metadata?.namespace ?? 'default';
    const name = `${obj.metadata?.name ?? ''}.netbroker-${problem.reason.toLowerCase()}`;
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
          involvedObject: { apiVersion: 'v1', kind: 'Service', name: obj.metadata?.name, namespace, uid: obj.metadata?.uid },
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
