import type { Condition, Exposure, Mapping, Peering, Project } from '@netbroker/contracts';
import { CommandFailed, ExitCode } from './exit';
import type { Answer } from './http';
import { failed, failureLines, oneLine } from './problems';

// `--wait`: poll the object's GET every 500 ms until it is where the command wanted it — a
// project Ready (create) or gone (delete: 404), an exposure or a mapping ready, a peering Active — or it
// failed (exit 5), or the time-out passes (exit 5). Each poll after the first sends the ETag of
// the last answer in If-None-Match: a 304 means "unchanged" and carries no body (an API without
// ETags answers 200 each time, which works the same). An answer that may pass (a 5xx, a 429, no
// answer) is waited through; a refusal ends the wait.

export const POLL_INTERVAL_MS = 500;

export type Progress = 'ready' | 'failed' | 'pending';

/** Where a project stands for a waiter. A project being deleted will not become Ready. Pure. */
export function progressOf(p: Project): Progress {
  if (p.deletionRequestedAt !== undefined || p.status.phase === 'Deleting' || p.status.phase === 'Failed') return 'failed';
  return p.status.phase === 'Ready' ? 'ready' : 'pending';
}

/** `CidrAllocated=True EgressReady=Unknown:Pending`: each condition but Ready, with its reason when not True. */
const conditionsText = (conditions: Array<Pick<Condition, 'status' | 'reason'> & { type: string }>) =>
  conditions
    .filter((c) => c.type !== 'Ready')
    .map((c) => `${c.type}=${c.status}${c.status === 'True' ? '' : `:${c.reason}`}`)
    .join(' ');

/** One line: `project web: Pending (CidrAllocated=True EgressReady=Unknown:Pending ...)`. Pure. */
export function progressLine(p: Project): string {
  const conditions = conditionsText(p.status.conditions);
  return `project ${p.name}: ${p.status.phase}${conditions ? ` (${conditions})` : ''}`;
}

/** Why a project failed: each False condition with its reason and message. Pure. */
export function failureOf(p: Project): string[] {
  const lines = [`error: project ${p.name} is ${p.deletionRequestedAt !== undefined && p.status.phase !== 'Failed' ? 'being deleted' : p.status.phase}`];
  for (const c of p.status.conditions.filter((x) => x.type !== 'Ready' && x.status === 'False')) lines.push(`  ${c.type}: ${c.reason}: ${oneLine(c.message)}`);
  return lines;
}

/** What a waiter needs to know of one kind of object: where it stands, in a line, and why it failed. */
interface Judge<T> {
  /** `Ready`, `Active`: what the time-out message says it was waiting for. */
  goal: string;
  progress(o: T): Progress;
  line(o: T): string;
  failure(o: T): string[];
}

const project: Judge<Project> = { goal: 'Ready', progress: progressOf, line: progressLine, failure: failureOf };

/** An exposure is ready once the exposer has its address; nothing makes it fail for good. */
const exposure: Judge<Exposure> = {
  goal: 'ready',
  progress: (e) => (e.status.ready ? 'ready' : 'pending'),
  line: (e) => `exposure ${e.name}: ${e.status.ready ? `ready (${e.status.address ?? e.status.eip ?? 'no address'})` : `not ready (${e.status.reason})`}`,
  failure: () => [],
};

/** A mapping is ready once the mapper has made its Service; its refusals (NotOwned, …) are rechecked, so none is final. */
const mapping: Judge<Mapping> = {
  goal: 'ready',
  progress: (m) => (m.status.ready ? 'ready' : 'pending'),
  line: (m) => `mapping ${m.id}: ${m.status.ready ? 'ready' : `not ready (${m.status.reason}: ${oneLine(m.status.message)})`}`,
  failure: () => [],
};

/** A peering waits for the other tenant (PendingAcceptance), then its backends (Programming) until Active. */
const peering: Judge<Peering> = {
  goal: 'Active',
  progress: (p) => (p.state === 'Active' ? 'ready' : p.state === 'Failed' || p.state === 'Deleting' ? 'failed' : 'pending'),
  line: (p) => {
    const conditions = conditionsText(p.conditions);
    return `peering ${p.id}: ${p.state}${conditions ? ` (${conditions})` : ''}`;
  },
  failure: (p) => [
    `error: peering ${p.id} is ${p.state}`,
    ...p.conditions.filter((c) => c.status === 'False').map((c) => `  ${c.type}: ${c.reason}: ${oneLine(c.message)}`),
  ],
};

export const judges = { project, exposure, mapping, peering } as const;
export type WaitKind = keyof typeof judges;

/** Answers a waiter waits through: the API or the network may come back. */
const passing = (a: Exclude<Answer, { kind: 'ok' }>) => a.kind === 'network' || a.status >= 500 || a.status === 429;

export interface Poller {
  /** GET the object; `ifNoneMatch`: the ETag of the last answer, if it had one. */
  get(ifNoneMatch?: string): Promise<Answer>;
  now(): number;
  sleep(ms: number): Promise<void>;
  progress(line: string): void;
}

/** `1ms`, `2.5s`, `120s`: as a time-out is given. */
const duration = (ms: number) => (ms < 1_000 ? `${ms}ms` : `${Math.round(ms / 100) / 10}s`);

export type Until = 'ready' | 'gone';

/**
 * Polls until the object is where the judge of its kind says it is done (returns it) or, for
 * `gone`, until the API answers 404 (returns undefined); otherwise throws CommandFailed with exit
 * code 5, or the refusal's.
 */
export async function waitFor(kind: WaitKind, name: string, timeoutMs: number, poller: Poller, until: Until = 'ready'): Promise<unknown> {
  const judge = judges[kind] as Judge<unknown>;
  const deadline = poller.now() + timeoutMs;
  let last = `${kind} ${name}: no answer yet`;
  let etag: string | undefined;
  for (;;) {
    const answer = await poller.get(etag);
    if (answer.kind === 'not-modified') {
      // Unchanged since the last answer, which was judged then: nothing new.
    } else if (answer.kind === 'ok') {
      etag = answer.etag;
      const line = judge.line(answer.body);
      if (line !== last) poller.progress(line);
      last = line;
      if (until === 'ready') {
        const progress = judge.progress(answer.body);
        if (progress === 'ready') return answer.body;
        if (progress === 'failed') throw new CommandFailed(judge.failure(answer.body), ExitCode.waitFailed);
      }
    } else if (answer.kind === 'problem' && answer.status === 404) {
      if (until === 'gone') return undefined;
      throw new CommandFailed([`error: ${kind} ${name} is gone`], ExitCode.waitFailed);
    } else if (passing(answer)) {
      // After an outage, ask for the whole object again.
      etag = undefined;
      const line = `${failureLines(answer)[0]!.replace(/^error: /, 'waiting through: ')}`;
      if (line !== last) poller.progress(line);
      last = line;
    } else {
      throw failed(answer);
    }
    if (poller.now() + POLL_INTERVAL_MS > deadline) {
      const goal = until === 'ready' ? `be ${judge.goal}` : 'be gone';
      throw new CommandFailed([`error: timed out after ${duration(timeoutMs)} waiting for ${kind} ${name} to ${goal}`, `  last: ${last}`], ExitCode.waitFailed);
    }
    await poller.sleep(POLL_INTERVAL_MS);
  }
}

/** A project: Ready (returns it) or, for `gone`, deleted (returns undefined). */
export const waitForProject = (name: string, timeoutMs: number, poller: Poller, until: Until = 'ready') => waitFor('project', name, timeoutMs, poller, until) as Promise<Project | undefined>;
