import type { PeeringRecord, RouterAgentStatus } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { nextPeeringStep, peeringProgress, programmedCondition, stillProgrammed, type BackendView, type VpcOutcome } from './progress';

const NOW = Date.parse('2026-12-02T10:00:00Z');
const peering: PeeringRecord = { v: 1, id: 'pr-000000000001', requester: { tenant: 't', project: 'a' }, accepter: { tenant: 't', project: 'b' }, state: 'Programming', conditions: [], createdAt: '', createdBy: '' };
const agent = (name: string, peerings: string[], ageMs = 0, failed: RouterAgentStatus['failed'] = []): RouterAgentStatus => ({ v: 1, agent: name, peerings, routers: [], failed, appliedAt: new Date(NOW - ageMs).toISOString() });
const view = (v: Partial<BackendView>): BackendView => ({ backends: ['linux'], agents: [], vpcs: new Map(), now: NOW, staleMs: 60_000, ...v });
const applied = (...ids: string[]): VpcOutcome => ({ outcome: 'applied', peerings: ids });

describe('peeringProgress', () => {
  it.each([
    ['no agent', view({}), 'Programming', 'NoAgent'],
    ['only a stale agent', view({ agents: [agent('n1', [peering.id], 120_000)] }), 'Programming', 'NoAgent'],
    ['one of two agents', view({ agents: [agent('n1', [peering.id]), agent('n2', [])] }), 'Programming', 'AgentsApplying'],
    ['every fresh agent', view({ agents: [agent('n1', [peering.id]), agent('n2', [peering.id]), agent('old', [], 120_000)] }), 'Active', 'Programmed'],
    ['an agent failing on a side', view({ agents: [agent('n1', [], 0, [{ project: 't.b', message: 'no bridge' }])] }), 'Degraded', 'AgentFailed'],
    ['an agent failing elsewhere', view({ agents: [agent('n1', [peering.id], 0, [{ project: 't.z', message: 'no bridge' }])] }), 'Active', 'Programmed'],
    ['kube-ovn, both Vpcs applied', view({ backends: ['kube-ovn'], vpcs: new Map([['t.a', applied(peering.id)], ['t.b', applied(peering.id)]]) }), 'Active', 'Programmed'],
    ['kube-ovn, one Vpc not yet', view({ backends: ['kube-ovn'], vpcs: new Map([['t.a', applied(peering.id)]]) }), 'Programming', 'VpcPending'],
    ['kube-ovn, a Vpc missing', view({ backends: ['kube-ovn'], vpcs: new Map<string, VpcOutcome>([['t.a', applied(peering.id)], ['t.b', { outcome: 'missing', vpc: 't-b' }]]) }), 'Degraded', 'VpcMissing'],
    ['both backends, kube-ovn done, linux not', view({ backends: ['linux', 'kube-ovn'], vpcs: new Map([['t.a', applied(peering.id)], ['t.b', applied(peering.id)]]) }), 'Programming', 'NoAgent'],
  ])('%s', (_what, v, state, reason) => {
    expect(peeringProgress(peering, v)).toMatchObject({ state, reason });
  });
});

describe('stillProgrammed', () => {
  it.each([
    ['a fresh agent still has it', view({ agents: [agent('n1', [peering.id])] }), true],
    ['only a stale agent has it', view({ agents: [agent('n1', [peering.id], 120_000)] }), false],
    ['no agent has it', view({ agents: [agent('n1', [])] }), false],
    ['a Vpc not reported since', view({ backends: ['kube-ovn'], vpcs: new Map([['t.a', applied()]]) }), true],
    ['both Vpcs without it', view({ backends: ['kube-ovn'], vpcs: new Map<string, VpcOutcome>([['t.a', applied()], ['t.b', { outcome: 'gone' }]]) }), false],
  ])('%s', (_what, v, want) => {
    expect(stillProgrammed(peering, v) !== undefined).toBe(want);
  });
});

describe('programmedCondition', () => {
  it('keeps the transition time while the status holds', () => {
    const first = programmedCondition([], { state: 'Programming', reason: 'NoAgent', message: '' }, 't1');
    expect(programmedCondition([first], { state: 'Degraded', reason: 'AgentFailed', message: '' }, 't2').lastTransitionTime).toBe('t1');
    expect(programmedCondition([first], { state: 'Active', reason: 'Programmed', message: '' }, 't3')).toMatchObject({ status: 'True', lastTransitionTime: 't3' });
  });
});

describe('nextPeeringStep', () => {
  const link = { cidr: '198.19.0.0/30', requester: '198.19.0.1/30', accepter: '198.19.0.2/30', allocated: true };
  const none = () => false;
  const programmed = view({ agents: [agent('n1', [peering.id])] });
  const activeCondition = programmedCondition([], { state: 'Active', reason: 'Programmed', message: 'programmed by linux' }, 't0');
  it.each([
    ['a side gone: taken down', { ...peering, link }, (k: string) => k === 't.b', programmed, { step: 'take-down', project: 't.b' }],
    ['pending: nothing', { ...peering, state: 'PendingAcceptance' as const }, none, programmed, { step: 'none' }],
    ['deleting, still programmed: wait', { ...peering, state: 'Deleting' as const, link }, none, programmed, { step: 'wait', where: 'router-agent n1 still has it' }],
    ['deleting, gone everywhere: remove', { ...peering, state: 'Deleting' as const, link }, none, view({ agents: [agent('n1', [])] }), { step: 'remove' }],
    ['deleting without a link: remove', { ...peering, state: 'Deleting' as const }, (k: string) => k === 't.a', programmed, { step: 'remove' }],
    ['programmed now: progress to Active', { ...peering, link }, none, programmed, { step: 'progress', progress: { state: 'Active', reason: 'Programmed', message: 'programmed by linux' } }],
    ['already recorded: nothing', { ...peering, state: 'Active' as const, link, conditions: [activeCondition] }, none, programmed, { step: 'none' }],
  ])('%s', (_what, p, gone, v, want) => {
    expect(nextPeeringStep(p, gone, v)).toEqual(want);
  });
});
