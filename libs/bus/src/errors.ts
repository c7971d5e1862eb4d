import { RequestError, TimeoutError } from '@nats-io/transport-node';
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

/** A KV compare-and-set lost: the key exists (create) or moved past the expected revision (update). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  constructor(readonly key: string, options?: ErrorOptions) {
    super(`conflict on key ${key}: it exists or changed since it was read`, options);
  }
}

/** A request got no reply in time, or nobody listens on the subject. */
export class RequestFailedError extends Error {
  override readonly name = 'RequestFailedError';
  constructor(
    readonly subject: string,
    readonly kind: 'timeout' | 'no-responders',
    options?: ErrorOptions,
  ) {
    super(kind === 'timeout' ? `no reply on ${subject} in time` : `no service listens on ${subject}`, options);
  }
}

/**
 * A message larger than the server's max payload (`max_payload`, 1 MB by default): it was not sent.
 * Thrown at once by `request()` for a request; a service answers it for a reply (see `serve`).
 */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
  constructor(
    readonly subject: string,
    readonly bytes: number,
    readonly maxPayload: number,
  ) {
    super(`payload on ${subject} is ${bytes} bytes, more than the server's max payload of ${maxPayload}: not sent`);
  }
}

/** A reply or message that does not match its contract. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
  constructor(readonly subject: string, readonly problems: string, options?: ErrorOptions) {
    super(`invalid payload on ${subject}: ${problems}`, options);
  }
}

/** The first connect was refused: the server rejected the credentials, or TLS failed (an unknown CA, a missing client certificate). */
export class BusConnectError extends Error {
  override readonly name = 'BusConnectError';
  constructor(
    readonly servers: readonly string[],
    readonly kind: 'authorization' | 'tls',
    options?: ErrorOptions,
  ) {
    const cause = options?.cause instanceof Error ? options.cause.message : String(options?.cause);
    super(
      kind === 'authorization'
        ? `nats-server at ${servers.join(', ')} refused the credentials (${cause}): check the token, creds or user/password files`
        : `TLS with nats-server at ${servers.join(', ')} failed (${cause}): check the CA file, and the client certificate when the server verifies clients`,
      options,
    );
  }
}

export const isConflict = (e: unknown): e is ConflictError => e instanceof ConflictError;
export const isRequestFailed = (e: unknown): e is RequestFailedError => e instanceof RequestFailedError;
export const isBusConnectError = (e: unknown): e is BusConnectError => e instanceof BusConnectError;
export const isPayloadTooLarge = (e: unknown): e is PayloadTooLargeError => e instanceof PayloadTooLargeError;
export const isInvalidPayload = (e: unknown): e is InvalidPayloadError => e instanceof InvalidPayloadError;

const WRONG_LAST_SEQUENCE = new Set<number>([JetStreamApiCodes.StreamWrongLastSequence, JetStreamApiCodes.StreamWrongLastSequenceUnknown]);

/** JetStream answered that the stream does not exist (API error code 10059). */
export const isStreamNotFound = (e: unknown): boolean => e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound;

/** JetStream's "wrong last sequence" as a ConflictError; everything else unchanged. */
export function asConflict(e: unknown, key: string): unknown {
  if (e instanceof JetStreamApiError && WRONG_LAST_SEQUENCE.has(e.code)) return new ConflictError(key, { cause: e });
  return e;
}

export function asRequestFailure(e: unknown, subject: string): unknown {
  if (e instanceof TimeoutError) return new RequestFailedError(subject, 'timeout', { cause: e });
  if (e instanceof RequestError) {
    return new RequestFailedError(subject, e.isNoResponders() ? 'no-responders' : 'timeout', { cause: e });
  }
  return e;
}
