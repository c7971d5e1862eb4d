// The whole flow through the public surface: HTTP API → KV/events → ipam → provisioner → host
// apiserver, every service from its real main.ts.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { eventStream } from '@netbroker/contracts';
import { connectNats, eventually, freePort, kubeconfigFile, kubeConfigFor, startService, type ServiceProcess } from '@netbroker/testing';
import { jetstream } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const stack = inject('stack');
const core = kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
const networking = kubeConfigFor(stack.host!).makeApiClient(NetworkingV1Api);
const suffix = randomBytes(3).toString('hex');
const tenant = `flow${suffix}`;
const adminToken = `nba_${randomBytes(24).toString('base64url')}`;
const pool = (name: string) => `${name}-${suffix}`;

let dir: string;
let api: string;
const services: ServiceProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-flow-'));
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  const env = { NATS_URL: stack.natsUrl!, LOG_LEVEL: 'warn' };
  const pools = { DEFAULT_PROJECT_POOL: pool('projects'), EGRESS_POOL_CLOUD: pool('cloud'), EGRESS_POOL_PUBLIC: pool('public') };
  const port = await freePort();
  services.push(await startService({ service: 'ipam', name: 'ipam-flow', env: { ...env, HOST_SERVICE_CIDRS: stack.host!.serviceCidr } }));
  services.push(await startService({ service: 'provisioner', name: 'provisioner-flow', env: { ...env, ...pools, KUBECONFIG: join(dir, 'host.kubeconfig') } }));
  services.push(
    await startService({
      service: 'api',
      name: 'api-flow',
      env: { ...env, ...pools, HTTP_PORT: String(port), NETBROKER_ADMIN_TOKEN: adminToken, NETBROKER_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
    }),
  );
  api = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  for (const s of services.reverse()) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> & { status?: { phase?: string; cidr?: string; egressIp?: string } } };
}

describe('a tenant provisions two projects through the API', () => {
  let token: string;

  it('admin defines pools, a tenant and its token', async () => {
    expect((await call('PUT', `/admin/pools/${pool('projects')}`, adminToken, { kind: 'prefix', prefixes: ['10.160.0.0/16'] })).status).toBe(200);
    expect((await call('PUT', `/admin/pools/${pool('cloud')}`, adminToken, { kind: 'address', prefixes: ['100.65.0.0/24'] })).status).toBe(200);
    expect((await call('PUT', `/admin/pools/${pool('public')}`, adminToken, { kind: 'address', prefixes: ['198.51.100.0/24'] })).status).toBe(200);
    expect((await call('POST', '/admin/tenants', adminToken, { name: tenant })).status).toBe(201);
    const created = await call('POST', `/admin/tenants/${tenant}/tokens`, adminToken, { name: 'ci' });
    expect(created.status).toBe(201);
    token = String(created.body.token);
  });

  it('creates projects asynchronously and sees them become Ready with their network in the host cluster', async () => {
    const web = await call('POST', '/v1/projects', token, { name: 'web', egressNetworkType: 'cloud' });
    expect(web.status).toBe(202);
    expect(web.headers.get('location')).toBe('/v1/projects/web');
    const db = await call('POST', '/v1/projects', token, { name: 'db', cidr: '10.160.42.0/24', egressNetworkType: 'public' });
    expect(db.status).toBe(202);

    const ready = (name: string) =>
      eventually(
        async () => {
          const res = await call('GET', `/v1/projects/${name}`, token);
          expect(res.body.status?.phase).toBe('Ready');
          return res.body.status!;
        },
        { timeoutMs: 20_000 },
      );
    const [webStatus, dbStatus] = [await ready('web'), await ready('db')];
    expect(webStatus.cidr).toMatch(/^10\.160\.\d+\.0\/24$/);
    expect(webStatus.egressIp).toMatch(/^100\.65\.0\.\d+$/);
    expect(dbStatus.cidr).toBe('10.160.42.0/24');
    expect(dbStatus.egressIp).toMatch(/^198\.51\.100\.\d+$/);

    for (const [name, status] of [
      ['web', webStatus],
      ['db', dbStatus],
    ] as const) {
      const ns = await core.readNamespace({ name: `${tenant}-${name}` });
      expect(ns.metadata?.annotations?.['netbroker.io/cidr']).toBe(status.cidr);
      const policies = await networking.listNamespacedNetworkPolicy({ namespace: `${tenant}-${name}` });
      expect(policies.items).toHaveLength(4);
    }
  });

  it('deletes a project: addresses released, namespace deletion requested, facts published', async () => {
    expect((await call('DELETE', '/v1/projects/web', token)).status).toBe(202);
    await eventually(async () => expect((await call('GET', '/v1/projects/web', token)).status).toBe(404), { timeoutMs: 20_000 });
    const ns = await core.readNamespace({ name: `${tenant}-web` });
    expect(ns.metadata?.deletionTimestamp).toBeDefined();
    // Its CIDR is free again: another project may ask for exactly it.
    const reuse = await call('POST', '/v1/projects', token, { name: 'web2', cidr: '10.160.0.0/24', egressNetworkType: 'cloud' });
    expect(reuse.status).toBe(202);

    const nc = await connectNats(stack.natsUrl!);
    try {
      const seen = new Set<string>();
      const consumer = await jetstream(nc).consumers.get(eventStream.name, { filter_subjects: ['evt.project.>'] });
      for (;;) {
        const msg = await consumer.next({ expires: 2_000 });
        if (!msg) break;
        const event = msg.json<{ tenant: string; project: string }>();
        if (event.tenant === tenant) seen.add(`${msg.subject} ${event.project}`);
      }
      expect(seen).toEqual(
        new Set([
          'evt.project.created web',
          'evt.project.created db',
          'evt.project.created web2',
          'evt.project.provisioned web',
          'evt.project.provisioned db',
          'evt.project.delete-requested web',
          'evt.project.deleted web',
          ...(seen.has('evt.project.provisioned web2') ? ['evt.project.provisioned web2'] : []),
        ]),
      );
    } finally {
      await nc.close();
    }
  });
});
