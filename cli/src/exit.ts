/** The exit codes scripts rely on (README, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** The API refused the request (a 4xx other than 404): the problem is on stderr. */
  refused: 1,
  /** The command line is wrong (unknown command or flag, a missing or malformed value), or no context is set. */
  usage: 2,
  /** 404: the object does not exist, or belongs to another tenant (which looks the same). */
  notFound: 3,
  /** The API did not answer usefully: network error, time-out, 5xx. Retrying later may help. */
  unavailable: 4,
  /** `--wait` ended without success: the object became Failed, went away, or the time-out passed. */
  waitFailed: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake on the command line: exit code 2, with the message and a hint at `--help`. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The end of a command that did not succeed: what stderr shows, and the exit code. */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
  constructor(
    readonly lines: string[],
    readonly code: ExitCode,
  ) {
    super(lines[0] ?? 'failed');
  }
}

export const isUsageError = (e: unknown): e is UsageError => e instanceof UsageError;
export const isCommandFailed = (e: unknown): e is CommandFailed => e instanceof CommandFailed;
