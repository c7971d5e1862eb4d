import { routerSubjects, type PeeringRecord } from '@netbroker/contracts';
import type { ReconcileResult } from '@netbroker/controller';
import type { FieldApplier } from '@netbroker/kube';
import type { Logger } from '@netbroker/runtime';
import { compile, kubeOvnVpc, kubeOvnVpcFields, kubeOvnVpcRef } from '@netbroker/translate';
import type { RouterCommands } from './commands';
import type { Backend } from './config';
import { nextPeeringStep, programmedCondition, type BackendView, type VpcOutcome } from './progress';
import type { RouterState } from './state';

/** How often a peering waiting for the backends (being deleted) is looked at again besides the agents' reports. */
const DELETE_POLL_MS = 500;
const ACTOR = 'router';

export interface PeeringReconcilerDeps {
  state: RouterState;
  commands: RouterCommands;
  backends: readonly Backend[];
  vpcs: ReadonlyMap<string, VpcOutcome>;
  agentStaleMs: number;
  now: () => Date;
  logger: Logger;
}

/**
 * One peering: taken down when a side's project goes, its state kept to what the backends report
 * (Programming → Active | Degraded), and once Deleting and programmed nowhere, its link released
 * and its record deleted. Writes go through the commands' serial order.
 */
export class PeeringReconciler {
  constructor(private readonly deps: PeeringReconcilerDeps) {}

  private view(): BackendView {
    const { state, backends, vpcs, agentStaleMs, now } = this.deps;
    return { backends, agents: [...state.sources.agents.entries()].map(([, a]) => a), vpcs, now: now().getTime(), staleMs: agentStaleMs };
  }

  reconcile(id: string): Promise<ReconcileResult> {
    return this.deps.commands.serial.run(() => this.step(id));
  }

  private async step(id: string): Promise<ReconcileResult> {
    const { state, commands } = this.deps;
    const gone = (key: string) => state.sources.statuses.get(key) === undefined || state.deleting().has(key);
    // Decided on the followed view first (every agent report looks at every peering: no read
    // each); the record is read from the store, for its revision, only when there is a write.
    const seen = state.sources.peerings.get(id);
    const first = seen ? nextPeeringStep(seen, gone, this.view()) : { step: 'none' as const };
    if (first.step === 'none') return undefined;
    if (first.step === 'wait') return { requeueAfterMs: DELETE_POLL_MS };
    const found = await commands.store.peerings.get(id);
    if (!found) return undefined;
    const p = found.value;
    const next = nextPeeringStep(p, gone, this.view());
    switch (next.step) {
      case 'none':
        return undefined;
      case 'wait':
        return { requeueAfterMs: DELETE_POLL_MS };
      case 'take-down':
        await commands.setState(found, 'Deleting', 'ProjectDeleted', `project ${next.project.replace('.', '/')} is being deleted`, ACTOR);
        return { requeueAfterMs: 0 };
      case 'remove':
        await commands.releaseLink(p);
        await commands.store.peerings.delete(id, found.revision);
        await state.sources.peerings.current();
        await commands.fact(routerSubjects.peeringDeleted, p, ACTOR, found.revision);
        return undefined;
      case 'progress': {
        const condition = programmedCondition(p.conditions, next.progress, this.deps.now().toISOString());
        const record: PeeringRecord = { ...p, state: next.progress.state, conditions: [...p.conditions.filter((c) => c.type !== 'Programmed'), condition] };
        const revision = await commands.store.peerings.update(id, record, found.revision);
        await state.sources.peerings.waitFor(revision);
        if (p.state !== next.progress.state) await commands.fact(routerSubjects.peeringStateChanged, record, ACTOR, revision, next.progress.reason);
        return undefined;
      }
    }
  }
}

export interface VpcReconcilerDeps {
  state: RouterState;
  applier: Pick<FieldApplier, 'apply'>;
  /** The `Vpc` of a project. */
  vpcName: (tenant: string, project: string) => string;
  /** What each project's last apply did, read by the peering reconciler. */
  outcomes: Map<string, VpcOutcome>;
  /** Called with a project whose outcome changed (its peerings are looked at again). */
  changed: (key: string) => void;
  logger: Logger;
}

/**
 * The Kube-OVN backend, one project at a time: its `Vpc`'s `vpcPeerings` and `staticRoutes` from
 * the same plan the agents compile, applied as owned fields (never forced, never creating).
 */
export class VpcReconciler {
  constructor(private readonly deps: VpcReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { state, applier, vpcName, changed, logger } = this.deps;
    const plan = compile(state.snapshot());
    const byKey = new Map(plan.projects.map((p) => [p.key, p]));
    const mine = byKey.get(key);
    let outcome: VpcOutcome;
    if (!mine) {
      outcome = { outcome: 'gone' };
    } else {
      const name = vpcName(mine.tenant, mine.project);
      try {
        const applied = await applier.apply(kubeOvnVpcRef(name), kubeOvnVpcFields(kubeOvnVpc(mine, vpcName, byKey)));
        outcome = applied.outcome === 'applied' ? { outcome: 'applied', peerings: mine.links.map((l) => l.peering) } : applied.outcome === 'missing' ? { outcome: 'missing', vpc: name } : { outcome: 'conflict', message: applied.message };
      } catch (err) {
        logger.warn({ err, project: key, vpc: name }, 'applying the Vpc failed');
        outcome = { outcome: 'error', message: err instanceof Error ? err.message : String(err) };
        this.record(key, outcome);
        throw err;
      }
    }
    if (this.record(key, outcome)) changed(key);
    return undefined;
  }

  /** Stores an outcome; true when it changed. */
  private record(key: string, outcome: VpcOutcome): boolean {
    const before = this.deps.outcomes.get(key);
    this.deps.outcomes.set(key, outcome);
    return JSON.stringify(before) !== JSON.stringify(outcome);
  }
}

/** The Vpc name template: `{tenant}`, `{project}` replaced. */
export const vpcNamer = (template: string) => (tenant: string, project: string) => template.replaceAll('{tenant}', tenant).replaceAll('{project}', project);

/**
 * A project gone or being deleted loses its routes record (attachments with it), so a project
 * re-created under the name starts with none. Its peerings go by the peering reconciler.
 */
export async function forgetDeletedProject(key: string, state: RouterState, commands: RouterCommands): Promise<ReconcileResult> {
  return commands.serial.run(async () => {
    if (state.sources.projects.get(key) !== undefined && !state.deleting().has(key)) return undefined;
    const found = await commands.store.routes.get(key);
    if (!found) return undefined;
    await commands.store.routes.delete(key, found.revision);
    await state.sources.routes.current();
    return undefined;
  });
}
