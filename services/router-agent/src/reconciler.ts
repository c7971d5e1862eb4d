import type { ReconcileResult } from '@netbroker/controller';
import type { Logger } from '@netbroker/runtime';
import type { RouterAgent } from './agent';
import { snapshotOf, specsOf, type NamingConfig, type RouterRecords } from './plan';

/** How long a plan that left a router namespace unfinished waits before it is applied again. */
const RETRY_FAILED_MS = 5_000;

/** The agent's one reconcile: the whole plan from the records, this gateway's part applied by difference. */
export class PlanReconciler {
  constructor(
    private readonly deps: { records: () => RouterRecords; agent: RouterAgent; naming: NamingConfig; logger: Logger },
  ) {}

  async reconcile(): Promise<ReconcileResult> {
    const { records, agent, naming, logger } = this.deps;
    const { specs, unreachable } = specsOf(snapshotOf(records()), naming);
    if (unreachable.length > 0) logger.warn({ unreachable }, 'attached private networks this gateway does not reach (PRIVATE_NETWORKS): their routes are left out');
    const result = await agent.apply(specs);
    if (result.changes > 0) logger.info({ routers: specs.length, changes: result.changes }, 'plan applied');
    if (result.failed.length === 0) return undefined;
    logger.error({ failed: result.failed }, 'router namespaces not as planned; trying again');
    return { requeueAfterMs: RETRY_FAILED_MS };
  }
}
