import { fail, ok, type Result } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { IpamRefusedError, IpamUnavailableError, isIpamRefused, isIpamUnavailable, valueOf, type IpamRefusal } from './ipam-client';

const subject = 'cmd.ipam.address.allocate';

describe('valueOf (an ipam reply as a value or a typed error)', () => {
  it('answers the value of a success', () => {
    expect(valueOf(subject, ok({ deleted: true }))).toStrictEqual({ deleted: true });
  });

  it.each<[IpamRefusal]>([['exhausted'], ['unknown-pool'], ['overlaps-allocated'], ['invalid-request'], ['not-allocated'], ['pool-in-use']])(
    'throws a refusal with reason %s as IpamRefusedError carrying that reason',
    (reason) => {
      const reply: Result<string> = fail(reason, `refused: ${reason}`);
      const thrown = (() => {
        try {
          return valueOf(subject, reply);
        } catch (e) {
          return e;
        }
      })();
      expect(thrown).toBeInstanceOf(IpamRefusedError);
      expect(thrown).toMatchObject({ name: 'IpamRefusedError', reason, detail: `refused: ${reason}`, subject });
      expect(isIpamRefused(thrown)).toBe(true);
      expect(isIpamRefused(thrown, reason)).toBe(true);
      expect(isIpamUnavailable(thrown)).toBe(false);
    },
  );

  it('throws the address manager failing inside as IpamUnavailableError, not as a refusal', () => {
    const thrown = (() => {
      try {
        return valueOf(subject, fail('internal', 'see the ipam log'));
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(IpamUnavailableError);
    expect(thrown).toMatchObject({ name: 'IpamUnavailableError', kind: 'internal', subject });
    expect(isIpamRefused(thrown)).toBe(false);
  });

  it.each<[string, unknown, boolean]>([
    ['the reason asked for', new IpamRefusedError(subject, 'exhausted', 'full'), true],
    ['another reason', new IpamRefusedError(subject, 'unknown-pool', 'no pool'), false],
    ['no refusal at all', new Error('exhausted'), false],
  ])('isIpamRefused(e, "exhausted") on %s: %s', (_what, e, expected) => {
    expect(isIpamRefused(e, 'exhausted')).toBe(expected);
  });
});
