import type { Project } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { CommandFailed, ExitCode } from './exit';
import type { Answer } from './http';
import { progressLine, progressOf, waitForProject } from './wait';

type Phase = Project['status']['phase'];
const T = '2025-06-01T12:00:00Z';
const cond = (type: 'CidrAllocated' | 'EgressReady' | 'NamespaceReady' | 'Ready', status: 'True' | 'False' | 'Unknown', reason: string, message = '') => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: T,
});
const project = (phase: Phase, conditions = [cond('Ready', phase === 'Ready' ? 'True' : 'False', phase)], extra: Partial<Project> = {}): Project => ({
  name: 'web',
  tenant: 'acme',
  uid: 'u',
  generation: 1,
  createdAt: T,
  spec: { egressNetworkType: 'cloud' },
  status: { phase, conditions },
  ...extra,
});
const ok = (p: Project): Answer => ({ kind: 'ok', status: 200, body: p });
const problem = (status: number, code: string): Answer => ({ kind: 'problem', status, problem: { type: code, title: code, status, code: code as never, detail: code } });

/** Polls a script of answers (the last one repeats) on a clock that only sleeping moves. */
async function waitThrough(answers: Answer[], timeoutMs = 10_000) {
  let clock = 0;
  let polls = 0;
  const progress: string[] = [];
  const run = waitForProject('web', timeoutMs, {
    get: async () => answers[Math.min(polls++, answers.length - 1)]!,
    now: () => clock,
    sleep: async (ms) => void (clock += ms),
    progress: (line) => void progress.push(line),
  });
  const outcome = await run.then(
    (p) => ({ ready: p.status.phase }),
    (e: unknown) => (e instanceof CommandFailed ? { code: e.code, lines: e.lines } : { thrown: e }),
  );
  return { outcome, progress, polls, elapsed: clock };
}

const pending = project('Pending', [cond('CidrAllocated', 'True', 'Allocated'), cond('EgressReady', 'Unknown', 'Pending'), cond('Ready', 'False', 'NotReady')]);
const ready = project('Ready', [cond('CidrAllocated', 'True', 'Allocated'), cond('EgressReady', 'True', 'Allocated'), cond('Ready', 'True', 'Ready')]);
const failed = project('Failed', [cond('CidrAllocated', 'True', 'Allocated'), cond('EgressReady', 'False', 'Exhausted', 'pool egress-public has no free address'), cond('Ready', 'False', 'NotReady')]);

describe('waitForProject', () => {
  it('returns once Ready, a progress line each time the state changes, polling every 500 ms', async () => {
    const r = await waitThrough([ok(project('Pending', [])), ok(pending), ok(pending), ok(ready)]);
    expect(r.outcome).toEqual({ ready: 'Ready' });
    expect(r.progress).toEqual([
      'project web: Pending',
      'project web: Pending (CidrAllocated=True EgressReady=Unknown:Pending)',
      'project web: Ready (CidrAllocated=True EgressReady=True)',
    ]);
    expect(r.elapsed).toBe(1_500);
  });

  it('ends with exit code 5 when the project is Failed, saying which condition and why', async () => {
    const r = await waitThrough([ok(pending), ok(failed)]);
    expect(r.outcome).toEqual({ code: ExitCode.waitFailed, lines: ['error: project web is Failed', '  EgressReady: Exhausted: pool egress-public has no free address'] });
  });

  it('ends with exit code 5 when the time is up, showing the last state', async () => {
    const r = await waitThrough([ok(pending)], 2_000);
    expect(r.outcome).toEqual({
      code: ExitCode.waitFailed,
      lines: ['error: timed out after 2s waiting for project web to be Ready', '  last: project web: Pending (CidrAllocated=True EgressReady=Unknown:Pending)'],
    });
    expect(r.elapsed).toBeLessThanOrEqual(2_000);
  });

  it('waits through a 503, a 429 and no answer at all', async () => {
    const r = await waitThrough([problem(503, 'dependency-unavailable'), { kind: 'network', message: 'ECONNREFUSED' }, problem(429, 'rate-limited'), ok(ready)]);
    expect(r.outcome).toEqual({ ready: 'Ready' });
    expect(r.progress.slice(0, 3)).toEqual(['waiting through: dependency-unavailable: dependency-unavailable', 'waiting through: unavailable: ECONNREFUSED', 'waiting through: rate-limited: rate-limited']);
  });

  it('stops at a refusal with its exit code, and at a project gone with 5', async () => {
    expect((await waitThrough([problem(401, 'unauthenticated')])).outcome).toMatchObject({ code: ExitCode.refused });
    expect((await waitThrough([ok(pending), problem(404, 'not-found')])).outcome).toEqual({ code: ExitCode.waitFailed, lines: ['error: project web is gone'] });
  });

  it('does not wait for a project being deleted', async () => {
    const r = await waitThrough([ok({ ...pending, deletionRequestedAt: T })]);
    expect(r.outcome).toEqual({ code: ExitCode.waitFailed, lines: ['error: project web is being deleted'] });
  });
});

describe('progress', () => {
  it.each([
    ['Ready', ready, 'ready'],
    ['Pending', pending, 'pending'],
    ['Failed', failed, 'failed'],
    ['Deleting', project('Deleting'), 'failed'],
  ] as const)('%s is %s', (_p, p, expected) => {
    expect(progressOf(p)).toBe(expected);
  });

  it('leaves Ready out of the line: the phase says it', () => {
    expect(progressLine(failed)).toBe('project web: Failed (CidrAllocated=True EgressReady=False:Exhausted)');
  });
});
