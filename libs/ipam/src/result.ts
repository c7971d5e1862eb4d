import type { IpamErrorReason } from '@netbroker/contracts';

/** Why an operation was refused: a closed reason plus a sentence naming the offending value. */
export interface IpamError {
  reason: IpamErrorReason;
  message: string;
}

/** Errors are values: bad input never throws. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: IpamError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail(reason: IpamErrorReason, message: string): { ok: false; error: IpamError } {
  return { ok: false, error: { reason, message } };
}
