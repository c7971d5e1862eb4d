import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CreatedToken } from '@netbroker/contracts';
import { eventually, freePort, imageNodeDir, kubeconfigFile, ownedTempDir, repoRoot, startPrivatePlatform, type PrivatePlatform } from '@netbroker/testing';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bundleCli } from '../src/bundle';
import { checkRequest, type OpenApiDocument } from './openapi-check';
import { startRecordingProxy, type Exchange, type RecordingProxy } from './recording-proxy';
import { loginChecks, requestsOf, samples } from './samples';

// The CLI as a user runs it: a child process (`node --import tsx cli/src/main.ts …`) with a home
// and config file of its own, against a real api, ipam, provisioner and router on a nats-server of
// this file's own (startPrivatePlatform) and the shared host apiserver. Each case asserts the exit
// code and what the CLI printed; no case looks inside the services.

const stack = inject('stack');
const suffix = randomUUID().slice(0, 6);
const A = `clia${suffix}`;
const B = `clib${suffix}`;
const pools = [
  { name: 'projects', kind: 'prefix', prefixes: ['10.182.0.0/16'], defaultPrefixLength: 24 },
  { name: 'egress-cloud', kind: 'address', ranges: [{ start: '100.68.0.10', end: '100.68.0.250' }] },
  // One address: the second public project cannot get one (EgressReady=False, phase Failed).
  { name: 'egress-public', kind: 'address', ranges: [{ start: '198.51.102.7', end: '198.51.102.7' }] },
  { name: 'links', kind: 'prefix', prefixes: ['198.18.4.0/24'], defaultPrefixLength: 30 },
];

let platform: PrivatePlatform;
let api: string;
let home: string;
let configFile: string;
const tokens: Record<string, string> = {};
/** Tokens the admin tests created and printed on purpose (create token): left out of the check that no token was printed. */
const issued: string[] = [];
/** Everything the CLI printed in this file: no token may be in it. */
const printed: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** How the CLI is started: the sources through tsx (default), or a bundle with a given node. */
interface Runner {
  node: string;
  args: string[];
  cwd: string;
}
const fromSources: Runner = { node: process.execPath, args: ['--import', 'tsx', join(repoRoot, 'cli/src/main.ts')], cwd: repoRoot };

