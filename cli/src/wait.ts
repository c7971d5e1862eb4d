import type { Project } from '@netbroker/contracts';
import { CommandFailed, ExitCode } from './exit';
import type { Answer } from './http';
import { failed, failureLines, oneLine } from './problems';

// `create project --wait`: poll GET /v1/projects/{name} every 500 ms until the phase is Ready
// (success) or Failed (exit 5), or the time-out passes (exit 5); `delete project --wait`: until
// the project is gone (404). Each poll after the first sends the ETag of the last answer in
// If-None-Match: a 304 means "unchanged" and carries no body (an API without ETags answers 200
// each time, which works the same). An answer that may pass (a 5xx, a 429, no answer) is waited
// through; a refusal ends the wait.

export const POLL_INTERVAL_MS = 500;

export type Progress = 'ready' | 'failed' | 'pending';

/** Where a project stands for a waiter. A project being deleted will not become Ready. Pure. */
export function progressOf(p: Project): Progress {
  if (p.deletionRequestedAt !== undefined || p.status.phase === 'Deleting' || p.status.phase === 'Failed') return 'failed';
  return p.status.phase === 'Ready' ? 'ready' : 'pending';
}

/** One line: `project web: Pending (CidrAllocated=True EgressReady=Unknown:Pending ...)`. Pure. */
export function progressLine(p: Project): string {
  const conditions = p.status.conditions
    .filter((c) => c.type !== 'Ready')
    .map((c) => `${c.type}=${c.status}${c.status === 'True' ? '' : `:${c.reason}`}`)
    .join(' ');
  return `project ${p.name}: ${p.status.phase}${conditions ? ` (${conditions})` : ''}`;
}

/** Why a project failed: each False condition with its reason and message. Pure. */
export function failureOf(p: Project): string[] {
  const lines = [`error: project ${p.name} is ${p.deletionRequestedAt !== undefined && p.status.phase !== 'Failed' ? 'being deleted' : p.status.phase}`];
  for (const c of p.status.conditions.filter((x) => x.type !== 'Ready' && x.status === 'False')) lines.push(`  ${c.type}: ${c.reason}: ${oneLine(c.message)}`);
  return lines;
}

/** Answers a waiter waits through: the API or the network may come back. */
const passing = (a: Exclude<Answer, { kind: 'ok' }>) => a.kind === 'network' || a.status >= 500 || a.status === 429;

export interface Poller {
  /** GET the project; `ifNoneMatch`: the ETag of the last answer, if it had one. */
  get(ifNoneMatch?: string): Promise<Answer>;
  now(): number;
  sleep(ms: number): Promise<void>;
  progress(line: string): void;
}

/** `1ms`, `2.5s`, `120s`: as a time-out is given. */
const duration = (ms: number) => (ms < 1_000 ? `${ms}ms` : `${Math.round(ms / 100) / 10}s`);

export type Until = 'ready' | 'gone';

/**
 * Polls until Ready (returns the project) or, for `gone`, until the API answers 404 (returns
 * undefined); otherwise throws CommandFailed with exit code 5, or the refusal's.
 */
export async function waitForProject(name: string, timeoutMs: number, poller: Poller, until: Until = 'ready'): Promise<Project | undefined> {
  const deadline = poller.now() + timeoutMs;
  let last = `project ${name}: no answer yet`;
  let etag: string | undefined;
  for (;;) {
    const answer = await poller.get(etag);
    if (answer.kind === 'not-modified') {
      // Unchanged since the last answer, which was judged then: nothing new.
    } else if (answer.kind === 'ok') {
      etag = answer.etag;
      const project = answer.body as Project;
      const line = progressLine(project);
      if (line !== last) poller.progress(line);
      last = line;
      if (until === 'ready') {
        const progress = progressOf(project);
        if (progress === 'ready') return project;
        if (progress === 'failed') throw new CommandFailed(failureOf(project), ExitCode.waitFailed);
      }
    } else if (answer.kind === 'problem' && answer.status === 404) {
      if (until === 'gone') return undefined;
      throw new CommandFailed([`error: project ${name} is gone`], ExitCode.waitFailed);
    } else if (passing(answer)) {
      etag = undefined;
      const line = `${failureLines(answer)[0]!.replace(/^error: /, 'waiting through: ')}`;
      if (line !== last) poller.progress(line);
      last = line;
    } else {
      throw failed(answer);
    }
    if (poller.now() + POLL_INTERVAL_MS > deadline) {
      const goal = until === 'ready' ? 'be Ready' : 'be gone';
      throw new CommandFailed([`error: timed out after ${duration(timeoutMs)} waiting for project ${name} to ${goal}`, `  last: ${last}`], ExitCode.waitFailed);
    }
    await poller.sleep(POLL_INTERVAL_MS);
  }
}
