import type { Exposure, Mapping, Peering, Project } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { CommandFailed, ExitCode } from './exit';
import type { Answer } from './http';
import { progressLine, progressOf, waitFor, waitForProject, type Until, type WaitKind } from './wait';

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

/** Polls a script of answers (the last one repeats) on a clock that only sleeping moves; records the If-None-Match of each poll. */
async function waitThrough(answers: Answer[], timeoutMs = 10_000, until: Until = 'ready') {
  let clock = 0;
  let polls = 0;
  const progress: string[] = [];
  const sent: Array<string | undefined> = [];
  const run = waitForProject(
    'web',
    timeoutMs,
    {
      get: async (ifNoneMatch) => {
        sent.push(ifNoneMatch);
        return answers[Math.min(polls++, answers.length - 1)]!;
      },
      now: () => clock,
      sleep: async (ms) => void (clock += ms),
      progress: (line) => void progress.push(line),
    },
    until,
  );
  const outcome = await run.then(
    (p) => (p === undefined ? { gone: true } : { ready: p.status.phase }),
    (e: unknown) => (e instanceof CommandFailed ? { code: e.code, lines: e.lines } : { thrown: e }),
  );
  return { outcome, progress, polls, elapsed: clock, sent };
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

const tagged = (p: Project, etag: string): Answer => ({ kind: 'ok', status: 200, body: p, etag });
const unchanged: Answer = { kind: 'not-modified', status: 304 };
const ok2 = (body: unknown, etag?: string): Answer => ({ kind: 'ok', status: 200, body, ...(etag ? { etag } : {}) });

describe('waitForProject with ETags', () => {
  it("sends the last answer's ETag in If-None-Match and takes a 304 as unchanged", async () => {
    const r = await waitThrough([tagged(pending, '"g1"'), unchanged, unchanged, tagged(ready, '"g2"')]);
    expect(r.outcome).toEqual({ ready: 'Ready' });
    expect(r.sent).toEqual([undefined, '"g1"', '"g1"', '"g1"']);
    expect(r.progress).toEqual(['project web: Pending (CidrAllocated=True EgressReady=Unknown:Pending)', 'project web: Ready (CidrAllocated=True EgressReady=True)']);
  });

  it('times out on a project that stays unchanged, showing its last state', async () => {
    const r = await waitThrough([tagged(pending, '"g1"'), unchanged], 1_000);
    expect(r.outcome).toEqual({ code: ExitCode.waitFailed, lines: ['error: timed out after 1s waiting for project web to be Ready', '  last: project web: Pending (CidrAllocated=True EgressReady=Unknown:Pending)'] });
  });

  it('works the same against an API without ETags: no If-None-Match, every answer read', async () => {
    const r = await waitThrough([ok(pending), ok(pending), ok(ready)]);
    expect(r.outcome).toEqual({ ready: 'Ready' });
    expect(r.sent).toEqual([undefined, undefined, undefined]);
  });

  it('asks for the whole project again after an answer it waited through', async () => {
    const r = await waitThrough([tagged(pending, '"g1"'), problem(503, 'dependency-unavailable'), tagged(ready, '"g2"')]);
    expect(r.sent).toEqual([undefined, '"g1"', undefined]);
    expect(r.outcome).toEqual({ ready: 'Ready' });
  });
});

describe('waitForProject until the project is gone', () => {
  it('succeeds at the 404, showing the project while it is being deleted', async () => {
    const deleting = { ...ready, deletionRequestedAt: T, status: { ...ready.status, phase: 'Deleting' as const } };
    const r = await waitThrough([tagged(deleting, '"g5"'), unchanged, problem(404, 'not-found')], 10_000, 'gone');
    expect(r.outcome).toEqual({ gone: true });
    expect(r.progress).toEqual(['project web: Deleting (CidrAllocated=True EgressReady=True)']);
  });

  it('does not stop at a failed project, and times out with 5', async () => {
    const r = await waitThrough([ok({ ...failed, deletionRequestedAt: T })], 1_000, 'gone');
    expect(r.outcome).toMatchObject({ code: ExitCode.waitFailed, lines: ['error: timed out after 1s waiting for project web to be gone', expect.stringMatching(/^ {2}last: project web: Failed/)] });
  });
});

const exposure = (ready: boolean, reason: string, address?: string): Exposure => ({
  name: 'pg',
  service: 'default/postgres',
  ports: [{ port: 5432, protocol: 'TCP' }],
  pool: 'cloud',
  eipKey: 'pg',
  entryName: 'pg-ext',
  createdAt: T,
  grants: [],
  status: { ready, reason, message: reason, consumers: [], policyPeers: [], ...(address ? { address } : {}) },
});
const peering = (state: Peering['state'], conditions: Peering['conditions'] = []): Peering => ({
  id: 'pr-0123456789ab',
  requester: { tenant: 'acme', project: 'web' },
  accepter: { tenant: 'beta', project: 'db' },
  state,
  conditions,
  createdAt: T,
  createdBy: 'tenant:acme',
});

/** Polls `kind` through a script of answers on a clock only sleeping moves. */
async function waitOn(kind: WaitKind, name: string, answers: Answer[], timeoutMs = 10_000) {
  let clock = 0;
  let polls = 0;
  const progress: string[] = [];
  const outcome = await waitFor(kind, name, timeoutMs, {
    get: async () => answers[Math.min(polls++, answers.length - 1)]!,
    now: () => clock,
    sleep: async (ms) => void (clock += ms),
    progress: (line) => void progress.push(line),
  }).then(
    () => ({ done: true }),
    (e: unknown) => (e instanceof CommandFailed ? { code: e.code, lines: e.lines } : { thrown: e }),
  );
  return { outcome, progress };
}

describe('waiting for an exposure and a peering', () => {
  it('waits for an exposure to have its address', async () => {
    const r = await waitOn('exposure', 'pg', [ok2(exposure(false, 'Pending')), ok2(exposure(true, 'Ready', '203.0.113.7'))]);
    expect(r).toEqual({ outcome: { done: true }, progress: ['exposure pg: not ready (Pending)', 'exposure pg: ready (203.0.113.7)'] });
  });

  it('times out on an exposure nobody reconciles, saying where it stood', async () => {
    const r = await waitOn('exposure', 'pg', [ok2(exposure(false, 'Pending'), '"e1"'), unchanged], 1_000);
    expect(r.outcome).toEqual({ code: ExitCode.waitFailed, lines: ['error: timed out after 1s waiting for exposure pg to be ready', '  last: exposure pg: not ready (Pending)'] });
  });

  it('waits for a mapping until the mapper has made it, through a refusal it rechecks', async () => {
    const m = (ready: boolean, reason: string, message: string): Mapping => ({ id: 'm1', direction: 'fromHost', from: 'db', to: 'default/db', createdAt: T, status: { ready, reason, message } });
    const r = await waitOn('mapping', 'm1', [
      ok2(m(false, 'Pending', 'the mapper has not reconciled this mapping yet')),
      ok2(m(false, 'NotOwned', 'default/db exists\nand is not the mapper\'s')),
      ok2(m(true, 'Mapped', 'mapped')),
    ]);
    expect(r).toEqual({
      outcome: { done: true },
      progress: ['mapping m1: not ready (Pending: the mapper has not reconciled this mapping yet)', "mapping m1: not ready (NotOwned: default/db exists and is not the mapper's)", 'mapping m1: ready'],
    });
    const stuck = await waitOn('mapping', 'm1', [ok2(m(false, 'NotOwned', 'taken'), '"m1"'), unchanged], 1_000);
    expect(stuck.outcome).toEqual({ code: ExitCode.waitFailed, lines: ['error: timed out after 1s waiting for mapping m1 to be ready', '  last: mapping m1: not ready (NotOwned: taken)'] });
  });

  it('waits for a peering through PendingAcceptance and Programming to Active', async () => {
    const programming = peering('Programming', [{ type: 'Programmed', status: 'False', reason: 'NoAgent', message: 'no agent reported', lastTransitionTime: T }]);
    const r = await waitOn('peering', 'pr-0123456789ab', [ok2(peering('PendingAcceptance')), ok2(programming), ok2(peering('Active'))]);
    expect(r).toEqual({
      outcome: { done: true },
      progress: ['peering pr-0123456789ab: PendingAcceptance', 'peering pr-0123456789ab: Programming (Programmed=False:NoAgent)', 'peering pr-0123456789ab: Active'],
    });
  });

  it('ends with 5 at a Failed peering, with the conditions that failed', async () => {
    const broken = peering('Failed', [{ type: 'Programmed', status: 'False', reason: 'Overlap', message: 'the peers overlap', lastTransitionTime: T }]);
    expect((await waitOn('peering', 'pr-0123456789ab', [ok2(broken)])).outcome).toEqual({
      code: ExitCode.waitFailed,
      lines: ['error: peering pr-0123456789ab is Failed', '  Programmed: Overlap: the peers overlap'],
    });
    expect((await waitOn('peering', 'pr-0123456789ab', [problem(404, 'not-found')])).outcome).toEqual({ code: ExitCode.waitFailed, lines: ['error: peering pr-0123456789ab is gone'] });
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
