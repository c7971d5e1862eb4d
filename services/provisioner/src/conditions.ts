import type { Condition, ProjectStatus } from '@netbroker/contracts';

export type ConditionType = Condition['type'];
export type Outcome = { status: Condition['status']; reason: string; message: string };

export const ok = (reason: string, message: string): Outcome => ({ status: 'True', reason, message });
export const failed = (reason: string, message: string): Outcome => ({ status: 'False', reason, message });
export const unknown = (reason: string, message: string): Outcome => ({ status: 'Unknown', reason, message });

const ORDER: ConditionType[] = ['CidrAllocated', 'EgressReady', 'NamespaceReady', 'Ready'];

/**
 * The conditions after this reconcile: each type's outcome, keeping the previous
 * lastTransitionTime when its status did not change. Ready is True only when all others are.
 */
export function nextConditions(previous: Condition[], outcomes: Partial<Record<ConditionType, Outcome>>, now: string): Condition[] {
  const steps = ORDER.filter((t) => t !== 'Ready');
  const all = Object.fromEntries(steps.map((t) => [t, outcomes[t] ?? unknown('Pending', 'waiting for an earlier step')])) as Record<ConditionType, Outcome>;
  const blocking = steps.find((t) => all[t].status !== 'True');
  all.Ready = blocking ? failed(all[blocking].status === 'False' ? all[blocking].reason : 'Provisioning', `${blocking}: ${all[blocking].message}`) : ok('Provisioned', 'the project network is ready');
  return ORDER.map((type) => {
    const before = previous.find((c) => c.type === type);
    const outcome = all[type];
    const lastTransitionTime = before && before.status === outcome.status ? before.lastTransitionTime : now;
    return { type, ...outcome, lastTransitionTime };
  });
}

/** Failed when a step failed for good, Ready when all passed, Pending otherwise. */
export function phaseOf(conditions: Condition[]): ProjectStatus['phase'] {
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return 'Ready';
  return conditions.some((c) => c.type !== 'Ready' && c.status === 'False') ? 'Failed' : 'Pending';
}

/** Equal apart from transition times: no status write needed. */
export function sameStatus(a: ProjectStatus | undefined, b: ProjectStatus): boolean {
  if (!a) return false;
  const strip = (s: ProjectStatus) => ({ ...s, conditions: s.conditions.map(({ lastTransitionTime: _t, ...c }) => c) });
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
