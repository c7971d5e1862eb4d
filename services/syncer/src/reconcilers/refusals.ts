import type { KubernetesObject } from '@kubernetes/client-node';
import { SYNC_ISSUE_KEYS, SYNC_ISSUES_LISTED, type SyncIssue } from '@netbroker/contracts';
import type { Logger } from '@netbroker/runtime';
import { describeFindings, type AnnotationFinding, type SyncRefusal } from '@netbroker/translate';
import type { CountWrite } from '../writes';
import type { ObjectKind, WarningEvents } from './warnings';

/** Why an Ingress or NetworkPolicy is not synced: the translator's reasons and the syncer's own. */
export type Refusal =
  | SyncRefusal
  | { reason: 'HostnameClaimed' | 'HostnameInUse' | 'HostnameNotAllowed' | 'IngressClassNotOffered'; message: string; keys?: string[] };

/** A refused object is looked at again this often (the conflicting object may go away). */
export const REFUSAL_RECHECK_MS = 30_000;

/**
 * A reconcile's outcome: `refused` set when the virtual object was refused (it is looked at again
 * later), `dropped` the annotation keys it was synced without.
 */
export type SyncResult = void | { requeueAfterMs?: number; refused?: { reason: string; keys?: string[] }; dropped?: string[] };

/** The result of a refusal: looked at again later, and counted as a conflict. */
export const refused = (problem: { reason: string; keys?: string[] }): SyncResult => ({
  requeueAfterMs: REFUSAL_RECHECK_MS,
  refused: problem.keys ? { reason: problem.reason, keys: problem.keys } : { reason: problem.reason },
});

/** What the work queue needs of a result: only when to look again. */
export const requeueOf = (result: SyncResult): { requeueAfterMs: number } | undefined =>
  result?.requeueAfterMs === undefined ? undefined : { requeueAfterMs: result.requeueAfterMs };

interface Recorded {
  kind: string;
  namespace: string;
  name: string;
  refused?: { reason: string; keys?: string[] };
  dropped?: string[];
}

const issueOf = (r: Recorded, reason: string, keys: string[] | undefined): SyncIssue => ({
  kind: r.kind,
  namespace: r.namespace,
  name: r.name,
  reason,
  ...(keys && keys.length > 0 ? { keys: keys.slice(0, SYNC_ISSUE_KEYS) } : {}),
});

/**
 * The virtual objects (any kind) currently refused (blocked by a host object netbroker does not
 * own, or by policy) or synced without some annotations, as `<kind>/<namespace>/<name>`: recorded
 * at each reconcile, forgotten when the object syncs cleanly or is gone. A reconcile that fails
 * (an error, retried) leaves its entry as it was.
 */
export class Conflicts {
  private readonly entries = new Map<string, Recorded>();

  /** Records the outcome of reconciling `key` (`<namespace>/<name>`, or `<name>` for cluster-scoped kinds). */
  record(kind: string, key: string, result: SyncResult): void {
    const slash = key.indexOf('/');
    const [namespace, name] = slash < 0 ? ['', key] : [key.slice(0, slash), key.slice(slash + 1)];
    const entry = `${kind}/${namespace}/${name}`;
    if (result && (result.refused || result.dropped?.length)) {
      this.entries.set(entry, { kind, namespace, name, refused: result.refused, dropped: result.refused ? undefined : result.dropped });
    } else this.entries.delete(entry);
  }

  private sorted(): [string, Recorded][] {
    return [...this.entries].sort(([a], [b]) => (a < b ? -1 : 1));
  }

  /** How many objects are refused (the status's `conflicts`). */
  get size(): number {
    let n = 0;
    for (const r of this.entries.values()) if (r.refused) n++;
    return n;
  }

  /** The refused entries, sorted (for logs and tests). */
  list(): string[] {
    return this.sorted()
      .filter(([, r]) => r.refused)
      .map(([entry]) => entry);
  }

  /** The first refused objects with their reasons, for the registration status. */
  refused(limit = SYNC_ISSUES_LISTED): SyncIssue[] {
    return this.sorted().flatMap(([, r]) => (r.refused ? [issueOf(r, r.refused.reason, r.refused.keys)] : [])).slice(0, limit);
  }

  /** The first objects synced without some annotations, with the keys dropped. */
  dropped(limit = SYNC_ISSUES_LISTED): SyncIssue[] {
    return this.sorted().flatMap(([, r]) => (r.dropped ? [issueOf(r, 'AnnotationDropped', r.dropped)] : [])).slice(0, limit);
  }

  get droppedCount(): number {
    let n = 0;
    for (const r of this.entries.values()) if (r.dropped) n++;
    return n;
  }
}

/**
 * Reports annotations an object was synced without: one Warning Event per set of keys, naming
 * each key and why (never a value), written once. The result records the keys for the status.
 */
export async function reportDropped(
  events: WarningEvents,
  obj: KubernetesObject,
  kind: ObjectKind,
  dropped: readonly AnnotationFinding[],
  countWrite: CountWrite,
  logger: Logger,
): Promise<SyncResult> {
  const keys = dropped.map((f) => f.key);
  const message = `annotations not passed to the host ${kind.kind}: ${describeFindings(dropped)}`;
  if (await events.warn(obj, { reason: 'AnnotationDropped', message }, kind, keys.join('\n'))) {
    countWrite('virtual-event');
    logger.warn({ kind: kind.kind, namespace: obj.metadata?.namespace, name: obj.metadata?.name, reason: 'AnnotationDropped', keys }, message);
  }
  return { dropped: keys };
}

/** Refusals of Ingresses and NetworkPolicies: logged, reported as a Warning Event, looked at again later. */
export class KindWarnings {
  constructor(
    private readonly events: WarningEvents,
    private readonly countWrite: CountWrite,
    private readonly logger: Logger,
  ) {}

  /** Logs and reports `problem` on `obj`; the object is looked at again later. Refused annotations get an Event per set of keys. */
  async refuse(obj: KubernetesObject, kind: ObjectKind, problem: Refusal): Promise<SyncResult> {
    const namespace = obj.metadata?.namespace ?? 'default';
    this.logger.warn({ kind: kind.kind, namespace, name: obj.metadata?.name, reason: problem.reason }, problem.message);
    if (await this.events.warn(obj, problem, kind, problem.keys?.join('\n'))) this.countWrite('virtual-event');
    return refused(problem);
  }

  /** Reports annotations `obj` was synced without. */
  drop(obj: KubernetesObject, kind: ObjectKind, dropped: readonly AnnotationFinding[]): Promise<SyncResult> {
    return reportDropped(this.events, obj, kind, dropped, this.countWrite, this.logger);
  }
}
