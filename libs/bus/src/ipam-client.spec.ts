import { fail, ok, unavailable, type Result } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { IpamRefusedError, IpamReplyTooLargeError, IpamUnavailableError, isIpamRefused, isIpamReplyTooLarge, isIpamUnavailable, valueOf, walkPages, type IpamRefusal, type Page } from './ipam-client';

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

  it('throws no replica holding the pool as IpamUnavailableError of kind no-holder, not as a refusal', () => {
    const thrown = (() => {
      try {
        return valueOf(subject, unavailable('no ipam replica held pool p within 10 s'));
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(IpamUnavailableError);
    expect(thrown).toMatchObject({ name: 'IpamUnavailableError', kind: 'no-holder', subject });
    expect(isIpamRefused(thrown)).toBe(false);
  });

  it('throws a reply too large for the server as IpamReplyTooLargeError, neither a refusal nor unavailable', () => {
    const thrown = (() => {
      try {
        return valueOf(subject, fail('reply-too-large', 'the reply was 2000000 bytes, the max payload 1048576'));
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(IpamReplyTooLargeError);
    expect(thrown).toMatchObject({ name: 'IpamReplyTooLargeError', subject, detail: 'the reply was 2000000 bytes, the max payload 1048576' });
    expect(isIpamReplyTooLarge(thrown)).toBe(true);
    expect(isIpamRefused(thrown)).toBe(false);
    expect(isIpamUnavailable(thrown)).toBe(false);
  });

  it.each<[string, unknown, boolean]>([
    ['the reason asked for', new IpamRefusedError(subject, 'exhausted', 'full'), true],
    ['another reason', new IpamRefusedError(subject, 'unknown-pool', 'no pool'), false],
    ['no refusal at all', new Error('exhausted'), false],
  ])('isIpamRefused(e, "exhausted") on %s: %s', (_what, e, expected) => {
    expect(isIpamRefused(e, 'exhausted')).toBe(expected);
  });
});

describe('walkPages', () => {
  /** A list served in pages of `size` from `items`; the token is the index to resume at. */
  const pagesOf =
    (items: number[], size: number, asked: Array<string | undefined>) =>
    async (after: string | undefined): Promise<Page<number>> => {
      asked.push(after);
      const from = after === undefined ? 0 : Number(after);
      const next = from + size;
      return { items: items.slice(from, next), ...(next < items.length ? { continue: String(next) } : {}) };
    };

  it.each<[string, number, number, Array<string | undefined>]>([
    ['an empty list in one call', 0, 3, [undefined]],
    ['a list shorter than a page in one call', 2, 3, [undefined]],
    ['a list of exactly one page in one call', 3, 3, [undefined]],
    ['a list of two pages and a bit', 7, 3, [undefined, '3', '6']],
    ['pages of one', 3, 1, [undefined, '1', '2']],
  ])('reads %s', async (_what, count, size, calls) => {
    const items = Array.from({ length: count }, (_, i) => i);
    const asked: Array<string | undefined> = [];
    expect(await walkPages(pagesOf(items, size, asked))).toStrictEqual(items);
    expect(asked).toStrictEqual(calls);
  });

  it('refuses a server that answers the token it was asked with, instead of looping', async () => {
    const stuck = async (after: string | undefined): Promise<Page<number>> => ({ items: [1], continue: after ?? 'a' });
    await expect(walkPages(stuck)).rejects.toThrow(/not advancing/);
  });
});
