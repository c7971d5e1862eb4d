import type { PeeringCondition, PeeringRecord, RouterAgentStatus } from '@netbroker/contracts';
import { sideKey } from '@netbroker/translate';
import type { Backend } from './config';

// How far a peering is programmed, from what each backend reports. Pure: the time is passed in.

/** The last Kube-OVN apply of one project's `Vpc`. */
export type VpcOutcome =
  | { outcome: 'applied'; peerings: readonly string[] }
  | { outcome: 'missing'; vpc: string }
  | { outcome: 'conflict'; message: string }
  | { outcome: 'error'; message: string }
  /** The project is gone: nothing of it is programmed. */
  | { outcome: 'gone' };

export interface BackendView {
  backends: readonly Backend[];
  /** Every agent's last report. */
  agents: readonly RouterAgentStatus[];
  /** By project key. */
  vpcs: ReadonlyMap<string, VpcOutcome>;
  now: number;
  /** Reports older than this are from agents no longer waited for. */
  staleMs: number;
}

type Verdict = { kind: 'programmed' } | { kind: 'waiting' | 'degraded'; reason: string; message: string };

export interface Progress {
  state: 'Programming' | 'Active' | 'Degraded';
  reason: string;
  message: string;
}

const freshAgents = (v: BackendView) => v.agents.filter((a) => v.now - Date.parse(a.appliedAt) <= v.staleMs);
const sides = (p: PeeringRecord) => [sideKey(p.requester), sideKey(p.accepter)];

function linuxVerdict(p: PeeringRecord, v: BackendView): Verdict {
  const agents = freshAgents(v);
  if (agents.length === 0) return { kind: 'waiting', reason: 'NoAgent', message: `no router-agent has reported in the last ${Math.round(v.staleMs / 1000)} s` };
  const keys = sides(p);
  for (const a of agents) {
    const failed = a.failed.find((f) => keys.includes(f.project));
    if (failed) return { kind: 'degraded', reason: 'AgentFailed', message: `router-agent ${a.agent}: ${failed.project}: ${failed.message}` };
  }
  const done = agents.filter((a) => a.peerings.includes(p.id)).length;
  if (done === agents.length) return { kind: 'programmed' };
  return { kind: 'waiting', reason: 'AgentsApplying', message: `${done} of ${agents.length} router-agents have programmed it` };
}

function kubeOvnVerdict(p: PeeringRecord, v: BackendView): Verdict {
  for (const key of sides(p)) {
    const o = v.vpcs.get(key);
    if (!o) return { kind: 'waiting', reason: 'VpcPending', message: `the Vpc of ${key.replace('.', '/')} is not applied yet` };
    if (o.outcome === 'missing') return { kind: 'degraded', reason: 'VpcMissing', message: `Vpc ${o.vpc} (of ${key.replace('.', '/')}) does not exist; the platform creates it` };
    if (o.outcome === 'conflict') return { kind: 'degraded', reason: 'VpcConflict', message: o.message };
    if (o.outcome === 'error') return { kind: 'degraded', reason: 'VpcError', message: o.message };
    if (o.outcome === 'gone' || !o.peerings.includes(p.id)) return { kind: 'waiting', reason: 'VpcPending', message: `the Vpc of ${key.replace('.', '/')} does not have the peering yet` };
  }
  return { kind: 'programmed' };
}

/** A programmed peering's state: Active once every backend has it, Degraded when one reports a failure, else Programming. */
export function peeringProgress(p: PeeringRecord, v: BackendView): Progress {
  const verdicts = v.backends.map((b) => (b === 'linux' ? linuxVerdict(p, v) : kubeOvnVerdict(p, v)));
  const degraded = verdicts.find((x) => x.kind === 'degraded');
  if (degraded && degraded.kind !== 'programmed') return { state: 'Degraded', reason: degraded.reason, message: degraded.message };
  const waiting = verdicts.find((x) => x.kind === 'waiting');
  if (waiting && waiting.kind !== 'programmed') return { state: 'Programming', reason: waiting.reason, message: waiting.message };
  return { state: 'Active', reason: 'Programmed', message: `programmed by ${v.backends.join(' and ')}` };
}

/** Whether a peering being deleted is still programmed anywhere (its link is released only once it is not). */
export function stillProgrammed(p: PeeringRecord, v: BackendView): string | undefined {
  for (const b of v.backends) {
    if (b === 'linux') {
      const a = freshAgents(v).find((x) => x.peerings.includes(p.id));
      if (a) return `router-agent ${a.agent} still has it`;
    } else {
      for (const key of sides(p)) {
        const o = v.vpcs.get(key);
        if (!o || (o.outcome === 'applied' && o.peerings.includes(p.id))) return `the Vpc of ${key.replace('.', '/')} still has it`;
      }
    }
  }
  return undefined;
}

/** The peering's `Programmed` condition for a progress; the transition time is kept while the status holds. */
export function programmedCondition(previous: readonly PeeringCondition[], progress: Progress, now: string): PeeringCondition {
  const status = progress.state === 'Active' ? 'True' : 'False';
  const before = previous.find((c) => c.type === 'Programmed');
  return { type: 'Programmed', status, reason: progress.reason, message: progress.message, lastTransitionTime: before?.status === status ? before.lastTransitionTime : now };
}

/** What the peering reconciler does next with a peering. */
export type PeeringStep =
  | { step: 'none' }
  /** A side's project is gone or being deleted: the peering goes to Deleting. */
  | { step: 'take-down'; project: string }
  /** Deleting, and a backend still has it: look again soon. */
  | { step: 'wait'; where: string }
  /** Deleting, and programmed nowhere: release the link, delete the record. */
  | { step: 'remove' }
  /** The backends' verdict differs from the recorded state or its `Programmed` condition. */
  | { step: 'progress'; progress: Progress };

/** The peering reconciler's decision, pure: from the record, which projects are gone, and what the backends report. */
export function nextPeeringStep(p: PeeringRecord, gone: (projectKey: string) => boolean, v: BackendView): PeeringStep {
  if (p.state !== 'Deleting') {
    const project = sides(p).find(gone);
    if (project !== undefined) return { step: 'take-down', project };
  }
  if (p.state === 'PendingAcceptance' || p.state === 'Failed') return { step: 'none' };
  if (p.state === 'Deleting') {
    const where = p.link ? stillProgrammed(p, v) : undefined;
    return where === undefined ? { step: 'remove' } : { step: 'wait', where };
  }
  const progress = peeringProgress(p, v);
  const before = p.conditions.find((c) => c.type === 'Programmed');
  const status = progress.state === 'Active' ? 'True' : 'False';
  const same = p.state === progress.state && before?.status === status && before.reason === progress.reason && before.message === progress.message;
  return same ? { step: 'none' } : { step: 'progress', progress };
}
