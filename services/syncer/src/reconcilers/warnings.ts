import type { KubernetesObject } from '@kubernetes/client-node';
import type { EventRecorder } from '@netbroker/controller';

export interface ObjectKind {
  apiVersion: string;
  kind: string;
}

const SERVICE: ObjectKind = { apiVersion: 'v1', kind: 'Service' };

/**
 * Warning Events on virtual objects through the runtime's recorder: one per object, kind, reason
 * and `variant` (e.g. the annotation keys concerned, so a new key is reported even when an older
 * Event has the same reason); re-reporting writes nothing.
 */
export class WarningEvents {
  constructor(private readonly recorder: EventRecorder) {}

  /** Answers whether an Event was written. */
  warn(obj: KubernetesObject, problem: { reason: string; message: string }, kind: ObjectKind = SERVICE, variant?: string): Promise<boolean> {
    return this.recorder.record({ ...kind, metadata: obj.metadata ?? {} }, { type: 'Warning', reason: problem.reason, message: problem.message, ...(variant === undefined ? {} : { variant }) });
  }
}
