import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Facts, PublishFailedError, withRetries } from './events';

describe('withRetries', () => {
  /** A send failing `failures` times, then answering 'stored'; the waits asked for are recorded. */
  const run = async (failures: number, attempts: number) => {
    let calls = 0;
    const waits: number[] = [];
    const send = async () => {
      calls++;
      if (calls <= failures) throw new Error(`failure ${calls}`);
      return 'stored';
    };
    const outcome = await withRetries(send, { attempts, backoffMs: 100, sleep: async (ms) => void waits.push(ms) }).then(
      (value) => ({ value }),
      (e: Error) => ({ error: e.message }),
    );
    return { calls, waits, outcome };
  };

  it.each<[string, number, number, { calls: number; waits: number[]; outcome: object }]>([
    ['succeeds at once: no wait', 0, 3, { calls: 1, waits: [], outcome: { value: 'stored' } }],
    ['succeeds on the second attempt', 1, 3, { calls: 2, waits: [100], outcome: { value: 'stored' } }],
    ['succeeds on the last attempt, the wait doubling', 2, 3, { calls: 3, waits: [100, 200], outcome: { value: 'stored' } }],
    ['gives up after every attempt with the last failure', 5, 3, { calls: 3, waits: [100, 200], outcome: { error: 'failure 3' } }],
    ['one attempt: no retry', 1, 1, { calls: 1, waits: [], outcome: { error: 'failure 1' } }],
    ['four attempts: waits 100, 200, 400', 9, 4, { calls: 4, waits: [100, 200, 400], outcome: { error: 'failure 4' } }],
  ])('%s', async (_what, failures, attempts, expected) => {
    expect(await run(failures, attempts)).toStrictEqual(expected);
  });
});

describe('Facts', () => {
  const setup = (publish: () => Promise<{ seq: number; duplicate: boolean }>) => {
    const registry = new Registry();
    const logged: Array<{ obj: object; msg: string }> = [];
    const facts = new Facts({ publish }, { registry, log: { error: (obj, msg) => logged.push({ obj, msg }) } });
    const lost = async () => (await registry.getSingleMetric('netbroker_facts_lost_total')!.get()).values.map((v) => ({ subject: v.labels.subject, value: v.value }));
    return { facts, logged, lost };
  };

  it('counts and logs a fact the publisher gave up on, once, and does not fail the caller', async () => {
    const { facts, logged, lost } = setup(async () => {
      throw new PublishFailedError('evt.project.created', 'uid-1:1', 3);
    });
    await expect(facts.publish('evt.project.created', { v: 1 }, 'uid-1:1')).resolves.toBeUndefined();
    expect(await lost()).toStrictEqual([{ subject: 'evt.project.created', value: 1 }]);
    expect(logged).toStrictEqual([{ obj: expect.objectContaining({ subject: 'evt.project.created', msgId: 'uid-1:1' }), msg: 'fact lost: not stored on the event stream' }]);
  });

  it('counts nothing for a stored fact', async () => {
    const { facts, logged, lost } = setup(async () => ({ seq: 7, duplicate: false }));
    await facts.publish('evt.project.created', { v: 1 }, 'uid-1:1');
    expect(await lost()).toStrictEqual([]);
    expect(logged).toStrictEqual([]);
  });

  it('rethrows what is no publish failure (a bug, not a lost fact)', async () => {
    const { facts, lost } = setup(async () => {
      throw new TypeError('cannot encode');
    });
    await expect(facts.publish('evt.project.created', { v: 1 }, 'uid-1:1')).rejects.toThrow(TypeError);
    expect(await lost()).toStrictEqual([]);
  });

  it('shares one counter between two Facts of one registry', () => {
    const registry = new Registry();
    const log = { error: () => undefined };
    const publish = async () => ({ seq: 1, duplicate: false });
    expect(() => [new Facts({ publish }, { registry, log }), new Facts({ publish }, { registry, log })]).not.toThrow();
  });
});
