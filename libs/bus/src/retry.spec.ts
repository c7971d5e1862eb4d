import { JetStreamApiError } from '@nats-io/jetstream';
import { jserrors } from '@nats-io/jetstream/internal';
import { errors, RequestError, TimeoutError } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { ConflictError } from './errors';
import { BusUnavailableError, decide, isTransient, runWrite, verifyStored, type StoredEntry, type WriteOp } from './retry';

const apiError = (err_code: number, code: number, description: string) => new JetStreamApiError({ err_code, code, description });
const noResponders = new jserrors.JetStreamNotEnabled('jetstream is not enabled', { cause: new RequestError('no responders', { cause: new errors.NoRespondersError('$JS.API') }) });
const wrongLastSequence = apiError(10071, 400, 'wrong last sequence: 4');
const bytes = (s: string) => new TextEncoder().encode(s);

describe('isTransient', () => {
  it.each<[string, unknown, boolean]>([
    ['no responders (an election), as nats.js reports it', noResponders, true],
    ['a time-out', new TimeoutError(), true],
    ['a request that found no responders', new RequestError('no responders', { cause: new errors.NoRespondersError('x') }), true],
    ['a request refused by a permission', new RequestError('permissions', { cause: new errors.PermissionViolationError('permissions violation', 'publish', 'x') }), false],
    ['JetStream system temporarily unavailable (10008)', apiError(10008, 503, 'JetStream system temporarily unavailable'), true],
    ['a cluster that cannot handle the request, no leader (10009)', apiError(10009, 500, 'JetStream cluster can not handle request'), true],
    ['a stream offline (10118)', apiError(10118, 500, 'stream is offline'), true],
    ['any other 503 of the API', apiError(10999, 503, 'unavailable'), true],
    ['wrong last sequence: a real conflict', wrongLastSequence, false],
    ['a value larger than the stream allows', apiError(10054, 400, 'message size exceeds maximum allowed'), false],
    ['no stream found (10059)', apiError(10059, 404, 'stream not found'), false],
    ['a bug (TypeError)', new TypeError('cannot encode'), false],
  ])('%s: %s', (_what, e, transient) => {
    expect(isTransient(e)).toBe(transient);
  });
});

describe('decide', () => {
  const opts = { deadlineMs: 20_000, backoffMs: 100, maxBackoffMs: 1_000 };
  it.each<[string, unknown, WriteOp, number, number, ReturnType<typeof decide>]>([
    ['retries a transient failure after 100 ms first', noResponders, 'kv.create', 1, 0, { kind: 'retry', delayMs: 100 }],
    ['doubles the wait', new TimeoutError(), 'publish', 3, 500, { kind: 'retry', delayMs: 400 }],
    ['caps the wait at 1 s', noResponders, 'kv.put', 8, 5_000, { kind: 'retry', delayMs: 1_000 }],
    ['never waits past the deadline', noResponders, 'kv.put', 8, 19_950, { kind: 'retry', delayMs: 50 }],
    ['gives up once the deadline passed', noResponders, 'kv.update', 30, 20_000, { kind: 'unavailable' }],
    ['fails a first compare-and-set lost at once: a real conflict', wrongLastSequence, 'kv.create', 1, 0, { kind: 'fail' }],
    ['verifies a create lost on a retry: the earlier attempt may have stored it', wrongLastSequence, 'kv.create', 2, 6_000, { kind: 'verify' }],
    ['verifies an update lost on a retry', wrongLastSequence, 'kv.update', 3, 6_000, { kind: 'verify' }],
    ['verifies a delete lost on a retry', wrongLastSequence, 'kv.delete', 2, 6_000, { kind: 'verify' }],
    ['verifies after the deadline too: the read may still answer', wrongLastSequence, 'kv.create', 2, 25_000, { kind: 'verify' }],
    ['never retries a refused write', apiError(10054, 400, 'message size exceeds maximum allowed'), 'kv.put', 1, 0, { kind: 'fail' }],
    ['never retries a bug', new TypeError('x'), 'publish', 1, 0, { kind: 'fail' }],
  ])('%s', (_what, e, op, attempts, elapsedMs, expected) => {
    expect(decide(e, { op, attempts, elapsedMs }, opts)).toStrictEqual(expected);
  });
});

