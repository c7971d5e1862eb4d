import type { RouterAgentStatus } from '@netbroker/contracts';
import type { ReconcileResult } from '@netbroker/controller';
import type { Logger } from '@netbroker/runtime';
import { snapshotOf, type RouterNamespaceSpec, type RouterRecords } from '@netbroker/translate';
import type { RouterAgent } from './agent';
import { reportOf, specsOf, type NamingConfig } from './plan';

/** How long a plan that left a router namespace unfinished waits before it is applied again. */
const RETRY_FAILED_MS = 5_000;

export interface PlanReconcilerDeps {
  records: () => RouterRecords;
  agent: RouterAgent;
  naming: NamingConfig;
  /** This agent's id in its reports. */
  id: string;
  /** Writes this agent's report (the router waits for it before a peering is Active, or gone). */
  report: (status: RouterAgentStatus) => Promise<void>;
  /** A full apply (every namespace read and repaired) at least this often; changes in between apply only what changed. */
  fullEveryMs: number;
  now: () => Date;
  logger: Logger;
}

/**
 * The agent's one reconcile: the whole plan from the records, this gateway's part applied by
 * difference, then reported. A change applies only the router namespaces whose spec changed
 * since they were last applied as planned (a peering touches two, a route one), so its cost does
 * not grow with the number of projects; the first apply, a retry after a failure and the periodic
 * resync read and repair every namespace (drift made by hand is repaired there).
 */
export class PlanReconciler {
  /** Per router namespace, the spec last applied without failure. */
  private readonly applied = new Map<string, string>();
  private lastFullAt: number | undefined;

  constructor(private readonly deps: PlanReconcilerDeps) {}

  async reconcile(): Promise<ReconcileResult> {
    const { records, agent, naming, logger } = this.deps;
    const { specs, unreachable, links } = specsOf(snapshotOf(records()), naming);
    if (unreachable.length > 0) logger.warn({ unreachable }, 'attached private networks this gateway does not reach (PRIVATE_NETWORKS): their routes are left out');
    const now = this.deps.now().getTime();
    const full = this.lastFullAt === undefined || now - this.lastFullAt >= this.deps.fullEveryMs;
    const only = full ? undefined : new Set(specs.filter((s) => this.applied.get(s.netns) !== text(s)).map((s) => s.netns));
    const result = await agent.apply(specs, only);
    if (full) this.lastFullAt = now;
    const failed = new Set(result.failed.map((f) => f.netns));
    const planned = new Set(specs.map((s) => s.netns));
    for (const ns of this.applied.keys()) if (!planned.has(ns)) this.applied.delete(ns);
    for (const s of specs) {
      if (only && !only.has(s.netns)) continue;
      if (failed.has(s.netns)) this.applied.delete(s.netns);
      else this.applied.set(s.netns, text(s));
    }
    if (result.changes > 0) logger.info({ routers: specs.length, applied: only?.size ?? specs.length, changes: result.changes }, 'plan applied');
    // Namespaces not applied this time keep their last outcome: applied ones are as planned, the others failed before.
    const failures = [...result.failed, ...specs.filter((s) => !failed.has(s.netns) && !this.applied.has(s.netns)).map((s) => ({ netns: s.netns, error: 'not applied yet' }))];
    await this.deps.report(reportOf(this.deps.id, specs, links, failures, this.deps.now()));
    if (result.failed.length === 0) return undefined;
    logger.error({ failed: result.failed }, 'router namespaces not as planned; trying again');
    // A retry is a full apply: whatever the failure left half-done is read back.
    this.lastFullAt = undefined;
    return { requeueAfterMs: RETRY_FAILED_MS };
  }
}

const text = (s: RouterNamespaceSpec) => JSON.stringify(s);
