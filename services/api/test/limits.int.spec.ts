import { randomBytes } from 'node:crypto';
import { encodeJson } from '@netbroker/bus';
import { fail, ipamSubjects, type IpamErrorReason } from '@netbroker/contracts';
import { connectNats, eventually, startService, startStack, type ServiceProcess, type Stack } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, kvKeys, problemOf, runId } from './harness';

// Limits and outages, on a nats-server of this file's own: nothing answers for ipam here, unless
// a test stands in for it on the allocate subject.

const run = runId();
const adminToken = randomBytes(24).toString('base64url');
let own: Stack;
let api: ServiceProcess;
let url: string;
const tokens: Record<string, string> = {};

const baseEnv = () => ({
  NATS_URL: own.natsUrl!,
  HTTP_PORT: '0',
  NETBROKER_ADMIN_TOKEN: adminToken,
  NETBROKER_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
});

beforeAll(async () => {
  own = await startStack({ host: false });
  api = await startService({
    service: 'api',
    name: `api-limits-${run}`,
    env: { ...baseEnv(), RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3', BODY_LIMIT_BYTES: '1024' },
  });
  // HTTP_PORT=0: the service picks a free port and logs the URL it listens on.
  url = await eventually(() => {
    const line = api.proc
      .tail()
      .split('\n')
      .map((l) => JSON.parse(l) as { url?: string; msg?: string })
      .find((l) => l.msg?.startsWith('api listening'));
    expect(line?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    return line!.url!;
  });
  // Tenants d-g face the ipam stand-in, one each: this api allows 3 requests at once, 1 a second.
  for (const [name, projectPool] of [[`lim-a-${run}`], [`lim-b-${run}`], [`lim-d-${run}`, 'tenant-pool'], [`lim-e-${run}`], [`lim-f-${run}`], [`lim-g-${run}`]] as Array<[string, string?]>) {
    expect((await call(url, 'POST', '/admin/tenants', { token: adminToken, body: { name, projectPool } })).status).toBe(201);
    const res = await call(url, 'POST', `/admin/tenants/${name}/tokens`, { token: adminToken, body: { name: 't' } });
    tokens[name] = (res.body as { token: string }).token;
  }
});
afterAll(async () => {
  await api?.stop();
  await own?.stop();
});

describe('limits and outages', () => {
  it('rate-limits each tenant on its own, with Retry-After', async () => {
    const a = tokens[`lim-a-${run}`]!;
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await call(url, 'GET', '/v1/projects', { token: a }));
    expect(answers.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    const limited = answers.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    expect(problemOf(limited!).code).toBe('rate-limited');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await call(url, 'GET', '/v1/projects', { token: tokens[`lim-b-${run}`]! })).status).toBe(200);
    // The admin is not a tenant: never limited.
    for (let i = 0; i < 5; i++) expect((await call(url, 'GET', '/admin/tenants', { token: adminToken })).status).toBe(200);
  });

  it('answers 503 ipam-unavailable with Retry-After when ipam does not answer, and writes nothing', async () => {
    const b = tokens[`lim-b-${run}`]!;
    const res = await call(url, 'POST', '/v1/projects', { token: b, body: { name: 'web', egressNetworkType: 'cloud' } });
    expect(problemOf(res)).toMatchObject({ status: 503, code: 'ipam-unavailable' });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const pools = await call(url, 'GET', '/admin/pools', { token: adminToken });
    expect(problemOf(pools)).toMatchObject({ status: 503, code: 'ipam-unavailable' });
    expect(Number(pools.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const nc = await connectNats(own.natsUrl!);
    try {
      expect(await kvKeys(nc, 'projects')).toEqual([]);
    } finally {
      await nc.close();
    }
  });

  describe('ipam answering, through a stand-in on the allocate subject', () => {
    const answering = async (reason: IpamErrorReason, check: () => Promise<void>) => {
      const nc = await connectNats(own.natsUrl!);
      const sub = nc.subscribe(ipamSubjects.allocate, { callback: (_err, msg) => void msg.respond(encodeJson(fail(reason, `stand-in: ${reason}`))) });
      await nc.flush();
      try {
        await check();
      } finally {
        sub.unsubscribe();
        await nc.close();
      }
    };
    const createProject = (tenant: string) => call(url, 'POST', '/v1/projects', { token: tokens[tenant]!, body: { name: 'web', egressNetworkType: 'cloud' } });

    it('answers the address manager failing inside as 500 internal with a correlation id, not as the tenant’s 422', async () => {
      await answering('internal', async () => {
        const res = await createProject(`lim-e-${run}`);
        expect(problemOf(res)).toMatchObject({ status: 500, code: 'internal' });
        expect(problemOf(res).correlationId).toEqual(expect.any(String));
      });
    });

    it('answers a refusal with its own code: exhausted is 409', async () => {
      await answering('exhausted', async () => {
        expect(problemOf(await createProject(`lim-f-${run}`))).toMatchObject({ status: 409, code: 'exhausted', detail: 'stand-in: exhausted' });
      });
    });

    it('answers unknown-pool as 409 for a pool the tenant record names, and 500 for the install’s default pool', async () => {
      await answering('unknown-pool', async () => {
        expect(problemOf(await createProject(`lim-d-${run}`))).toMatchObject({ status: 409, code: 'unknown-pool' });
        expect(problemOf(await createProject(`lim-g-${run}`))).toMatchObject({ status: 500, code: 'internal' });
      });
    });
  });

  it('applies BODY_LIMIT_BYTES', async () => {
    const res = await call(url, 'POST', '/admin/tenants', { token: adminToken, body: { name: `lim-c-${run}`, displayName: 'x'.repeat(2000) } });
    expect(problemOf(res)).toMatchObject({ status: 413, code: 'payload-too-large' });
    expect((await fetch(`${api.opsUrl}/healthz`)).status).toBe(200);
  });

  it('refuses to start with a bad environment, naming every bad variable', async () => {
    const started = startService({
      service: 'api',
      name: `api-bad-env-${run}`,
      env: { NATS_URL: own.natsUrl!, NETBROKER_ADMIN_TOKEN: 'short', NETBROKER_ENCRYPTION_KEY: 'bm90LTMyLWJ5dGVz', HTTP_PORT: '99999' },
      timeoutMs: 15_000,
    });
    const error = await started.then(
      async (service) => {
        await service.stop();
        return undefined;
      },
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/NETBROKER_ADMIN_TOKEN/);
    expect(error?.message).toMatch(/NETBROKER_ENCRYPTION_KEY/);
    expect(error?.message).toMatch(/HTTP_PORT/);
  });
});