/** Runs the CLI; `env` adds to a clean environment (HOME and NETBROKER_CONFIG of this file). */
function cli(args: string[], opts: { env?: Record<string, string>; stdin?: string; runner?: Runner } = {}): Promise<Run> {
  const runner = opts.runner ?? fromSources;
  return new Promise((resolve, reject) => {
    const child = spawn(runner.node, [...runner.args, ...args], {
      cwd: runner.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NETBROKER_CONFIG: configFile, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      printed.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Runs the CLI and expects the exit code (the output in the message when it differs). */
async function expectRun(args: string[], code: number, opts: Parameters<typeof cli>[1] = {}): Promise<Run> {
  const run = await cli(args, opts);
  expect(run.code, `netbroker ${args.join(' ')}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`).toBe(code);
  return run;
}

beforeAll(async () => {
  home = ownedTempDir('netbroker-cli-');
  configFile = join(home, 'config', 'netbroker', 'config.json');
  platform = await startPrivatePlatform({ name: `cli-${suffix}`, host: stack.host!, pools, provisioner: true });
  await platform.start('router', `router-cli-${suffix}`, { BACKENDS: 'linux', LINK_POOL: 'links', HOST_SERVICE_CIDRS: '10.96.0.0/16', LOG_LEVEL: 'warn' });
  for (const tenant of [A, B]) {
    expect((await platform.call('POST', '/admin/tenants', { name: tenant })).status).toBe(201);
    tokens[tenant] = CreatedToken.parse((await platform.call('POST', `/admin/tenants/${tenant}/tokens`, { name: 'cli' })).body).token;
  }
  api = platform.apiUrl;
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('contexts', () => {
  it('logs in with a token file: a 0600 config file in a 0700 directory, the token nowhere in the output', async () => {
    const tokenFile = join(home, 'token-a');
    writeFileSync(tokenFile, `${tokens[A]}\n`, { mode: 0o600 });
    const run = await expectRun(['login', '--api', api, '--token-file', tokenFile, '--context', 'a'], 0);
    expect(run.stdout).toBe(`context "a" (${api}) saved in ${configFile}; it is the current context\n`);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, 'config', 'netbroker')).mode & 0o777).toBe(0o700);
  });

  it('logs in a second context from stdin, and switches between them', async () => {
    await expectRun(['login', '--api', `${api}/`, '--token-file', '-', '--context', 'b'], 0, { stdin: tokens[B] });
    const listed = await expectRun(['config', 'get-contexts'], 0);
    expect(listed.stdout).toBe(`CURRENT   NAME   API\n          a      ${api}\n*         b      ${api}\n`);
    expect((await expectRun(['config', 'current-context'], 0)).stdout).toBe('b\n');
    await expectRun(['config', 'use-context', 'a'], 0);
    expect(JSON.parse((await expectRun(['config', 'get-contexts', '-o', 'json'], 0)).stdout)).toEqual({
      currentContext: 'a',
      contexts: [
        { name: 'a', api, current: true },
        { name: 'b', api, current: false },
      ],
    });
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['a wrong token: refused, nothing saved', ['login', '--api', 'API', '--token', 'nbt_wrong', '--context', 'x'], 1, /^error: unauthenticated: /],
    ['no token at all', ['login', '--api', 'API', '--context', 'x'], 2, /^error: login needs --token-file FILE/],
    ['an API nobody answers at', ['login', '--api', 'http://127.0.0.1:CLOSED', '--token', 'nbt_x', '--context', 'x'], 4, /^error: unavailable: GET http:\/\/127\.0\.0\.1:\d+\/v1\/projects: ECONNREFUSED/],
    ['an unknown context', ['config', 'use-context', 'nope'], 2, /^error: no context "nope"/],
  ])('login and config: %s', async (_name, args, code, stderr) => {
    const closed = String(await freePort());
    const run = await expectRun(
      args.map((a) => a.replace('API', api).replace('CLOSED', closed)),
      code,
    );
    expect(run.stderr).toMatch(stderr);
    const { contexts } = JSON.parse((await expectRun(['config', 'get-contexts', '-o', 'json'], 0)).stdout) as { contexts: Array<{ name: string }> };
    expect(contexts.map((c) => c.name)).toEqual(['a', 'b']);
  });
});

let web: { cidr: string };
describe('projects', () => {
  it('creates a project and waits until it is Ready: progress on stderr, the project on stdout', async () => {
    const run = await expectRun(['create', 'project', 'web', '--egress', 'cloud', '--wait', '-o', 'json'], 0);
    const project = JSON.parse(run.stdout) as { name: string; status: { phase: string; cidr: string; namespace: string } };
    expect(project).toMatchObject({ name: 'web', status: { phase: 'Ready', namespace: `${A}-web` } });
    expect(project.status.cidr).toMatch(/^10\.182\.\d+\.0\/24$/);
    expect(run.stderr).toMatch(/^project web: (Pending|Ready)/);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toMatch(/^project web: Ready \(CidrAllocated=True EgressReady=True NamespaceReady=True\)$/);
    web = { cidr: project.status.cidr };
  });

  it.each<[string, string[], number, RegExp | string, RegExp | string]>([
    ['lists the projects as a table', ['get', 'projects'], 0, /^NAME +PHASE +CIDR +EGRESS IP +NAMESPACE +REASON +AGE\nweb +Ready +10\.182\.\d+\.0\/24 +100\.68\.0\.\d+ +clia\w+-web +\d+s\n$/, ''],
    ['shows one project as YAML', ['get', 'project', 'web', '-o', 'yaml'], 0, /^name: web\ntenant: clia/, ''],
    ['404: a project that does not exist', ['get', 'project', 'nope'], 3, '', /^error: not-found: .*nope.*\n$/],
    ['404: the same for delete', ['delete', 'project', 'nope'], 3, '', /^error: not-found: /],
    [
      '422: a CIDR with host bits, the field named',
      ['create', 'project', 'bad', '--egress', 'cloud', '--cidr', '10.182.200.1/24'],
      1,
      '',
      /^error: invalid-body: the body does not match the schema: cidr\n {2}cidr: .+\n$/,
    ],
    ['422: a name that is not a DNS label', ['create', 'project', 'Not_A_Name', '--egress', 'cloud'], 1, '', /^error: invalid-body: .*\n {2}name: /],
    ['409: the name is taken', ['create', 'project', 'web', '--egress', 'cloud'], 1, '', /^error: already-exists: project web already exists\n$/],
    ['409: the CIDR is taken', ['create', 'project', 'clash', '--egress', 'cloud', '--cidr', 'WEB_CIDR'], 1, '', /^error: overlaps-allocated: /],
    ['usage: an unknown flag, before any request', ['get', 'projects', '--bogus'], 2, '', /^error: Unknown option '--bogus'/],
  ])('%s', async (_name, args, code, stdout, stderr) => {
    const run = await expectRun(
      args.map((a) => a.replace('WEB_CIDR', web.cidr)),
      code,
    );
    if (typeof stdout === 'string') expect(run.stdout).toBe(stdout);
    else expect(run.stdout).toMatch(stdout);
    if (typeof stderr === 'string') expect(run.stderr).toBe(stderr);
    else expect(run.stderr).toMatch(stderr);
  });

  it('parses as the API answered', async () => {
    const yaml = parseYaml((await expectRun(['get', 'projects', '-o', 'yaml'], 0)).stdout) as { items: Array<{ name: string }> };
    expect(yaml.items.map((p) => p.name)).toEqual(['web']);
  });

  it("answers 404 for another tenant's project, as for one that does not exist", async () => {
    const run = await expectRun(['--context', 'b', 'get', 'project', 'web'], 3);
    expect(run.stderr).toMatch(/^error: not-found: /);
    await expectRun(['--context', 'b', 'delete', 'project', 'web'], 3);
    const empty = await expectRun(['--context', 'b', 'get', 'projects'], 0);
    expect(empty).toMatchObject({ stdout: '', stderr: 'No projects found.\n' });
  });

  it('waits for a project that fails, and ends with 5 saying why', async () => {
    await expectRun(['create', 'project', 'pub1', '--egress', 'public', '--wait'], 0);
    const run = await expectRun(['create', 'project', 'pub2', '--egress', 'public', '--wait', '--timeout', '60s'], 5);
    expect(run.stdout).toBe('project/pub2 created\n');
    expect(run.stderr).toMatch(/error: project pub2 is Failed\n {2}EgressReady: Exhausted: .+\n$/);
    expect((await expectRun(['get', 'project', 'pub2'], 0)).stdout).toMatch(/\npub2 +Failed +10\.182\.\d+\.0\/24 +clia\w+-pub2 +EgressReady: Exhausted +\d+s\n$/);
  });

  it('gives up waiting at the time-out, with 5', async () => {
    const run = await expectRun(['create', 'project', 'slow', '--egress', 'cloud', '--wait', '--timeout', '1ms'], 5);
    expect(run.stderr).toMatch(/error: timed out after 1ms waiting for project slow to be Ready\n {2}last: project slow: Pending/);
  });

  it('requests a deletion; once the provisioner is done, the project is not found', async () => {
    expect((await expectRun(['delete', 'project', 'pub2'], 0)).stdout).toBe('project/pub2 deletion requested\n');
    await eventually(async () => expect((await cli(['get', 'project', 'pub2'])).code).toBe(3), { timeoutMs: 30_000 });
  });
});

describe('routes and peerings', () => {
  it('adds and removes a static route, and refuses one whose next hop is on no connected network (422, the route named)', async () => {
    const nexthop = web.cidr.replace(/0\/24$/, '10');
    const added = await expectRun(['add', 'route', '--project', 'web', '172.20.0.0/16', 'via', nexthop], 0);
    expect(added.stdout).toBe(`DESTINATION     NEXTHOP\n172.20.0.0/16   ${nexthop}\n`);
    expect(JSON.parse((await expectRun(['get', 'routes', '--project', 'web', '-o', 'json'], 0)).stdout)).toEqual({ routes: [{ destination: '172.20.0.0/16', nexthop }], attachments: [] });
    const refused = await expectRun(['add', 'route', '--project', 'web', '172.21.0.0/16', 'via', nexthop, '172.22.0.0/16', 'via', '192.0.2.1'], 1);
    expect(refused.stderr).toMatch(/^error: nexthop-not-connected: .+\n {2}routes\.1: .+\n$/);
    expect((await expectRun(['remove', 'route', '--project', 'web', '172.20.0.0/16', 'via', nexthop], 0)).stdout).toBe('DESTINATION   NEXTHOP\n');
    await expectRun(['get', 'routes', '--project', 'nope'], 3);
  });

  it('replaces the static routes with a list, then with none', async () => {
    const [first, second] = [web.cidr.replace(/0\/24$/, '11'), web.cidr.replace(/0\/24$/, '12')];
    const replaced = await expectRun(['replace', 'routes', '--project', 'web', '172.23.0.0/16', 'via', first, '172.24.0.0/16', 'via', second], 0);
    expect(replaced.stdout).toBe(`DESTINATION     NEXTHOP\n172.23.0.0/16   ${first}\n172.24.0.0/16   ${second}\n`);
    expect(JSON.parse((await expectRun(['replace', 'routes', '--project', 'web', '172.23.0.0/16', 'via', second, '-o', 'json'], 0)).stdout)).toEqual({
      routes: [{ destination: '172.23.0.0/16', nexthop: second }],
      attachments: [],
    });
    expect((await expectRun(['replace', 'routes', '--project', 'web', '172.25.0.0/16', 'via', '192.0.2.1'], 1)).stderr).toMatch(/^error: nexthop-not-connected: .+\n {2}routes\.0: .+\n$/);
    expect((await expectRun(['replace', 'routes', '--project', 'web', '--none'], 0)).stdout).toBe('DESTINATION   NEXTHOP\n');
    await expectRun(['replace', 'routes', '--project', 'nope', '--none'], 3);
  });

  it("peers with another tenant's project: pending until that tenant accepts", async () => {
    await expectRun(['--context', 'b', 'create', 'project', 'db', '--egress', 'cloud', '--wait'], 0);
    const created = await expectRun(['create', 'peering', '--project', 'web', '--peer', `${B}/db`, '-o', 'json'], 0);
    const peering = JSON.parse(created.stdout) as { id: string; state: string };
    expect(peering.state).toBe('PendingAcceptance');
    expect((await expectRun(['--context', 'b', 'get', 'peerings'], 0)).stdout).toMatch(new RegExp(`\\n${peering.id} +${A}/web +${B}/db +PendingAcceptance +\\d+s\\n$`));
    expect((await expectRun(['accept', 'peering', peering.id], 1)).stderr).toMatch(/^error: not-acceptable: /);
    // Accepted; no router-agent runs here, so it stays Programming: --wait gives up at its time-out.
    const accepted = await expectRun(['--context', 'b', 'accept', 'peering', peering.id, '--wait', '--timeout', '2s'], 5);
    expect(accepted.stdout).toBe(`peering/${peering.id} accepted (Programming)\n`);
    expect(accepted.stderr).toMatch(new RegExp(`error: timed out after 2s waiting for peering ${peering.id} to be Active\n {2}last: peering ${peering.id}: Programming \\(.*NoAgent.*\\)\n$`));
    expect((await expectRun(['get', 'peering', peering.id, '-o', 'json'], 0)).stdout).toMatch(/"state": "Programming"/);
    expect((await expectRun(['delete', 'peering', peering.id], 0)).stdout).toBe(`peering/${peering.id} deletion requested\n`);
    await expectRun(['get', 'peering', 'pr-000000000000'], 3);
  });
});

describe('virtual cluster registration', () => {
  it('registers from a kubeconfig file (never printed), shows it sealed, and deregisters', async () => {
    const file = join(home, 'virtual.kubeconfig');
    const text = kubeconfigFile(stack.virtual[0]!);
    const credential = stack.virtual[0]!.tokens.admin!;
    expect(text).toContain(credential);
    writeFileSync(file, text, { mode: 0o600 });
    expect((await expectRun(['register', 'vcluster', '--project', 'web', '--kubeconfig', file, '--name', `v${suffix}`], 0)).stdout).toBe('vcluster of project web registered\n');
    expect((await expectRun(['get', 'vcluster', '--project', 'web'], 0)).stdout).toMatch(new RegExp(`^PROJECT .+\\nweb +v${suffix} +kubeconfig \\(sealed\\) +1 `));
    expect((await expectRun(['delete', 'vcluster', '--project', 'web'], 0)).stdout).toBe('vcluster of project web deregistered\n');
    expect(printed.join('')).not.toContain(credential);
  });

  it('refuses a kubeconfig that runs a program (422, the field and the reason)', async () => {
    const file = join(home, 'exec.kubeconfig');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://10.1.2.3:6443"}}]\nusers: [{name: u, user: {exec: {command: /bin/sh, apiVersion: client.authentication.k8s.io/v1}}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n',
    );
    const run = await expectRun(['register', 'vcluster', '--project', 'web', '--kubeconfig', file], 1);
    expect(run.stderr).toMatch(/^error: invalid-kubeconfig: .+\n(.*\n)* {2}kubeconfig\.users\[0\]\.user\.exec: .+ \[forbidden-field\]\n/);
    expect((await expectRun(['register', 'vcluster', '--project', 'web', '--kubeconfig', join(home, 'missing')], 2)).stderr).toMatch(/^error: cannot read .+missing: ENOENT/);
  });
});

describe('what projects share: mappings, exposures, grants, imports', () => {
  it('creates a Service mapping (again: the same one), shows it, and deletes it', async () => {
    const args = ['create', 'mapping', '--project', 'web', '--direction', 'fromVirtual', '--from', 'default/api', '--to', 'api-public'];
    const created = await expectRun(args, 0);
    expect(created.stdout).toMatch(/^ID +DIRECTION +FROM +TO +READY +REASON +AGE\nm[0-9a-f]{16} +fromVirtual +default\/api +api-public +no +Pending +\d+s\n$/);
    const id = /\n(m[0-9a-f]{16}) /.exec(created.stdout)![1]!;
    expect((await expectRun(args, 0)).stdout).toContain(`\n${id} `);
    expect(JSON.parse((await expectRun(['get', 'mapping', id, '--project', 'web', '-o', 'json'], 0)).stdout)).toMatchObject({ id, direction: 'fromVirtual', from: 'default/api', to: 'api-public' });
    const values = join(home, 'values.yaml');
    writeFileSync(values, 'mapServices:\n  fromHost:\n    - from: db\n      to: default/db\n');
    expect((await expectRun(['create', 'mapping', '--project', 'web', '--values', values], 0)).stdout).toMatch(new RegExp(`\\nm[0-9a-f]{16} +fromHost +${A}-web/db +default/db +no +Pending +\\d+s\\n$`));
    expect((await expectRun(['get', 'mappings', '--project', 'web'], 0)).stdout.trimEnd().split('\n')).toHaveLength(3);
    expect((await expectRun(['delete', 'mapping', id, '--project', 'web'], 0)).stdout).toBe(`mapping/${id} deletion requested\n`);
    expect((await expectRun(['get', 'mapping', id, '--project', 'web'], 3)).stderr).toMatch(/^error: not-found: /);
  });

  it('waits for a mapping nobody maps (no mapper here): Pending until the time-out, exit 5', async () => {
    const run = await expectRun(['create', 'mapping', '--project', 'web', '--direction', 'fromVirtual', '--from', 'default/waited', '--to', 'waited', '--wait', '--timeout', '2s'], 5);
    const id = /\n(m[0-9a-f]{16}) /.exec(run.stdout)![1]!;
    const pending = `mapping ${id}: not ready (Pending: the mapper has not reconciled this mapping yet)`;
    expect(run.stderr).toBe(`${pending}\nerror: timed out after 2s waiting for mapping ${id} to be ready\n  last: ${pending}\n`);
    await expectRun(['delete', 'mapping', id, '--project', 'web'], 0);
  });

  it("exposes a Service to another tenant's project, which accepts; revoked, granted again, declined", async () => {
    const pg = ['--project', 'web', '--exposure', 'pg'];
    const created = await expectRun(['create', 'exposure', 'pg', '--project', 'web', '--service', 'default/postgres', '--ports', '5432', '--grants', `${B}/db`], 0);
    expect(created.stdout).toBe('exposure/pg created\n');
    expect((await expectRun(['get', 'exposures', '--project', 'web'], 0)).stdout).toMatch(new RegExp(`\\npg +default/postgres +5432/TCP +cloud +${B}/db\\(pending\\) +no +Pending +\\d+s\\n$`));
    expect((await expectRun(['get', 'grants', '--project', 'web'], 0)).stdout).toMatch(new RegExp(`^EXPOSURE +CONSUMER +STATE +GRANTED +ACCEPTED\\npg +${B}/db +pending +\\d+s\\n$`));
    const offers = await expectRun(['--context', 'b', 'get', 'imports', '--project', 'db'], 0);
    expect(offers.stdout).toMatch(new RegExp(`^IMPORT .+\\n${A}/web/pg +pending +pg-ext +5432/TCP +no +AwaitingAcceptance\\n$`));
    expect((await expectRun(['--context', 'b', 'accept', 'import', `${A}/web/pg`, '--project', 'db'], 0)).stdout).toBe(`import/${A}/web/pg accepted (Pending)\n`);
    expect((await expectRun(['get', 'grants', ...pg], 0)).stdout).toMatch(new RegExp(`\\npg +${B}/db +accepted +\\d+s +\\d+s\\n$`));
    expect((await expectRun(['create', 'grant', `${B}/db`, ...pg], 0)).stdout).toBe(`grant of exposure/pg to ${B}/db: accepted\n`);
    expect((await expectRun(['delete', 'grant', `${B}/db`, ...pg], 0)).stdout).toBe(`grant of exposure/pg to ${B}/db revoked\n`);
    expect(await expectRun(['--context', 'b', 'get', 'imports', '--project', 'db'], 0)).toMatchObject({ stdout: '', stderr: 'No imports found.\n' });
    expect((await expectRun(['create', 'grant', `${B}/db`, ...pg], 0)).stdout).toBe(`grant of exposure/pg to ${B}/db: pending\n`);
    expect((await expectRun(['--context', 'b', 'decline', 'import', `${A}/web/pg`, '--project', 'db'], 0)).stdout).toBe(`import/${A}/web/pg declined\n`);
    expect(await expectRun(['get', 'grants', '--project', 'web'], 0)).toMatchObject({ stdout: '', stderr: 'No grants found.\n' });
    expect((await expectRun(['create', 'exposure', 'pg', '--project', 'web', '--service', 'default/postgres', '--ports', '5433'], 1)).stderr).toBe('error: already-exists: exposure pg already exists\n');
    expect((await expectRun(['delete', 'exposure', 'pg', '--project', 'web'], 0)).stdout).toBe('exposure/pg deletion requested\n');
    await expectRun(['get', 'exposure', 'pg', '--project', 'web'], 3);
  });

  it.each<[string, string[], number, RegExp]>([
    ['422: a fromVirtual source that is not namespace/name', ['create', 'mapping', '--project', 'web', '--direction', 'fromVirtual', '--from', 'api', '--to', 'x'], 1, /^error: invalid-body: .*\n {2}from: /],
    ['403: a host namespace not on the allowlist', ['create', 'mapping', '--project', 'web', '--direction', 'fromHost', '--from', 'kube-system/dns', '--to', 'default/dns'], 1, /^error: import-not-allowed: /],
    ["404: another tenant's project", ['--context', 'b', 'get', 'mappings', '--project', 'web'], 3, /^error: not-found: /],
    ['usage: a mapping without its parts', ['create', 'mapping', '--project', 'web', '--from', 'a'], 2, /needs --direction, --from and --to/],
    ['422: a port out of range, the field named', ['create', 'exposure', '--project', 'web', '--service', 'db', '--ports', '70000'], 1, /^error: invalid-body: .*\n {2}ports\.0\.port: /],
    ['409: a project granted its own exposure', ['create', 'exposure', 'self', '--project', 'web', '--service', 'db', '--ports', '80', '--grants', 'web'], 1, /^error: self-grant: /],
    ['404: an import never offered', ['--context', 'b', 'accept', 'import', 'TENANT_A/web/nope', '--project', 'db'], 3, /^error: not-found: /],
    ["404: an exposure of another tenant's project", ['--context', 'b', 'get', 'exposure', 'pg', '--project', 'web'], 3, /^error: not-found: /],
    ['usage: a consumer without its tenant, nothing sent', ['delete', 'grant', 'db', '--project', 'web', '--exposure', 'pg'], 2, /^error: give the consumer as TENANT\/PROJECT/],
  ])('%s', async (_name, args, code, stderr) => {
    const run = await expectRun(
      args.map((a) => a.replace('TENANT_A', A)),
      code,
    );
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(stderr);
  });
});

describe("the admin's commands", () => {
  const admin = ['--context', 'admin'];
  const T = `clic${suffix}`;

  it('logs in with the admin token, told apart by the API; a tenant token cannot run admin commands, nor the admin token tenant ones', async () => {
    const run = await expectRun(['login', '--api', api, '--token-file', '-', '--context', 'admin'], 0, { stdin: platform.adminToken });
    expect(run.stdout).toBe(`context "admin" (${api}, admin token) saved in ${configFile}; it is the current context\n`);
    await expectRun(['config', 'use-context', 'a'], 0);
    expect((await expectRun(['get', 'tenants'], 1)).stderr).toBe('error: forbidden: this route needs the admin token\n');
    expect((await expectRun([...admin, 'get', 'projects'], 1)).stderr).toMatch(/^error: forbidden: /);
  });

  it('creates a tenant and a token for it (alone on stdout, once), lists and revokes it, deletes the tenant', async () => {
    expect((await expectRun([...admin, 'create', 'tenant', T, '--display-name', 'CLI test', '--max-projects', '3'], 0)).stdout).toBe(`tenant/${T} created\n`);
    expect((await expectRun([...admin, 'get', 'tenant', T], 0)).stdout).toMatch(new RegExp(`^NAME +DISPLAY NAME +MAX PROJECTS +PROJECT POOL +AGE\\n${T} +CLI test +3 +\\d+s\\n$`));
    expect((await expectRun([...admin, 'get', 'tenants', '-o', 'json'], 0)).stdout).toContain(`"name": "${T}"`);
    const created = await expectRun([...admin, 'create', 'token', 'ci', '--tenant', T], 0);
    expect(created.stdout).toMatch(/^nbt_[A-Za-z0-9_-]+\n$/);
    expect(created.stderr).toMatch(new RegExp(`^token tok_[0-9a-f]{16} of tenant ${T} created; the token \\(on stdout\\) is shown this once: store it now\\n$`));
    const token = created.stdout.trim();
    const id = /^token (tok_[0-9a-f]{16})/.exec(created.stderr)![1]!;
    const second = CreatedToken.parse(JSON.parse((await expectRun([...admin, 'create', 'token', 'ci2', '--tenant', T, '-o', 'json'], 0)).stdout));
    expect(second.token).toMatch(/^nbt_/);
    issued.push(token, second.token);
    const listed = await expectRun([...admin, 'get', 'tokens', '--tenant', T], 0);
    expect(listed.stdout).toMatch(/^ID +NAME +AGE\n(tok_[0-9a-f]{16} +ci2? +\d+s\n){2}$/);
    expect(listed.stdout).not.toContain(token);

    const env = { NETBROKER_API: api, NETBROKER_TOKEN: token, NETBROKER_CONFIG: join(home, 'none.json') };
    expect(await expectRun(['get', 'projects'], 0, { env })).toMatchObject({ stdout: '', stderr: 'No projects found.\n' });
    expect((await expectRun([...admin, 'delete', 'token', id, '--tenant', T], 0)).stdout).toBe(`token/${id} revoked\n`);
    expect((await expectRun(['get', 'projects'], 1, { env })).stderr).toMatch(/^error: unauthenticated: /);
    expect((await expectRun([...admin, 'delete', 'token', id, '--tenant', T], 3)).stderr).toMatch(/^error: not-found: /);
    const updated = await expectRun([...admin, 'update', 'tenant', T, '--display-name=', '--max-projects', '5', '--hostname-suffixes', 'cli.example.com'], 0);
    expect(updated.stdout).toMatch(new RegExp(`^NAME +DISPLAY NAME +MAX PROJECTS +PROJECT POOL +AGE\\n${T} +5 +\\d+s\\n$`));
    expect(JSON.parse((await expectRun([...admin, 'get', 'tenant', T, '-o', 'json'], 0)).stdout)).toMatchObject({ quotas: { maxProjects: 5 }, hostnameSuffixes: ['cli.example.com'] });
    expect((await expectRun([...admin, 'update', 'tenant', T, '--hostname-suffixes', 'Not_A_Name'], 1)).stderr).toMatch(/^error: invalid-body: .+\n {2}hostnameSuffixes\.0: /);
    expect((await expectRun([...admin, 'update', 'tenant', `${T}x`, '--max-projects', '1'], 3)).stderr).toMatch(/^error: not-found: /);
    expect((await expectRun([...admin, 'delete', 'tenant', T], 0)).stdout).toBe(`tenant/${T} deleted\n`);
    await expectRun([...admin, 'get', 'tenant', T], 3);
    await expectRun([...admin, 'get', 'tokens', '--tenant', T], 3);
  });

  it('puts an address pool from flags and from a file, shows it, refuses a bad one, deletes it', async () => {
    const pool = `cli-${suffix}`;
    expect((await expectRun([...admin, 'get', 'pools'], 0)).stdout).toMatch(/^NAME +KIND +SPACE +USED +RESERVED +FREE +ALLOCATIONS\n(.+\n)*projects +prefix +10\.182\.0\.0\/16 +\d+ +\d+ +\d+ +\d+\n/);
    expect((await expectRun([...admin, 'put', 'pool', pool, '--kind', 'address', '--ranges', '198.51.103.1-198.51.103.9'], 0)).stdout).toMatch(
      new RegExp(`\\n${pool} +address +198\\.51\\.103\\.1-198\\.51\\.103\\.9 +0 +0 +9 +0\\n$`),
    );
    const file = join(home, 'pool.yaml');
    writeFileSync(file, 'kind: address\nranges:\n  - { start: 198.51.103.1, end: 198.51.103.20 }\n');
    expect((await expectRun([...admin, 'put', 'pool', pool, '-f', file, '--reserved', '198.51.103.1-198.51.103.4'], 0)).stdout).toMatch(new RegExp(`\\n${pool} +address +\\S+ +0 +4 +16 +0\\n$`));
    expect(JSON.parse((await expectRun([...admin, 'get', 'pool', pool, '-o', 'json'], 0)).stdout)).toMatchObject({ pool: { name: pool, reserved: [{ start: '198.51.103.1', end: '198.51.103.4' }] } });
    expect((await expectRun([...admin, 'put', 'pool', pool, '--kind', 'address', '--prefixes', 'not-a-cidr'], 1)).stderr).toMatch(/^error: invalid-body: .*\n {2}prefixes\.0: /);
    expect((await expectRun([...admin, 'get', 'pool', 'nope'], 3)).stderr).toBe('error: not-found: pool nope not found\n');
    expect((await expectRun([...admin, 'delete', 'pool', pool], 0)).stdout).toBe(`pool/${pool} deleted\n`);
    await expectRun([...admin, 'delete', 'pool', pool], 3);
  });

  it('shares a private network with one tenant: that tenant sees it, the other does not, the admin sees whom', async () => {
    const net = `net${suffix}`;
    const put = await expectRun([...admin, 'put', 'private-network', net, '--cidr', '192.168.210.0/24', '--gateway', '192.168.210.1', '--tenants', A, '--description', 'CLI test'], 0);
    expect(put.stdout).toBe(`NAME${' '.repeat(net.length - 1)}CIDR               GATEWAY         TENANTS${' '.repeat(A.length - 4)}DESCRIPTION\n${net}   192.168.210.0/24   192.168.210.1   ${A}   CLI test\n`);
    expect((await expectRun(['get', 'private-networks'], 0)).stdout).toMatch(new RegExp(`\\n${net} +192\\.168\\.210\\.0/24 +192\\.168\\.210\\.1 +CLI test\\n`));
    expect((await expectRun(['get', 'private-network', net], 0)).stdout).toMatch(new RegExp(`^NAME .+\\n${net} +192\\.168\\.210\\.0/24 +192\\.168\\.210\\.1 +CLI test\\n$`));
    expect((await expectRun(['--context', 'b', 'get', 'private-network', net], 3)).stderr).toBe(`error: not-found: private network ${net} not found\n`);
    expect((await expectRun([...admin, 'get', 'private-networks', '--all-tenants'], 0)).stdout).toMatch(new RegExp(`\\n${net} +192\\.168\\.210\\.0/24 +192\\.168\\.210\\.1 +${A} +CLI test\\n`));
    expect(JSON.parse((await expectRun([...admin, 'get', 'private-network', net, '--all-tenants', '-o', 'json'], 0)).stdout)).toMatchObject({ name: net, tenants: [A] });
    expect((await expectRun([...admin, 'put', 'private-network', `${net}b`, '--cidr', '192.168.210.0/25', '--gateway', '192.168.210.1'], 1)).stderr).toMatch(/^error: [a-z-]+: /);
    expect((await expectRun([...admin, 'delete', 'private-network', net], 0)).stdout).toBe(`private-network/${net} deleted\n`);
    await expectRun([...admin, 'get', 'private-network', net, '--all-tenants'], 3);
  });
});

/**
 * A recording proxy in front of the api for the describe block that calls it (started before its
 * tests, closed after), and the environment that points the CLI at it as tenant A.
 */
function recordingProxyPerBlock() {
  let proxy: RecordingProxy | undefined;
  beforeAll(async () => {
    proxy = await startRecordingProxy(api);
  });
  afterAll(async () => {
    await proxy?.close();
  });
  const started = () => proxy ?? expect.unreachable('the recording proxy has not started');
  return {
    get proxy(): RecordingProxy {
      return started();
    },
    env: () => ({ NETBROKER_API: started().url, NETBROKER_TOKEN: tokens[A]!, NETBROKER_CONFIG: join(home, 'none.json') }),
  };
}

describe('--wait by ETag', () => {
  const recorded = recordingProxyPerBlock();
  const viaProxy = recorded.env;
  const getsOf = (path: string) => recorded.proxy.exchanges.filter((e) => e.method === 'GET' && e.path === path);

  /** Each poll sends the ETag of the representation it last read (a 304 keeps it), none before the first. */
  function expectConditionalPolls(polls: Exchange[]) {
    const expected = polls.map((_, i) => {
      const before = polls[i - 1];
      return before === undefined ? undefined : before.status === 304 ? before.ifNoneMatch : before.etag;
    });
    expect(polls.map((p) => p.ifNoneMatch)).toEqual(expected);
    // The api tags every answer it reads out (services/api: ETag and If-None-Match on every GET) ...
    expect(polls.filter((p) => p.status === 200).map((p) => p.etag)).not.toContain(undefined);
    // ... answers 304 only to a conditional GET, and a 200 to one only with a new tag.
    for (const p of polls) {
      if (p.status === 304) expect(p.ifNoneMatch).toBeDefined();
      if (p.status === 200 && p.ifNoneMatch !== undefined) expect(p.etag).not.toBe(p.ifNoneMatch);
    }
  }

  it('waits on an exposure nobody reconciles: after the first answer, every poll is a 304, and the time-out says where it stood', async () => {
    const run = await expectRun(['create', 'exposure', 'waited', '--project', 'web', '--service', 'default/waited', '--ports', '8080', '--wait', '--timeout', '3s'], 5, { env: viaProxy() });
    expect(run.stdout).toBe('exposure/waited created\n');
    expect(run.stderr).toBe('exposure waited: not ready (Pending)\nerror: timed out after 3s waiting for exposure waited to be ready\n  last: exposure waited: not ready (Pending)\n');
    const polls = getsOf('/v1/projects/web/exposures/waited');
    expectConditionalPolls(polls);
    // No exposer runs here: the exposure does not change, so the api answers each conditional poll 304.
    expect(polls.map((p) => p.status)).toEqual([200, ...polls.slice(1).map(() => 304)]);
    expect(polls.length).toBeGreaterThanOrEqual(4);
    await expectRun(['delete', 'exposure', 'waited', '--project', 'web'], 0);
  });

  it('waits for a project to be Ready, then for its deletion to finish', async () => {
    const run = await expectRun(['create', 'project', 'tagged', '--egress', 'cloud', '--wait'], 0, { env: viaProxy() });
    expect(run.stdout).toMatch(/^project\/tagged created\nNAME .+\ntagged +Ready +/);
    // How many polls depends on how fast the provisioner is (often 2: no status yet, then Ready).
    const polls = getsOf('/v1/projects/tagged');
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expectConditionalPolls(polls);
    // A 304 showed nothing new: at most one progress line per 200.
    expect(run.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(polls.filter((p) => p.status === 200).length);

    const deleted = await expectRun(['delete', 'project', 'tagged', '--wait', '--timeout', '60s'], 0, { env: viaProxy() });
    expect(deleted.stdout).toBe('project/tagged deletion requested\nproject/tagged deleted\n');
    expect(getsOf('/v1/projects/tagged').at(-1)?.status).toBe(404);
    await expectRun(['get', 'project', 'tagged'], 3);
  });
});

describe('retries with an Idempotency-Key', () => {
  const recorded = recordingProxyPerBlock();
  const viaProxy = recorded.env;
  const postsOf = (path: string) => recorded.proxy.exchanges.filter((e) => e.method === 'POST' && e.path === path);

  it('sends a create again with the same key when its answer was lost: the api replays it, one project is made', async () => {
    recorded.proxy.failNext('POST', '/v1/projects', 'drop-answer');
    const run = await expectRun(['create', 'project', 'retried', '--egress', 'cloud'], 0, { env: viaProxy() });
    expect(run.stdout).toBe('project/retried created\n');
    expect(run.stderr).toMatch(/^retrying after no answer \(POST http:\/\/127\.0\.0\.1:\d+\/v1\/projects: .+\) in 0\.5 s \(attempt 2 of 4, same Idempotency-Key\)\n$/);
    const posts = postsOf('/v1/projects');
    expect(posts.map((p) => [p.status, p.replayed, p.fault])).toEqual([
      [202, false, 'drop-answer'],
      [202, true, undefined],
    ]);
    expect(posts[0]!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(posts[1]!.idempotencyKey).toBe(posts[0]!.idempotencyKey);
    const names = (JSON.parse((await expectRun(['get', 'projects', '-o', 'json'], 0)).stdout) as { items: Array<{ name: string }> }).items.map((p) => p.name);
    expect(names.filter((n) => n === 'retried')).toEqual(['retried']);
    // Another invocation is another key: the same create again is the api's 409, not a replay.
    expect((await expectRun(['create', 'project', 'retried', '--egress', 'cloud'], 1, { env: viaProxy() })).stderr).toMatch(/^error: [a-z-]+: /);
    expect(postsOf('/v1/projects')[2]!.idempotencyKey).not.toBe(posts[0]!.idempotencyKey);
    await expectRun(['delete', 'project', 'retried', '--wait', '--timeout', '60s'], 0);
  });

  it('waits out a 503 for its Retry-After, then sends the create again with the same key', async () => {
    recorded.proxy.failNext('POST', '/v1/projects/web/exposures', '503');
    const run = await expectRun(['create', 'exposure', 'retried', '--project', 'web', '--service', 'default/retried', '--ports', '8080'], 0, { env: viaProxy() });
    expect(run).toMatchObject({ stdout: 'exposure/retried created\n', stderr: 'retrying after 503 unavailable in 1 s (attempt 2 of 4, same Idempotency-Key)\n' });
    const posts = postsOf('/v1/projects/web/exposures');
    expect(posts.map((p) => [p.status, p.fault])).toEqual([
      [503, '503'],
      [201, undefined],
    ]);
    expect(posts[1]!.idempotencyKey).toBe(posts[0]!.idempotencyKey);
    await expectRun(['delete', 'exposure', 'retried', '--project', 'web'], 0);
  });

  it('sends no Idempotency-Key with what is not a POST, and sends it once', async () => {
    recorded.proxy.failNext('GET', '/v1/projects/web', '503');
    expect((await expectRun(['get', 'project', 'web'], 4, { env: viaProxy() })).stderr).toMatch(/^error: unavailable: /);
    expect(recorded.proxy.exchanges.filter((e) => e.path === '/v1/projects/web').map((e) => [e.status, e.idempotencyKey])).toEqual([[503, undefined]]);
  });
});

describe('the bundle, outside the repository', () => {
  let bundle: string;
  let runDir: string;
  beforeAll(async () => {
    const buildDir = ownedTempDir('netbroker-cli-build-');
    runDir = ownedTempDir('netbroker-cli-bundle-');
    await bundleCli(join(buildDir, 'netbroker.mjs'));
    bundle = join(runDir, 'netbroker.mjs');
    copyFileSync(join(buildDir, 'netbroker.mjs'), bundle);
    rmSync(buildDir, { recursive: true, force: true });
  }, 60_000);
  afterAll(() => {
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  });

  it('is one executable file in a directory with no node_modules above it', () => {
    expect(statSync(bundle).mode & 0o777).toBe(0o755);
    for (let dir = runDir; dir !== dirname(dir); dir = dirname(dir)) expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
    expect(runDir.startsWith(repoRoot)).toBe(false);
  });

  it.each([
    ['node 20 (this machine)', () => process.execPath, 'v20.'],
    ["node 24 (the image's)", () => join(imageNodeDir(), 'bin', 'node'), 'v24.'],
  ])('runs with plain %s against the real api', async (_name, nodeOf, version) => {
    const node = nodeOf();
    const runner = { node, args: [bundle], cwd: runDir };
    const env = { NETBROKER_CONFIG: join(runDir, `config-${version}json`) };
    const ran = await new Promise<string>((resolve, reject) => {
      const child = spawn(node, ['--version']);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(out));
    });
    expect(ran.startsWith(version)).toBe(true);
    expect((await expectRun(['version'], 0, { runner, env })).stdout).toBe('netbroker 0.1.0\n');
    await expectRun(['login', '--api', api, '--token-file', '-'], 0, { runner, env, stdin: tokens[A] });
    expect((await expectRun(['get', 'project', 'web', '-o', 'yaml'], 0, { runner, env })).stdout).toMatch(/^name: web\ntenant: clia/);
    expect((await expectRun(['get', 'projects'], 0, { runner, env })).stdout).toMatch(/\nweb +Ready /);
    expect((await expectRun(['get', 'project', 'nope'], 3, { runner, env })).stderr).toMatch(/^error: not-found: /);
    expect((await expectRun(['get', 'widgets'], 2, { runner, env })).stderr).toMatch(/^error: unknown command "get widgets"/);
  });

  it('runs as a command by itself (#!/usr/bin/env node)', async () => {
    expect((await expectRun(['version'], 0, { runner: { node: bundle, args: [], cwd: runDir } })).stdout).toBe('netbroker 0.1.0\n');
  });
});

describe('the environment, the network, the contract', () => {
  it('runs from NETBROKER_API and NETBROKER_TOKEN without a config file, which override a context', async () => {
    const env = { NETBROKER_CONFIG: join(home, 'none.json'), NETBROKER_API: api, NETBROKER_TOKEN: tokens[B]! };
    expect((await expectRun(['get', 'projects'], 0, { env })).stdout).toMatch(/^NAME .+\ndb +Ready/);
    expect((await expectRun(['get', 'projects', '--context', 'a'], 0, { env: { NETBROKER_TOKEN: tokens[B]! } })).stdout).toMatch(/\ndb +Ready/);
    expect((await expectRun(['get', 'projects'], 1, { env: { NETBROKER_TOKEN: 'nbt_revoked' } })).stderr).toMatch(/^error: unauthenticated: /);
    expect((await expectRun(['get', 'projects'], 2, { env: { NETBROKER_CONFIG: join(home, 'none.json') } })).stderr).toMatch(/^error: no API URL and token: run netbroker login/);
  });

  it('reports an API that does not answer as unavailable (4)', async () => {
    const run = await expectRun(['get', 'projects'], 4, { env: { NETBROKER_API: `http://127.0.0.1:${await freePort()}` } });
    expect(run.stderr).toMatch(/^error: unavailable: GET http:\/\/127\.0\.0\.1:\d+\/v1\/projects: ECONNREFUSED/);
  });

  it("sends only what the running API's /openapi.json declares", async () => {
    const doc = (await (await fetch(`${api}/openapi.json`)).json()) as OpenApiDocument;
    const requests = [...samples.flatMap(requestsOf), ...loginChecks];
    expect(requests.flatMap((r) => checkRequest(doc, r))).toEqual([]);
  });

  it('prints a bash completion script that completes commands and flags', async () => {
    const script = (await expectRun(['completion', 'bash'], 0)).stdout;
    const complete = async (line: string) => {
      const words = line.split(' ');
      const out = await new Promise<string>((resolve, reject) => {
        const bash = spawn('bash', ['--norc', '--noprofile', '-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _netbroker; echo "\${COMPREPLY[*]}"`]);
        let text = '';
        bash.stdout.on('data', (d: Buffer) => (text += d.toString()));
        bash.on('error', reject);
        bash.on('close', () => resolve(text.trim()));
      });
      return out.split(' ');
    };
    expect(await complete('netbroker get pr')).toEqual(['projects', 'private-networks']);
    expect(await complete('netbroker create project web --eg')).toEqual(['--egress']);
    expect(await complete('netbroker create project web --egress ')).toEqual(['cloud', 'public']);
    expect(await complete('netbroker -o json get peerings --')).toEqual(['--output', '--context', '--help']);
    expect((await expectRun(['completion', 'zsh'], 0)).stdout).toMatch(/^#compdef netbroker\n/);
  });

  it('never printed a token it was not asked to print', () => {
    const all = printed.join('\n');
    for (const token of [...Object.values(tokens), platform.adminToken]) expect(all).not.toContain(token);
    // A created token was printed where asked (create token), once each.
    for (const token of issued) expect(all.split(token).length - 1).toBe(1);
  });
});
