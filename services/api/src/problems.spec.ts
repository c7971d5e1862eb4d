import { IpamRefusedError, IpamUnavailableError, type IpamRefusal } from '@netbroker/bus';
import { describe, expect, it } from 'vitest';
import { ipamProblem, isProblem } from './problems';

const subject = 'cmd.ipam.address.allocate';

describe('ipamProblem', () => {
  it.each<[IpamRefusal, number, string]>([
    ['exhausted', 409, 'exhausted'],
    ['unknown-pool', 409, 'unknown-pool'],
    ['overlaps-allocated', 409, 'overlaps-allocated'],
    ['prefix-too-small', 409, 'prefix-too-small'],
    ['invalid-cidr', 422, 'invalid-cidr'],
    ['invalid-request', 422, 'invalid-request'],
    ['pool-in-use', 409, 'pool-in-use'],
    ['not-allocated', 404, 'not-found'],
  ])('answers the refusal %s as %i %s, with the address manager’s sentence', (reason, status, code) => {
    const answer = ipamProblem(new IpamRefusedError(subject, reason, `pool projects: ${reason}`));
    expect(isProblem(answer)).toBe(true);
    expect(answer).toMatchObject({ status, code, detail: `pool projects: ${reason}` });
  });

  it.each([['timeout' as const], ['no-responders' as const]])('answers no reply (%s) as 503 ipam-unavailable with Retry-After', (kind) => {
    const answer = ipamProblem(new IpamUnavailableError(subject, kind, 'no reply'));
    expect(answer).toMatchObject({ status: 503, code: 'ipam-unavailable', extra: { headers: { 'retry-after': '5' } } });
  });

  it.each<[string, Error]>([
    ['the address manager failing inside', new IpamUnavailableError(subject, 'internal', 'see the ipam log')],
    ['any other error', new Error('boom')],
  ])('leaves %s as it is (500 internal at the edge, logged once)', (_what, e) => {
    expect(ipamProblem(e)).toBe(e);
  });
});
