import { RequestFailedError } from '@netbroker/bus';
import type { RouterCommand, RouterReply } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { isProblem } from './problems';
import { RouterClient } from './router-client';

const command: RouterCommand = { op: 'routes', actor: 'tenant:acme', tenant: 'acme', project: 'web', mode: 'add', routes: [] };

type Step = RouterReply | 'timeout' | 'no-responders';

/** A router answering `steps` in turn (the last one for ever), on a clock that moves only when someone waits. */
function scripted(steps: Step[], boundMs = 10_000) {
  let t = 0;
  const attempts: Array<{ at: number; timeoutMs: number }> = [];
  const pauses: number[] = [];
  const client = new RouterClient(
    async (_cmd, timeoutMs) => {
      attempts.push({ at: t, timeoutMs });
      const step = steps[Math.min(attempts.length - 1, steps.length - 1)]!;
      if (step === 'timeout') {
        t += timeoutMs;
        throw new RequestFailedError('cmd.router.write', 'timeout');
      }
      t += 1;
      if (step === 'no-responders') throw new RequestFailedError('cmd.router.write', 'no-responders');
      return step;
    },
    {
      boundMs,
      now: () => t,
      sleep: async (ms) => {
        pauses.push(ms);
        t += ms;
      },
    },
  );
  return { client, attempts, pauses, elapsed: () => t };
}

const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a failure');
};

describe('RouterClient', () => {
  it('answers the reply of a command the router carried out', async () => {
    const { client, attempts } = scripted([{ ok: true }]);
    expect(await client.run(command)).toEqual({ ok: true });
    expect(attempts).toHaveLength(1);
  });

  it('turns a refusal into its problem at once, with the route at fault as a field error', async () => {
    const { client, attempts } = scripted([{ ok: false, error: { reason: 'nexthop-not-connected', message: '1.2.3.4 is not connected', index: 2 } }]);
    const e = await failure(client.run(command));
    expect(isProblem(e) && e.toProblem()).toMatchObject({
      status: 422,
      code: 'nexthop-not-connected',
      detail: '1.2.3.4 is not connected',
      errors: [{ path: 'routes.2', message: '1.2.3.4 is not connected', reason: 'nexthop-not-connected' }],
    });
    expect(attempts).toHaveLength(1);
  });

  it.each([
    ['unknown-peering', 404],
    ['not-acceptable', 409],
    ['overlaps-peer', 422],
  ] as const)('answers %s with status %i and no field errors', async (reason, status) => {
    const e = await failure(scripted([{ ok: false, error: { reason, message: 'no' } }]).client.run(command));
    expect(isProblem(e) && e.toProblem()).toMatchObject({ status, code: reason });
    expect(isProblem(e) && e.toProblem().errors).toBeUndefined();
  });

  it("keeps the router's own failures out of the problems: an error, 500 at the edge", async () => {
    for (const reason of ['internal', 'invalid-request'] as const) {
      const e = await failure(scripted([{ ok: false, error: { reason, message: 'bug' } }]).client.run(command));
      expect(isProblem(e)).toBe(false);
      expect(String(e)).toContain(reason);
    }
  });

  it('sends again while nobody serves the subject (a failover), with growing pauses', async () => {
    const { client, attempts, pauses } = scripted(['no-responders', 'no-responders', { ok: false, error: { reason: 'unavailable', message: 'no writer' } }, { ok: true }]);
    expect(await client.run(command)).toEqual({ ok: true });
    expect(attempts).toHaveLength(4);
    expect(pauses).toEqual([50, 100, 200]);
  });

  it('answers 503 unavailable with Retry-After once the bound has passed, and sends nothing after it', async () => {
    const { client, attempts, elapsed } = scripted(['no-responders'], 3_000);
    const e = await failure(client.run(command));
    expect(isProblem(e) && e.toProblem()).toMatchObject({ status: 503, code: 'unavailable' });
    expect(isProblem(e) && e.extra.headers).toEqual({ 'retry-after': '2' });
    expect(isProblem(e) && e.detail).toMatch(/nothing was changed/);
    expect(elapsed()).toBeLessThanOrEqual(3_000);
    expect(attempts.length).toBeGreaterThan(3);
    expect(attempts.every((a) => a.at < 3_000)).toBe(true);
  });

  it('waits at most the bound for replies in all, and says an attempt that timed out may have been carried out', async () => {
    const { client, attempts, elapsed } = scripted(['timeout'], 7_000);
    const e = await failure(client.run(command));
    expect(isProblem(e) && e.code).toBe('unavailable');
    expect(isProblem(e) && e.detail).toMatch(/may have been carried out/);
    expect(attempts.map((a) => a.timeoutMs)).toEqual([5_000, 1_950]);
    expect(elapsed()).toBeLessThanOrEqual(7_000);
  });

  it('lets other errors through as they are', async () => {
    const client = new RouterClient(
      async () => {
        throw new TypeError('boom');
      },
      { boundMs: 1_000 },
    );
    await expect(client.run(command)).rejects.toBeInstanceOf(TypeError);
  });
});
