import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Facts, PublishFailedError } from './events';

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
      throw new PublishFailedError('evt.project.created', 'uid-1:1');
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