describe('verifyStored', () => {
  const put = (value: string, revision: number): StoredEntry => ({ operation: 'PUT', value: bytes(value), revision });
  const del = (revision: number): StoredEntry => ({ operation: 'DEL', value: new Uint8Array(), revision });
  it.each<[string, 'kv.create' | 'kv.update' | 'kv.delete', string, StoredEntry | undefined, number, ReturnType<typeof verifyStored>]>([
    ['create: our bytes are there, our earlier attempt stored them', 'kv.create', '{"a":1}', put('{"a":1}', 7), 0, { stored: true, revision: 7 }],
    ['create: other bytes: somebody else created the key', 'kv.create', '{"a":1}', put('{"a":2}', 7), 0, { stored: false }],
    ['create: the key is deleted: not ours', 'kv.create', '{"a":1}', del(8), 0, { stored: false }],
    ['create: the key is absent: not ours', 'kv.create', '{"a":1}', undefined, 0, { stored: false }],
    ['update: our bytes past the revision we expected', 'kv.update', '{"a":1}', put('{"a":1}', 5), 4, { stored: true, revision: 5 }],
    ['update: our bytes at the revision we expected: the old value equalled ours, we did not write', 'kv.update', '{"a":1}', put('{"a":1}', 4), 4, { stored: false }],
    ['update: other bytes: a conflict', 'kv.update', '{"a":1}', put('{"a":3}', 6), 4, { stored: false }],
    ['delete: the key is deleted', 'kv.delete', '', del(9), 8, { stored: true, revision: 9 }],
    ['delete: the key is gone altogether', 'kv.delete', '', undefined, 8, { stored: true, revision: 0 }],
    ['delete: the key holds a value: somebody wrote it again', 'kv.delete', '', put('{"a":1}', 9), 8, { stored: false }],
  ])('%s', (_what, op, ours, stored, expected, verdict) => {
    expect(verifyStored(op, bytes(ours), stored, expected)).toStrictEqual(verdict);
  });
});

describe('runWrite', () => {
  /** A clock moved only by the sleeps the policy asks for; every attempt takes `attemptMs`. */
  const run = async (outcomes: Array<number | Error>, opts: { op?: WriteOp; verify?: () => Promise<number>; deadlineMs?: number; attemptMs?: number } = {}) => {
    let t = 0;
    const waits: number[] = [];
    let calls = 0;
    const result = await runWrite<number>(
      {
        op: opts.op ?? 'kv.create',
        target: 'bucket/key',
        key: 'key',
        attempt: async () => {
          const outcome = outcomes[Math.min(calls++, outcomes.length - 1)]!;
          t += opts.attemptMs ?? 0;
          if (outcome instanceof Error) throw outcome;
          return outcome;
        },
        verify: opts.verify,
      },
      { deadlineMs: opts.deadlineMs ?? 20_000, sleep: async (ms) => void (waits.push(ms), (t += ms)), now: () => t },
    ).then(
      (value) => ({ value }),
      (error: Error) => ({ error }),
    );
    return { result, waits, calls };
  };

  it('returns what the first attempt stored, without waiting', async () => {
    expect(await run([7])).toStrictEqual({ result: { value: 7 }, waits: [], calls: 1 });
  });

  it('rides out an election: no responders, then stored', async () => {
    expect(await run([noResponders, noResponders, new TimeoutError(), 12])).toStrictEqual({ result: { value: 12 }, waits: [100, 200, 400], calls: 4 });
  });

  it('gives up at the deadline with BusUnavailableError naming the write', async () => {
    const { result, calls } = await run([noResponders], { deadlineMs: 3_000, attemptMs: 50 });
    expect('error' in result && result.error).toBeInstanceOf(BusUnavailableError);
    expect('error' in result && result.error).toMatchObject({ op: 'kv.create', target: 'bucket/key', elapsedMs: 3_000 });
    expect(calls).toBeGreaterThan(3);
  });

  it('turns a compare-and-set lost at the first attempt into ConflictError, and reads nothing back', async () => {
    let read = false;
    const { result } = await run([wrongLastSequence], { verify: async () => ((read = true), 1) });
    expect('error' in result && result.error).toBeInstanceOf(ConflictError);
    expect(read).toBe(false);
  });

  it('answers with the read-back revision when a retried create finds its own value', async () => {
    expect(await run([new TimeoutError(), wrongLastSequence], { verify: async () => 42 })).toStrictEqual({ result: { value: 42 }, waits: [100], calls: 2 });
  });

  it('rejects with the conflict the read-back found when somebody else wrote', async () => {
    const { result } = await run([new TimeoutError(), wrongLastSequence], { verify: async () => Promise.reject(new ConflictError('key')) });
    expect('error' in result && result.error).toBeInstanceOf(ConflictError);
  });

  it('tries the write again when the read-back itself meets the election', async () => {
    let reads = 0;
    const verify = async () => (++reads === 1 ? Promise.reject(noResponders) : 5);
    expect(await run([new TimeoutError(), wrongLastSequence], { verify })).toStrictEqual({ result: { value: 5 }, waits: [100, 200], calls: 3 });
  });

  it('never retries a refused write, and never a bug', async () => {
    expect((await run([apiError(10054, 400, 'too big')], { op: 'kv.put' })).calls).toBe(1);
    expect((await run([new TypeError('x')], { op: 'publish' })).calls).toBe(1);
  });
});
