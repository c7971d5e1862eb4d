import { CommandFailed, ExitCode } from './exit';
import type { Answer } from './http';

type Failure = Exclude<Answer, { kind: 'ok' }>;

/** The exit code of an answer that is not a success: 404 → 3, another 4xx → 1, 5xx and no answer → 4. */
export function exitCodeOf(failure: Failure): ExitCode {
  if (failure.kind === 'network' || failure.kind === 'not-modified') return ExitCode.unavailable;
  if (failure.status === 404) return ExitCode.notFound;
  if (failure.status >= 400 && failure.status < 500) return ExitCode.refused;
  return ExitCode.unavailable;
}

/**
 * What stderr shows of a failed answer: `error: <code>: <detail>`, then one indented line per
 * field error (`path: message [reason]`), the correlation id of an internal error, and when to
 * retry. Pure.
 */
export function failureLines(failure: Failure): string[] {
  switch (failure.kind) {
    case 'network':
      return [`error: unavailable: ${failure.message}`];
    case 'not-modified':
      return ['error: unexpected-answer: the API answered 304 Not Modified to a request that was not conditional'];
    case 'http':
      return [`error: http-${failure.status}: the API answered ${failure.status} without a problem document${failure.text ? `: ${oneLine(failure.text)}` : ''}`];
    case 'problem': {
      const p = failure.problem;
      const lines = [`error: ${p.code}: ${oneLine(p.detail)}`];
      for (const e of p.errors ?? []) lines.push(`  ${e.path}: ${oneLine(e.message)}${e.reason ? ` [${e.reason}]` : ''}`);
      if (p.correlationId) lines.push(`  correlation id: ${p.correlationId}`);
      if (failure.retryAfter) lines.push(`  retry after ${failure.retryAfter} s`);
      return lines;
    }
  }
}

/** The failure as the end of the command. */
export const failed = (failure: Failure): CommandFailed => new CommandFailed(failureLines(failure), exitCodeOf(failure));

/**
 * Text from the network on one line: control characters (escape sequences, line breaks) and bidi
 * overrides shown as a space, so that a name or a message cannot restyle or rewrite the terminal.
 */
export const oneLine = (s: string): string => s.replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]+/gu, ' ').trim();
