import { randomUUID } from 'node:crypto';
import { AllocateReply, ipamSubjects, ProjectList, TenantList } from '@netbroker/contracts';
import { IpamClient, request } from '@netbroker/bus';
import { eventually } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPools, createTenant, kvKeys, problemOf, runId, startApi, type ApiUnderTest } from './harness';

const stack = inject('stack');
const run = runId();
const tenant = `bad-${run}`;
const full = `bad-full-${run}`;
const small = `bad-small-${run}`;
/** 50 characters: `<tenant>-<name>` passes 63 with a 13-character name. */
const longTenant = `bad-long-${run}-${'x'.repeat(50 - 10 - run.length)}`;

let t: ApiUnderTest;
const tokens: Record<string, string> = {};
const kept = 'keep';

/** A project the provisioner would have allocated: its block held in ipam directly. */
const taken = '10.50.0.0/24';

beforeAll(async () => {
  t = await startApi({ natsUrl: stack.natsUrl!, prefix: `bad-${run}` });
  await createPools(t, { prefixes: ['10.0.0.0/8'], presets: ['ovh-mks-free'], minPrefixLength: 16, maxPrefixLength: 28, defaultPrefixLength: 24 });
  tokens[tenant] = (await createTenant(t, tenant)).token;
  tokens[full] = (await createTenant(t, full, { quotas: { maxProjects: 1 } })).token;
  tokens[small] = (await createTenant(t, small, { quotas: { maxAddressesPerPool: { [t.pools.projects]: 256 } } })).token;
  tokens[longTenant] = (await createTenant(t, longTenant)).token;
  expect((await t.as(tokens[tenant])('POST', '/v1/projects', { body: { name: kept, prefixLength: 24, egressNetworkType: 'cloud' } })).status).toBe(202);
  expect((await t.as(tokens[full])('POST', '/v1/projects', { body: { name: 'only', egressNetworkType: 'public' } })).status).toBe(202);
  const reply = await request(
    t.nc,
    ipamSubjects.allocate,
    { v: 1, requestId: randomUUID(), pool: t.pools.projects, cidr: taken, owner: { tenant: `other-${run}`, project: 'provisioned', purpose: 'cidr' } },
    AllocateReply,
  );
  expect(reply.ok).toBe(true);
  // Every ipam replica on the shared bus has seen the allocation before the table runs.
  await eventually(async () => {
    for (let i = 0; i < 5; i++) {
      const dry = await request(
        t.nc,
        ipamSubjects.allocate,
        { v: 1, requestId: randomUUID(), pool: t.pools.projects, cidr: taken, dryRun: true, owner: { tenant, purpose: 'cidr' } },
        AllocateReply,
      );
      expect(dry.ok ? 'ok' : dry.error.reason).toBe('overlaps-allocated');
    }
  });
});
afterAll(async () => {
  await t?.stop();
});

/** Everything a bad request could have written: projects, virtual clusters, tenants, tokens, allocations. */
async function snapshot() {
  const mine = (k: string) => k.includes(run);
  return {
    projects: (await kvKeys(t.nc, 'projects')).filter(mine),
    vclusters: (await kvKeys(t.nc, 'vclusters')).filter(mine),
    tenants: TenantList.parse((await t.admin('GET', '/admin/tenants')).body).items.map((x) => `${x.name}:${JSON.stringify(x.quotas)}`).filter(mine),
    tokens: (await kvKeys(t.nc, 'tenant-tokens')).length,
    allocations: (await new IpamClient(t.nc).lookup({ pool: t.pools.projects })).map((a) => a.cidr).sort(),
    list: ProjectList.parse((await t.as(tokens[tenant])('GET', '/v1/projects')).body).items.map((p) => `${p.name}:${p.generation}`),
  };
}

interface Row {
  method?: string;
  path?: string;
  /** An object is sent as JSON, a string as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Whose token: a tenant name, 'admin', or null for none. Default: the main tenant. */
  as?: string | null;
  before?: () => Promise<void>;
}

const validKubeconfig = JSON.stringify({
  clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443' } }],
  users: [{ name: 'u', user: { token: 's3cret' } }],
  contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
  'current-context': 'x',
});
/** The valid kubeconfig with its user (or its cluster) replaced: one hostile field each. */
const withUser = (user: Record<string, unknown>) => validKubeconfig.replace('{"token":"s3cret"}', JSON.stringify(user));
const withServer = (server: string) => validKubeconfig.replace('https://127.0.0.1:6443', server);
const kubeconfigRow = (what: string, kubeconfig: string, path: string): [string, Row, number, string, string[]] => [
  `a kubeconfig with ${what}`,
  vcluster({ kubeconfig }),
  422,
  'invalid-kubeconfig',
  [path],
];
const aliasBomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');

