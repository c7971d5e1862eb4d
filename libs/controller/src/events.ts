import { createHash } from 'node:crypto';
import type { CoreV1Api, KubernetesObject } from '@kubernetes/client-node';
import { classify, isNotFound, statusCode } from '@netbroker/kube';
import { systemClock, type Clock } from './clock';

export interface EventSubject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; uid?: string };
}

export interface EventNote {
  type: 'Warning' | 'Normal';
  /** PascalCase, machine-readable: `HostObjectNotOwned`, `AnnotationDropped`… */
  reason: string;
  message: string;
  /** Gives each value an Event of its own (e.g. the annotation keys concerned); never written out. */
  variant?: string;
}

const hash = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);
const MAX_NAME = 253;

/**
 * The one naming rule: `<object>.<component>-<kind>-<reason>[-<variant hash>]`, lower case. The
 * name is the aggregation key — one Event per object, kind, reason and variant — so re-reporting
 * the same thing (every reconcile, every restart) writes nothing. A name too long ends in a hash.
 */
export function eventName(component: string, on: EventSubject, note: Pick<EventNote, 'reason' | 'variant'>): string {
  const base = `${on.metadata?.name ?? ''}.${component}-${on.kind}-${note.reason}`.toLowerCase();
  const full = note.variant === undefined ? base : `${base}-${hash(note.variant, 10)}`;
  return full.length <= MAX_NAME ? full : `${full.slice(0, MAX_NAME - 17)}-${hash(full, 16)}`;
}

/**
 * Records Events on one cluster (host or virtual) as one component. Names already written are
 * remembered (bounded), so a repeated report costs no request at all.
 */
export class EventRecorder {
  /** Event id → until when it is taken as present (the API server drops Events after an hour by default). */
  private readonly known = new Map<string, number>();
  private readonly clock: Clock;
  private readonly remember: number;
  private readonly rememberMs: number;
  private readonly onWrite: (() => void) | undefined;

  constructor(
    private readonly core: CoreV1Api,
    readonly component: string,
    opts: { clock?: Clock; remember?: number; rememberMs?: number; onWrite?: () => void } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.remember = opts.remember ?? 10_000;
    this.rememberMs = opts.rememberMs ?? 10 * 60_000;
    this.onWrite = opts.onWrite;
  }

  warn(on: EventSubject | KubernetesObject, reason: string, message: string, variant?: string): Promise<boolean> {
    return this.record(on as EventSubject, { type: 'Warning', reason, message, ...(variant === undefined ? {} : { variant }) });
  }

  /** Answers whether an Event was written. */
  async record(on: EventSubject, note: EventNote): Promise<boolean> {
    const namespace = on.metadata?.namespace ?? 'default';
    const name = eventName(this.component, on, note);
    const id = `${namespace}/${name}`;
    if ((this.known.get(id) ?? 0) > this.clock.now()) return false;
    try {
      await this.core.readNamespacedEvent({ name, namespace });
      this.remembered(id);
      return false;
    } catch (e) {
      if (!isNotFound(e)) throw classify(e, `read Event ${id}`);
    }
    const at = new Date(this.clock.now());
    try {
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { name, namespace },
          involvedObject: { apiVersion: on.apiVersion, kind: on.kind, name: on.metadata?.name, namespace, ...(on.metadata?.uid ? { uid: on.metadata.uid } : {}) },
          type: note.type,
          reason: note.reason,
          message: note.message,
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: this.component,
          firstTimestamp: at,
          lastTimestamp: at,
          count: 1,
        },
      });
    } catch (e) {
      // 409: written meanwhile (another replica); 404: the namespace is going away.
      if (statusCode(e) === 409 || isNotFound(e)) return false;
      throw classify(e, `create Event ${id}`);
    }
    this.remembered(id);
    this.onWrite?.();
    return true;
  }

  private remembered(id: string): void {
    this.known.delete(id);
    this.known.set(id, this.clock.now() + this.rememberMs);
    if (this.known.size > this.remember) this.known.delete(this.known.keys().next().value!);
  }
}
