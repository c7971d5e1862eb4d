import { ApiException } from '@kubernetes/client-node';

/** Worth retrying with backoff: the server was unreachable, overloaded, or the object moved (409). */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

/** Retrying cannot help until the input changes: status Ready=False with `reason`. */
export class TerminalError extends Error {
  override readonly name: string = 'TerminalError';
  constructor(
    readonly reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An object exists where netbroker would write, and netbroker cannot prove it owns it. */
export class NotOwnedError extends TerminalError {
  override readonly name = 'NotOwnedError';
  constructor(readonly kind: string, readonly namespace: string | undefined, readonly objectName: string) {
    super('NotOwned', `${kind} ${namespace ? `${namespace}/` : ''}${objectName} exists and is not managed by netbroker; it is left untouched`);
  }
}

export const isTransient = (e: unknown): e is TransientError => e instanceof TransientError;
export const isTerminal = (e: unknown): e is TerminalError => e instanceof TerminalError;
export const isNotOwned = (e: unknown): e is NotOwnedError => e instanceof NotOwnedError;

export const statusCode = (e: unknown): number | undefined => (e instanceof ApiException ? e.code : undefined);
export const isNotFound = (e: unknown): boolean => statusCode(e) === 404;

/** Kubernetes answers as outcomes: 404 absent, 409 retry, 400/422 terminal, the rest transient. */
export function classify(e: unknown, what: string): Error {
  if (e instanceof TransientError || e instanceof TerminalError) return e;
  const code = statusCode(e);
  if (code === 400 || code === 422 || code === 403) {
    return new TerminalError(code === 403 ? 'Forbidden' : 'Invalid', `${what}: the API server refused it (${code}): ${apiMessage(e)}`, { cause: e });
  }
  return new TransientError(`${what}: ${code ? `HTTP ${code}` : e instanceof Error ? e.message : String(e)}`, { cause: e });
}

/** The message of an API server answer (its Status body), or the error as text. */
export function apiMessage(e: unknown): string {
  if (!(e instanceof ApiException)) return String(e);
  const body: unknown = e.body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  return (body as { message?: string } | undefined)?.message ?? e.message;
}

/** The result of a read, or undefined when the object does not exist (404); other errors are thrown. */
export async function orUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** The fields a 422 Invalid answer names (`details.causes[].field`), looking through a classified error to its cause. */
export function invalidFields(e: unknown): string[] {
  const source = e instanceof ApiException ? e : e instanceof Error && e.cause instanceof ApiException ? e.cause : undefined;
  if (!source || source.code !== 422) return [];
  let body: unknown = source.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return [];
    }
  }
  const causes = (body as { details?: { causes?: Array<{ field?: unknown }> } } | undefined)?.details?.causes ?? [];
  return causes.map((c) => c.field).filter((f): f is string => typeof f === 'string');
}
