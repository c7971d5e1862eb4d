import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, kubeconfigFile, startService, type ServiceProcess, type Stack } from '@netbroker/testing';

export type Call = (method: string, path: string, token: string, body?: unknown) => Promise<Record<string, unknown>>;

export interface Platform {
  /** The first api replica's URL. */
  api: string;
  /** Every api replica's URL; `call` takes them in turn. */
  apis: string[];
  adminToken: string;
  /** Token of tenant `bench` (quota 10,000 projects). */
  token: string;
  call: Call;
}

/**
 * The services a benchmark drives through the API, on `stack`: ipam, provisioner, the `extra`
 * services (started with the host kubeconfig and the sealing key) and api without rate limits;
 * pools `projects`, `egress-cloud`, `egress-public`; tenant `bench` and its token. With
 * `apiReplicas`, that many api processes share the work: `call` sends each request to the next.
 */
export async function startPlatform(
  stack: Stack,
  dir: string,
  services: ServiceProcess[],
  extra: Record<string, Record<string, string>> = {},
  { apiReplicas = 1 }: { apiReplicas?: number } = {},
): Promise<Platform> {
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  const adminToken = `nba_${randomBytes(24).toString('base64url')}`;
  const key = randomBytes(32).toString('base64');
  const env = { NATS_URL: stack.natsUrl!, LOG_LEVEL: 'warn' };
  const kubeconfig = { KUBECONFIG: join(dir, 'host.kubeconfig') };
  services.push(await startService({ service: 'ipam', env: { ...env, HOST_SERVICE_CIDRS: stack.host!.serviceCidr } }));
  services.push(await startService({ service: 'provisioner', env: { ...env, ...kubeconfig, CONCURRENCY: '16' } }));
  for (const [service, own] of Object.entries(extra)) {
    services.push(await startService({ service, env: { ...env, ...kubeconfig, NETBROKER_ENCRYPTION_KEY: key, ...own } }));
  }
  const apis: string[] = [];
  for (let i = 0; i < apiReplicas; i++) {
    const port = await freePort();
    services.push(
      await startService({
        service: 'api',
        name: `api-${i}`,
        env: { ...env, HTTP_PORT: String(port), NETBROKER_ADMIN_TOKEN: adminToken, NETBROKER_ENCRYPTION_KEY: key, RATE_LIMIT_PER_SECOND: '10000', RATE_LIMIT_BURST: '10000' },
      }),
    );
    apis.push(`http://127.0.0.1:${port}`);
  }
  let turn = 0;
  const call: Call = async (method, path, token, body) => {
    const api = apis[turn++ % apis.length]!;
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  await call('PUT', '/admin/pools/projects', adminToken, { kind: 'prefix', prefixes: ['10.0.0.0/8'], presets: ['ovh-mks-free'] });
  await call('PUT', '/admin/pools/egress-cloud', adminToken, { kind: 'address', prefixes: ['100.64.0.0/16'] });
  await call('PUT', '/admin/pools/egress-public', adminToken, { kind: 'address', prefixes: ['198.18.0.0/16'] });
  await call('POST', '/admin/tenants', adminToken, { name: 'bench', quotas: { maxProjects: 10_000 } });
  const token = String((await call('POST', '/admin/tenants/bench/tokens', adminToken, { name: 'bench' })).token);
  return { api: apis[0]!, apis, adminToken, token, call };
}
