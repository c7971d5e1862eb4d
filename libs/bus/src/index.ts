export { decodeJson, encodeJson } from './codec';
export { connectBus, type BusAuth, type BusOptions, type NatsConnection } from './connection';
export { ack, consumeDurable, nak, term, type DurableConsumerOptions, type Outcome, type RunningConsumer } from './consumer';
export {
  BusConnectError,
  ConflictError,
  InvalidPayloadError,
  PayloadTooLargeError,
  RequestFailedError,
  isBusConnectError,
  isConflict,
  isInvalidPayload,
  isPayloadTooLarge,
  isRequestFailed,
} from './errors';
export {
  EventPublisher,
  Facts,
  PublishFailedError,
  ensureStream,
  isPublishFailed,
  type ErrorLog,
  type PublishOptions,
  type StreamSpec,
} from './events';
export {
  IpamClient,
  IpamRefusedError,
  IpamReplyTooLargeError,
  IpamUnavailableError,
  isIpamRefused,
  isIpamReplyTooLarge,
  isIpamUnavailable,
  walkPages,
  type IpamClientOptions,
  type IpamRefusal,
  type Page,
} from './ipam-client';
export { JsonKv, KvFollower, ReplicasMismatchError, decodeKeyToken, encodeKeyToken, openKv, type KvChange, type KvRecord, type OpenKvOptions } from './kv';
export { BusUnavailableError, DEFAULT_RETRY, decide, isBusUnavailable, isTransient, runWrite, verifyStored, type Decision, type RetryOptions, type StoredEntry, type WriteOp, type WriteSpec } from './retry';
export { request, serve, type RequestOptions, type ServeOptions } from './rpc';
