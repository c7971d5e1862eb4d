import { JetStreamApiError } from '@nats-io/jetstream';
import { BusUnavailableError } from '@netbroker/bus';
import { describe, expect, it } from 'vitest';
import { problem } from '../problems';
import { knownProblem } from './server';

/** nats.js reports "no responders" on a JetStream API subject as this class, which it does not export. */
class JetStreamNotEnabled extends Error {
  override name = 'JetStreamNotEnabled';
}
const apiError = (err_code: number, code: number, description: string) => new JetStreamApiError({ err_code, code, description });

describe('knownProblem', () => {
  it.each([
    ['a write the retry policy gave up on', new BusUnavailableError('kv.create', 'projects/t.web', 12, 20_000, { cause: new Error('no responders') }), 503, 'dependency-unavailable'],
    ['a read while the stream has no leader', apiError(10008, 503, 'JetStream system temporarily unavailable'), 503, 'dependency-unavailable'],
    ['a read while the cluster has no quorum (no responders)', new JetStreamNotEnabled('jetstream is not enabled'), 503, 'dependency-unavailable'],
    ['a problem the handler raised', problem('not-found', 'no such project'), 404, 'not-found'],
    ['fastify: a body too large', Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), 413, 'payload-too-large'],
  ])('%s → %i %s', (_what, err, status, type) => {
    const known = knownProblem(err, 1024);
    expect(known?.status).toBe(status);
    expect(known?.code).toBe(type);
  });

  it.each([
    ['a JetStream refusal that is no outage (wrong last sequence)', apiError(10071, 400, 'wrong last sequence: 3')],
    ['a bug', new TypeError('cannot read properties of undefined')],
  ])('%s stays unknown (500)', (_what, err) => {
    expect(knownProblem(err, 1024)).toBeUndefined();
  });
});