const project = (body: unknown, more: Row = {}): Row => ({ method: 'POST', path: '/v1/projects', body, ...more });
const vcluster = (body: unknown): Row => ({ method: 'PUT', path: `/v1/projects/${kept}/vcluster`, body });
const admin = (method: string, path: string, body?: unknown): Row => ({ method, path, body, as: 'admin' });
const reusedKey = `reused-${run}`;

// [what, request, status, code, field paths listed in `errors` (when given)]
const table: Array<[string, Row, number, string, string[]?]> = [
  ['a body that is not JSON', project('{"name": "web", '), 400, 'malformed-json'],
  ['an empty JSON body', project(''), 400, 'malformed-json'],
  ['a prototype-polluting body', project('{"__proto__": {"admin": true}, "name": "web", "egressNetworkType": "cloud"}'), 400, 'malformed-json'],
  ['a JSON array instead of an object', project([]), 422, 'invalid-body', ['(root)']],
  ['a name that is a number', project({ name: 42, egressNetworkType: 'cloud' }), 422, 'invalid-body', ['name']],
  ['a missing name', project({ egressNetworkType: 'cloud' }), 422, 'invalid-body', ['name']],
  ['a missing egressNetworkType', project({ name: 'web' }), 422, 'invalid-body', ['egressNetworkType']],
  ['an unknown field', project({ name: 'web', egressNetworkType: 'cloud', colour: 'blue' }), 422, 'invalid-body', ['colour']],
  [
    'several bad fields at once, each listed',
    project({ name: 'Web', cidr: 5, egressNetworkType: 'private', extra: true }),
    422,
    'invalid-body',
    ['cidr', 'egressNetworkType', 'extra', 'name'],
  ],
  ['a name of 64 characters', project({ name: 'a'.repeat(64), egressNetworkType: 'cloud' }), 422, 'invalid-body', ['name']],
  ['a name with an underscore', project({ name: 'web_app', egressNetworkType: 'cloud' }), 422, 'invalid-body', ['name']],
  ['an upper-case name', project({ name: 'Web', egressNetworkType: 'cloud' }), 422, 'invalid-body', ['name']],
  ['a name starting with a dash', project({ name: '-web', egressNetworkType: 'cloud' }), 422, 'invalid-body', ['name']],
  ['an empty name', project({ name: '', egressNetworkType: 'cloud' }), 422, 'invalid-body', ['name']],
  ['<tenant>-<name> longer than 63', project({ name: 'a-name-of-20-chars-x', egressNetworkType: 'cloud' }, { as: longTenant }), 409, 'name-too-long', ['name']],
  ['an invalid CIDR', project({ name: 'web', cidr: '10.0.0.300/24', egressNetworkType: 'cloud' }), 422, 'invalid-body', ['cidr']],
  ['a CIDR that is not a CIDR', project({ name: 'web', cidr: 'banana', egressNetworkType: 'cloud' }), 422, 'invalid-body', ['cidr']],
  ['a CIDR with host bits', project({ name: 'web', cidr: '10.10.0.1/24', egressNetworkType: 'cloud' }), 422, 'invalid-body', ['cidr']],
  ['an IPv6 CIDR with host bits', project({ name: 'web', cidr: 'fd00::1/64', egressNetworkType: 'cloud' }), 422, 'invalid-body', ['cidr']],
  ['a CIDR in a reserved range (ovh-mks-free pods)', project({ name: 'web', cidr: '10.2.0.0/24', egressNetworkType: 'cloud' }), 409, 'overlaps-reserved'],
  ['a CIDR outside the pool', project({ name: 'web', cidr: '192.168.0.0/24', egressNetworkType: 'cloud' }), 409, 'outside-pool'],
  ['an IPv6 CIDR from an IPv4 pool', project({ name: 'web', cidr: 'fd00::/64', egressNetworkType: 'cloud' }), 409, 'wrong-family'],
  ['an IPv6 block size from an IPv4 pool', project({ name: 'web', prefixLength: 64, egressNetworkType: 'cloud' }), 409, 'prefix-too-small'],
  ["another project's CIDR", project({ name: 'web', cidr: taken, egressNetworkType: 'cloud' }), 409, 'overlaps-allocated'],
  ["a CIDR containing another project's", project({ name: 'web', cidr: '10.50.0.0/23', egressNetworkType: 'cloud' }), 409, 'overlaps-allocated'],
  ['a block larger than the pool allows', project({ name: 'web', prefixLength: 12, egressNetworkType: 'cloud' }), 409, 'prefix-too-large'],
  ['a block smaller than the pool allows', project({ name: 'web', prefixLength: 29, egressNetworkType: 'cloud' }), 409, 'prefix-too-small'],
  ['a prefix length beyond any address', project({ name: 'web', prefixLength: 200, egressNetworkType: 'cloud' }), 422, 'invalid-body', ['prefixLength']],
  ['a fractional prefix length', project({ name: 'web', prefixLength: 24.5, egressNetworkType: 'cloud' }), 422, 'invalid-body', ['prefixLength']],
  ['cidr and prefixLength together', project({ name: 'web', cidr: '10.60.0.0/24', prefixLength: 24, egressNetworkType: 'cloud' }), 422, 'invalid-body', ['cidr', 'prefixLength']],
  ['an unknown egressNetworkType', project({ name: 'web', egressNetworkType: 'private' }), 422, 'invalid-body', ['egressNetworkType']],
  ['a project beyond maxProjects', project({ name: 'second', egressNetworkType: 'cloud' }, { as: full }), 403, 'quota-exceeded'],
  ['a block beyond maxAddressesPerPool', project({ name: 'big', prefixLength: 23, egressNetworkType: 'cloud' }, { as: small }), 403, 'quota-exceeded'],
  ['an existing name', project({ name: kept, egressNetworkType: 'cloud' }), 409, 'already-exists'],
  ['no token', project({ name: 'web', egressNetworkType: 'cloud' }, { as: null }), 401, 'unauthenticated'],
  ['an invalid token', project({ name: 'web', egressNetworkType: 'cloud' }, { headers: { authorization: 'Bearer nbt_forged' } }), 401, 'unauthenticated'],
  ['a body over the limit', project(JSON.stringify({ name: 'web', egressNetworkType: 'cloud', pad: 'x'.repeat(100_000) })), 413, 'payload-too-large'],
  ['a text/plain body', project('name=web', { headers: { 'content-type': 'text/plain' } }), 415, 'unsupported-media-type'],
  ['a form body', project('name=web', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported-media-type'],
  ['a limit of 0', { method: 'GET', path: '/v1/projects?limit=0' }, 422, 'invalid-parameter', ['query.limit']],
  ['a limit that is not a number', { method: 'GET', path: '/v1/projects?limit=ten' }, 422, 'invalid-parameter', ['query.limit']],
  ['a limit above 500', { method: 'GET', path: '/v1/projects?limit=501' }, 422, 'invalid-parameter', ['query.limit']],
  ['a continue token outside its alphabet', { method: 'GET', path: '/v1/projects?continue=not%20a%20token' }, 422, 'invalid-parameter', ['query.continue']],
  ['an unknown query parameter', { method: 'GET', path: '/v1/projects?sort=desc' }, 422, 'invalid-parameter', ['query.sort']],
  ['a kubeconfig that is not YAML', vcluster({ kubeconfig: 'clusters: [' }), 422, 'invalid-kubeconfig', ['kubeconfig']],
  ['a kubeconfig without a server', vcluster({ kubeconfig: validKubeconfig.replace('"server":"https://127.0.0.1:6443"', '"x":1') }), 422, 'invalid-kubeconfig', ['kubeconfig.clusters[0].cluster.server', 'kubeconfig.clusters[0].cluster.x']],
  kubeconfigRow('an exec plugin', withUser({ token: 't', exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'sh', args: ['-c', 'touch /tmp/x'] } }), 'kubeconfig.users[0].user.exec'),
  kubeconfigRow('an auth-provider', withUser({ token: 't', 'auth-provider': { name: 'oidc', config: {} } }), 'kubeconfig.users[0].user.auth-provider'),
  kubeconfigRow('a tokenFile', withUser({ token: 't', tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' }), 'kubeconfig.users[0].user.tokenFile'),
  kubeconfigRow('a client-key path', withUser({ token: 't', 'client-key': '/etc/ssl/key.pem' }), 'kubeconfig.users[0].user.client-key'),
  kubeconfigRow('basic auth', withUser({ token: 't', password: 'admin' }), 'kubeconfig.users[0].user.password'),
  kubeconfigRow('impersonation', withUser({ token: 't', as: 'system:admin' }), 'kubeconfig.users[0].user.as'),
  kubeconfigRow('a proxy', validKubeconfig.replace('"server":', '"proxy-url":"http://169.254.169.254","server":'), 'kubeconfig.clusters[0].cluster.proxy-url'),
  kubeconfigRow('a CA file path', validKubeconfig.replace('"server":', '"certificate-authority":"/etc/passwd","server":'), 'kubeconfig.clusters[0].cluster.certificate-authority'),
  kubeconfigRow('insecure-skip-tls-verify', validKubeconfig.replace('"server":', '"insecure-skip-tls-verify":true,"server":'), 'kubeconfig.clusters[0].cluster.insecure-skip-tls-verify'),
  kubeconfigRow('the cloud metadata server', withServer('https://169.254.169.254'), 'kubeconfig.clusters[0].cluster.server'),
  kubeconfigRow('a link-local IPv6 server', withServer('https://[fe80::1]:6443'), 'kubeconfig.clusters[0].cluster.server'),
  kubeconfigRow('a plain http server', withServer('http://vc.example.com'), 'kubeconfig.clusters[0].cluster.server'),
  kubeconfigRow('a look-alike exec key', withUser({ token: 't', 'ex\u0435c': { command: 'sh' } }), 'kubeconfig.users[0].user.ex\u0435c'),
  kubeconfigRow('a YAML alias bomb', aliasBomb, 'kubeconfig'),
  kubeconfigRow('two contexts of the same name', validKubeconfig.replace('"contexts":[', '"contexts":[{"name":"x","context":{"cluster":"c","user":"u"}},'), 'kubeconfig.contexts[1].name'),
  ['a kubeconfig larger than the body limit', vcluster({ kubeconfig: `${validKubeconfig}\n#${'x'.repeat(70_000)}` }), 413, 'payload-too-large'],
  ['a kubeconfig without a current context', vcluster({ kubeconfig: validKubeconfig.replace('"current-context":"x"', '"current-context":""') }), 422, 'invalid-kubeconfig'],
  ['both kubeconfig and secretRef', vcluster({ kubeconfig: validKubeconfig, secretRef: { name: 'vc' } }), 422, 'invalid-body', ['(root)']],
  ['neither kubeconfig nor secretRef', vcluster({ options: { syncIngresses: true } }), 422, 'invalid-body', ['(root)']],
  ['a secretRef with an invalid name', vcluster({ secretRef: { name: 'Not_Valid' } }), 422, 'invalid-body', ['secretRef.name']],
  ['a vcluster option of the wrong type', vcluster({ secretRef: { name: 'vc' }, options: { syncIngresses: 'yes' } }), 422, 'invalid-body', ['options.syncIngresses']],
  ['a vcluster for a missing project', { method: 'PUT', path: '/v1/projects/missing/vcluster', body: { secretRef: { name: 'vc' } } }, 404, 'not-found'],
  [
    'an Idempotency-Key reused with another body',
    project(
      { name: 'web', egressNetworkType: 'public' },
      {
        headers: { 'idempotency-key': reusedKey },
        before: async () => {
          const first = await t.as(tokens[tenant])('POST', '/v1/projects', { body: { name: 'Bad', egressNetworkType: 'cloud' }, headers: { 'idempotency-key': reusedKey } });
          expect(first.status).toBe(422);
        },
      },
    ),
    409,
    'idempotency-key-reused',
  ],
  ['an Idempotency-Key of 300 characters', project({ name: 'web', egressNetworkType: 'cloud' }, { headers: { 'idempotency-key': 'k'.repeat(300) } }), 422, 'invalid-parameter'],
  ['admin: a tenant name with an underscore', admin('POST', '/admin/tenants', { name: 'bad_name' }), 422, 'invalid-body', ['name']],
  ['admin: a tenant name of 62 characters', admin('POST', '/admin/tenants', { name: 'a'.repeat(62) }), 422, 'invalid-body', ['name']],
  ['admin: a duplicate tenant', admin('POST', '/admin/tenants', { name: tenant }), 409, 'already-exists'],
  ['admin: a negative quota', admin('POST', '/admin/tenants', { name: `neg-${run}`, quotas: { maxProjects: -1 } }), 422, 'invalid-body', ['quotas.maxProjects']],
  ['admin: an unknown quota', admin('PATCH', `/admin/tenants/${tenant}`, { quotas: { maxPods: 3 } }), 422, 'invalid-body', ['quotas.maxPods']],
  [
    'admin: an address quota keyed by something that cannot be a pool name',
    admin('PATCH', `/admin/tenants/${tenant}`, { quotas: { maxAddressesPerPool: { Not_A_Pool: 4 } } }),
    422,
    'invalid-body',
    ['quotas.maxAddressesPerPool.Not_A_Pool'],
  ],
  ['admin: a token without a name', admin('POST', `/admin/tenants/${tenant}/tokens`, {}), 422, 'invalid-body', ['name']],
  ['admin: a token for a missing tenant', admin('POST', `/admin/tenants/missing-${run}/tokens`, { name: 'x' }), 404, 'not-found'],
  ['admin: deleting a tenant that has projects', admin('DELETE', `/admin/tenants/${full}`), 409, 'tenant-not-empty'],
  ['admin: a pool prefix that is not a CIDR', admin('PUT', `/admin/pools/bad-${run}-refused`, { kind: 'prefix', prefixes: ['10.0.0.0/33'] }), 422, 'invalid-body', ['prefixes.0']],
  ['admin: a pool range with a host name', admin('PUT', `/admin/pools/bad-${run}-range`, { kind: 'address', ranges: [{ start: 'localhost', end: '10.0.0.9' }] }), 422, 'invalid-body', ['ranges.0.start']],
  [
    'admin: a pool the ipam refuses as a whole (bounds crossed)',
    admin('PUT', `/admin/pools/bad-${run}-bounds`, { kind: 'prefix', prefixes: ['10.0.0.0/8'], minPrefixLength: 28, maxPrefixLength: 16 }),
    422,
    'invalid-request',
  ],
  ['admin: a pool of two families', admin('PUT', `/admin/pools/bad-${run}-mixed`, { kind: 'prefix', prefixes: ['10.0.0.0/8', 'fd00::/8'] }), 422, 'invalid-request'],
  ['admin: a pool of an unknown kind', admin('PUT', `/admin/pools/bad-${run}-kind`, { kind: 'bogus' }), 422, 'invalid-body', ['kind']],
  ['admin: a pool with an unknown preset', admin('PUT', `/admin/pools/bad-${run}-preset`, { kind: 'prefix', presets: ['aws'] }), 422, 'invalid-body', ['presets.0']],
  ['admin: an invalid pool name', admin('PUT', '/admin/pools/Bad_Pool', { kind: 'prefix', prefixes: ['10.0.0.0/8'] }), 422, 'invalid-parameter', ['path.pool']],
  ['admin: shrinking a pool under its allocations', admin('PUT', `/admin/pools/bad-${run}-projects`, { kind: 'prefix', prefixes: ['10.0.0.0/16'] }), 409, 'pool-in-use'],
  ['an unknown route', { method: 'POST', path: '/v1/projectz', body: {} }, 404, 'not-found'],
  ['a known path with another method', { method: 'PATCH', path: '/v1/projects', body: {} }, 405, 'method-not-allowed'],
  ['a path segment over 100 characters', { method: 'GET', path: `/v1/projects/${'a'.repeat(101)}` }, 414, 'uri-too-long'],
  ['a path segment that is not percent-encoded right', { method: 'GET', path: '/v1/projects/%zz' }, 400, 'bad-request'],
];

describe('bad input', () => {
  let before: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    before = await snapshot();
    expect(before.list).toEqual([`${kept}:1`]);
    expect(before.allocations).toEqual([taken]);
  });

  it('has a table of at least 30 malformed requests', () => {
    expect(table.length).toBeGreaterThanOrEqual(30);
  });

  it.each(table)('%s → %i %s', async (_what, row, status, code, paths) => {
    await row.before?.();
    const token = row.as === null ? undefined : row.as === 'admin' ? t.adminToken : tokens[row.as ?? tenant];
    const res = await t.as(token)(row.method ?? 'POST', row.path ?? '/v1/projects', { body: row.body, ...(row.headers ? { headers: row.headers } : {}) });
    const problem = problemOf(res);
    expect({ status: res.status, code: problem.code }).toEqual({ status, code });
    expect(problem).toMatchObject({ status, type: `https://netbroker.dev/problems/${code}` });
    expect(problem.title.length).toBeGreaterThan(3);
    expect(problem.detail.length).toBeGreaterThan(3);
    if (paths) expect([...new Set(problem.errors?.map((e) => e.path))].sort()).toEqual(paths);
    expect(await snapshot()).toEqual(before);
  });

  it('wrote nothing, and the process is healthy and still serves good requests', async () => {
    expect(await snapshot()).toEqual(before);
    expect((await fetch(`${t.api.opsUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.api.opsUrl}/readyz`)).status).toBe(200);
    expect(t.api.proc.running).toBe(true);
    const good = await t.as(tokens[tenant])('POST', '/v1/projects', { body: { name: 'after', cidr: '10.60.0.0/24', egressNetworkType: 'cloud' } });
    expect(good.status).toBe(202);
  });
});
