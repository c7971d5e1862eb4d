import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { CoreV1Api, VersionApi, type V1Namespace } from '@kubernetes/client-node';
import { countingListener, eventually, kubeconfigFile, type CountingListener } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_CERT_B64, TEST_KEY_B64 } from '../src/fixtures/pem';
import { Informer, isServerRefused, openTenantKubeConfig, parsePolicyEntries, tenantAccessFrom, type Resolve, type TenantAccess } from '../src/index';

// The client built from a tenant's kubeconfig, against real servers: it reaches a real virtual
// apiserver, and connects nowhere the policy forbids — proven by listeners that count connections.
// Every address a connection could go to, were the guard broken, is on loopback: metadata and
// link-local refusals are proven where nothing connects (the pure policy table, the API).

const stack = inject('stack');

const policy = (opts: { allowLoopback: boolean; allowed?: string }): TenantAccess => {
  const allowed = parsePolicyEntries(opts.allowed ?? '');
  return {
    policy: { allowed: { cidrs: allowed.cidrs, suffixes: allowed.names }, denied: { cidrs: [], names: [], endpoints: [] }, allowLoopback: opts.allowLoopback },
    allowInsecureTls: true,
  };
};

const kubeconfig = (server: string, extra = '') => `apiVersion: v1
kind: Config
clusters: [{ name: vc, cluster: { server: '${server}'${extra} } }]
users: [{ name: u, user: { token: tenant-token-do-not-leak } }]
contexts: [{ name: vc, context: { cluster: vc, user: u } }]
current-context: vc
`;

const version = (access: TenantAccess, text: string) => {
  const opened = openTenantKubeConfig(text, access);
  if (!opened.ok) throw new Error(`refused before connecting: ${opened.message}`);
  return opened.kubeConfig.makeApiClient(VersionApi).getCode();
};

let target: CountingListener;
let redirector: HttpsServer;
let redirectorPort: number;

beforeAll(async () => {
  target = await countingListener();
  // An https server that answers every request with a redirect to the counting listener.
  redirector = createHttpsServer({ cert: Buffer.from(TEST_CERT_B64, 'base64'), key: Buffer.from(TEST_KEY_B64, 'base64') }, (_req, res) => {
    res.writeHead(302, { location: `https://127.0.0.1:${target.port}/version` }).end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  redirectorPort = (redirector.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => redirector.close(resolve));
  await target.close();
});

describe('a client from a tenant kubeconfig', () => {
  it('reaches a real virtual apiserver with its inline token and CA, for requests and watches', async () => {
    const access = policy({ allowLoopback: true });
    const text = kubeconfigFile(stack.virtual[0]!);
    const opened = openTenantKubeConfig(text, access);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect((await opened.kubeConfig.makeApiClient(VersionApi).getCode()).gitVersion).toMatch(/^v1\./);
    const core = opened.kubeConfig.makeApiClient(CoreV1Api);
    const seen: string[] = [];
    const informer = new Informer<V1Namespace>(opened.kubeConfig, {
      path: '/api/v1/namespaces',
      list: () => core.listNamespace(),
      onChange: (ns) => seen.push(ns.metadata?.name ?? ''),
      onDelete: () => undefined,
    });
    await informer.start();
    try {
      await eventually(() => expect(seen).toContain('default'));
      expect(informer.hasSynced).toBe(true);
    } finally {
      await informer.stop();
    }
  });

  it.each<[string, Resolve]>([
    ['loopback', (_h, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }])],
    ['loopback behind a public address (every address is checked)', (_h, cb) => cb(null, [{ address: '192.0.2.10', family: 4 }, { address: '127.0.0.1', family: 4 }])],
    ['an IPv4-mapped IPv6 loopback', (_h, cb) => cb(null, [{ address: '::ffff:127.0.0.1', family: 6 }])],
    ['another loopback address', (_h, cb) => cb(null, [{ address: '127.0.0.53', family: 4 }])],
  ])('refuses at connect time a name whose DNS answer is %s, and connects nowhere', async (_what, resolve) => {
    const before = target.connections;
    const access = { ...policy({ allowLoopback: false, allowed: '.rebind.example' }), resolve };
    const failure = await version(access, kubeconfig(`https://vc.rebind.example:${target.port}`)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isServerRefused(failure)).toBe(true);
    expect(target.connections).toBe(before);
  });

  it('does not follow a redirect to another address, and sends it nothing', async () => {
    const before = target.connections;
    const access = policy({ allowLoopback: true });
    const failure = await version(access, kubeconfig(`https://127.0.0.1:${redirectorPort}`, ", insecure-skip-tls-verify: true")).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeDefined();
    expect(isServerRefused(failure)).toBe(true);
    expect(target.connections).toBe(before);
    expect(target.received).not.toContain('tenant-token-do-not-leak');
  });

  it('refuses the host apiserver, NATS, loopback and metadata before building a client', async () => {
    const production = await tenantAccessFrom(
      { VCLUSTER_SERVERS_ALLOWED: '', VCLUSTER_SERVERS_DENIED: '', VCLUSTER_ALLOW_LOOPBACK: false, VCLUSTER_ALLOW_INSECURE_TLS: false },
      { urls: [stack.host!.server, stack.natsUrl!], ownAddresses: true },
    );
    const development = await tenantAccessFrom(
      { VCLUSTER_SERVERS_ALLOWED: '', VCLUSTER_SERVERS_DENIED: '', VCLUSTER_ALLOW_LOOPBACK: true, VCLUSTER_ALLOW_INSECURE_TLS: false },
      { urls: [stack.host!.server, stack.natsUrl!] },
    );
    const nats = new URL(stack.natsUrl!);
    const cases: Array<[TenantAccess, string]> = [
      [development, kubeconfigFile(stack.host!)],
      [development, kubeconfig(`https://127.0.0.1:${nats.port}`)],
      [development, kubeconfig('https://169.254.169.254')],
      [production, kubeconfig(`https://127.0.0.1:${target.port}`)],
      [production, kubeconfig(`https://localhost:${target.port}`)],
      [production, kubeconfig(`https://[::1]:${target.port}`)],
      [production, kubeconfigFile(stack.virtual[0]!)],
    ];
    const before = target.connections;
    for (const [access, text] of cases) expect(openTenantKubeConfig(text, access)).toMatchObject({ ok: false, reason: 'ServerNotAllowed' });
    expect(target.connections).toBe(before);
    // The development policy still reaches the virtual apiserver, on the same address as the host's.
    await expect(version(development, kubeconfigFile(stack.virtual[0]!))).resolves.toMatchObject({ major: '1' });
  });
});
