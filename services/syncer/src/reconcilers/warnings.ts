import { createHash } from 'node:crypto';
import type { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';
import { classify, isNotFound, statusCode } from '@netbroker/kube';

export interface ObjectKind {
  apiVersion: string;
  kind: string;
}

const SERVICE: ObjectKind = { apiVersion: 'v1', kind: 'Service' };

/**
 * Warning Events on virtual objects, one per object, kind and reason (a deterministic name): an
 * Event already there is not written again, so a restart re-reporting a refusal writes nothing.
 * A `variant` (e.g. the annotation keys concerned) gives each of its values an Event of its own,
 * so a new key is reported even when an older Event has the same reason.
 */
export class WarningEvents {
  constructor(
    private readonly core: CoreV1Api,
    private readonly component: string,
    private readonly now: () => Date,
  ) {}

  /** Answers whether an Event was written. */
  async warn(obj: KubernetesObject, problem: { reason: string; message: string }, kind: ObjectKind = SERVICE, variant?: string): Promise<boolean> {
    const namespace = obj.metadata?.namespace ?? 'default';
    const tag = kind.kind === SERVICE.kind ? problem.reason : `${kind.kind}-${problem.reason}`;
    const suffix = variant === undefined ? '' : `-${createHash('sha256').update(variant).digest('hex').slice(0, 10)}`;
    const name = `${obj.metadata?.name ?? ''}.netbroker-${tag.toLowerCase()}${suffix}`;
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
