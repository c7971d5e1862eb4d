import type { CoreV1Api } from '@kubernetes/client-node';
import { classify, isNotFound, statusCode } from '@netbroker/kube';
import { FIELD_MANAGER } from '../virtual-clusters';

export interface Involved {
  kind: string;
  namespace: string;
  name: string;
  uid?: string;
}

/**
 * A Warning Event, one per object and reason (a deterministic name): one already there is not
 * written again. Answers whether it wrote.
 */
export async function warn(core: CoreV1Api, on: Involved, reason: string, message: string, now: Date): Promise<boolean> {
  const { namespace } = on;
  const name = `${on.name}.${FIELD_MANAGER}-${reason.toLowerCase()}`;
  try {
    await core.readNamespacedEvent({ name, namespace });
    return false;
  } catch (e) {
    if (!isNotFound(e)) throw classify(e, `read Event ${namespace}/${name}`);
  }
  try {
    await core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name, namespace },
        involvedObject: { apiVersion: 'v1', kind: on.kind, name: on.name, namespace, ...(on.uid ? { uid: on.uid } : {}) },
        type: 'Warning',
        reason,
        message,
        source: { component: FIELD_MANAGER },
        reportingComponent: FIELD_MANAGER,
        reportingInstance: FIELD_MANAGER,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      },
    });
    return true;
  } catch (e) {
    if (statusCode(e) === 409 || isNotFound(e)) return false;
    throw classify(e, `create Event ${namespace}/${name}`);
  }
}
