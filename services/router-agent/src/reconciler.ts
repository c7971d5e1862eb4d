import type { RouterAgentStatus } from '@netbroker/contracts';
import type { ReconcileResult } from '@netbroker/controller';
import type { Logger } from '@netbroker/runtime';
import { snapshotOf, type RouterRecords } from '@netbroker/translate';
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
  now: () => Date;
  logger: Logger;
}

/** The agent's one reconcile: the whole plan from the records, this gateway's part applied by difference, then reported. */
export class PlanReconciler {
  constructor(private readonly deps: PlanReconcilerDeps) {}

  async reconcile(): Promise<ReconcileResult> {
    const { records, agent, naming, logger } = this.deps;
    const { specs, unreachable, links } = specsOf(snapshotOf(records()), naming);
    if (unreachable.length > 0) logger.warn({ unreachable }, 'attached private networks this gateway does not reach (PRIVATE_NETWORKS): their routes are left out');
    const result = await agent.apply(specs);
    if (result.changes > 0) logger.info({ routers: specs.length, changes: result.changes }, 'plan applied');
    await this.deps.report(reportOf(this.deps.id, specs, links, result.failed, this.deps.now()));
    if (result.failed.length === 0) return undefined;
    logger.error({ failed: result.failed }, 'router namespaces not as planned; trying again');
    return { requeueAfterMs: RETRY_FAILED_MS };
  }
}
