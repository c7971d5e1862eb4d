import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreatedToken } from '@netbroker/contracts';
import { eventually, freePort, kubeconfigFile, ownedTempDir, repoRoot, startPrivatePlatform, type PrivatePlatform } from '@netbroker/testing';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkRequest, type OpenApiDocument } from './openapi-check';
import { loginCheck, requestsOf, samples } from './samples';

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
/** Everything the CLI printed in this file: no token may be in it. */
const printed: string[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `env` adds to a clean environment (HOME and NETBROKER_CONFIG of this file). */
function cli(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'cli/src/main.ts'), ...args], {
      cwd: repoRoot,
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

  it("peers with another tenant's project: pending until that tenant accepts", async () => {
    await expectRun(['--context', 'b', 'create', 'project', 'db', '--egress', 'cloud', '--wait'], 0);
    const created = await expectRun(['create', 'peering', '--project', 'web', '--peer', `${B}/db`, '-o', 'json'], 0);
    const peering = JSON.parse(created.stdout) as { id: string; state: string };
    expect(peering.state).toBe('PendingAcceptance');
    expect((await expectRun(['--context', 'b', 'get', 'peerings'], 0)).stdout).toMatch(new RegExp(`\\n${peering.id} +${A}/web +${B}/db +PendingAcceptance +\\d+s\\n$`));
    expect((await expectRun(['accept', 'peering', peering.id], 1)).stderr).toMatch(/^error: not-acceptable: /);
    expect((await expectRun(['--context', 'b', 'accept', 'peering', peering.id], 0)).stdout).toBe(`peering/${peering.id} accepted (Programming)\n`);
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
    const requests = [...samples.flatMap(requestsOf), loginCheck];
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

  it('never printed a token', () => {
    const all = printed.join('\n');
    for (const token of Object.values(tokens)) expect(all).not.toContain(token);
  });
});
