import { describe, expect, it } from 'vitest';
import { UsageError } from './exit';
import { helpText, parseCommandLine } from './parse';

const parse = (line: string) => parseCommandLine(line.split(' ').filter(Boolean));

describe('command line → request', () => {
  it.each([
    ['get projects', { call: 'listProjects', query: { limit: '500' } }],
    ['get project web', { call: 'getProject', params: { project: 'web' } }],
    ['get projects web', { call: 'getProject', params: { project: 'web' } }],
    ['create project web --egress cloud', { call: 'createProject', body: { name: 'web', egressNetworkType: 'cloud' } }],
    ['create project db --egress public --cidr 10.20.0.0/24', { call: 'createProject', body: { name: 'db', egressNetworkType: 'public', cidr: '10.20.0.0/24' } }],
    ['create project web --prefix-length 26 --egress cloud', { call: 'createProject', body: { name: 'web', egressNetworkType: 'cloud', prefixLength: 26 } }],
    ['delete project web', { call: 'deleteProject', params: { project: 'web' } }],
    ['get peerings', { call: 'listPeerings', query: { limit: '500' } }],
    ['get peering pr-0123456789ab', { call: 'getPeering', params: { id: 'pr-0123456789ab' } }],
    ['create peering --project web --peer db', { call: 'createPeering', body: { project: 'web', peer: { project: 'db' } } }],
    ['create peering --project web --peer acme/db', { call: 'createPeering', body: { project: 'web', peer: { tenant: 'acme', project: 'db' } } }],
    ['accept peering pr-0123456789ab', { call: 'acceptPeering', params: { id: 'pr-0123456789ab' } }],
    ['delete peering pr-0123456789ab', { call: 'deletePeering', params: { id: 'pr-0123456789ab' } }],
    ['get routes --project web', { call: 'getRoutes', params: { project: 'web' } }],
    [
      'add route --project web 172.20.0.0/16 via 192.168.100.1 10.9.0.0/16 via 192.168.100.2',
      {
        call: 'addRoutes',
        params: { project: 'web' },
        body: {
          routes: [
            { destination: '172.20.0.0/16', nexthop: '192.168.100.1' },
            { destination: '10.9.0.0/16', nexthop: '192.168.100.2' },
          ],
        },
      },
    ],
    ['remove route 172.20.0.0/16 via 192.168.100.1 --project web', { call: 'removeRoutes', params: { project: 'web' }, body: { routes: [{ destination: '172.20.0.0/16', nexthop: '192.168.100.1' }] } }],
    ['attach network vrack --project web', { call: 'attachPrivateNetwork', params: { project: 'web', network: 'vrack' }, body: {} }],
    ['get mappings --project web', { call: 'listMappings', params: { project: 'web' }, query: { limit: '500' } }],
  ])('%s', (line, request) => {
    const { plan } = parse(line);
    expect(plan.kind === 'call' || plan.kind === 'list' ? plan.request : plan).toEqual(request);
  });

  it('reads flags anywhere, short and long, with = or a separate value', () => {
    expect(parse('-o json get projects').output).toBe('json');
    expect(parse('get projects --output=yaml').output).toBe('yaml');
    expect(parse('get projects').output).toBe('table');
    expect(parse('--context prod get projects').context).toBe('prod');
  });

  it('waits 120 s by default, or as long as --timeout says', () => {
    const waitOf = (line: string) => {
      const { plan } = parse(line);
      return plan.kind === 'call' ? plan.wait : undefined;
    };
    expect(waitOf('create project web --egress cloud')).toBeUndefined();
    expect(waitOf('create project web --egress cloud --wait')).toEqual({ project: 'web', timeoutMs: 120_000 });
    expect(waitOf('create project web --egress cloud --wait --timeout 90s')).toEqual({ project: 'web', timeoutMs: 90_000 });
    expect(waitOf('create project web --egress cloud --wait --timeout 2m')).toEqual({ project: 'web', timeoutMs: 120_000 });
    expect(waitOf('create project web --egress cloud --wait --timeout 1500ms')).toEqual({ project: 'web', timeoutMs: 1_500 });
  });

  it('reads the kubeconfig of register vcluster from its file (the runner reads it)', () => {
    const { plan } = parse('register vcluster --project web --kubeconfig /tmp/kc --name vc1');
    expect(plan.kind).toBe('call-with-file');
    if (plan.kind !== 'call-with-file') return;
    expect(plan.path).toBe('/tmp/kc');
    expect(plan.request('KC')).toEqual({ call: 'registerVCluster', params: { project: 'web' }, body: { kubeconfig: 'KC', options: { name: 'vc1' } } });
  });

  it.each([
    ['login --api http://x --token-file t --context prod', { kind: 'login', api: 'http://x', token: undefined, tokenFile: 't', context: 'prod', check: true }],
    ['login --api http://x --token t --skip-check', { kind: 'login', api: 'http://x', token: 't', tokenFile: undefined, context: 'default', check: false }],
    ['config get-contexts', { kind: 'get-contexts' }],
    ['config use-context prod', { kind: 'use-context', name: 'prod' }],
    ['completion zsh', { kind: 'completion', shell: 'zsh' }],
    ['help get projects', { kind: 'help', words: ['get', 'projects'] }],
    ['get projects --help', { kind: 'help', words: ['get', 'projects'] }],
    ['--help', { kind: 'help', words: [] }],
  ])('%s is done locally', (line, plan) => {
    expect(parse(line).plan).toEqual(plan);
  });
});

describe('usage errors (exit code 2)', () => {
  it.each([
    ['', 'no command given'],
    ['frobnicate', 'unknown command "frobnicate"'],
    ['get', '"get" needs one of: projects, peerings, routes'],
    ['get widgets', 'unknown command "get widgets"'],
    ['get projects --bogus', "Unknown option '--bogus'"],
    ['get projects --cidr 10.0.0.0/8', '--cidr is not a flag of "get projects"'],
    ['get projects -o xml', '--output must be one of table, json, yaml, not "xml"'],
    ['get project web extra', 'unexpected argument "extra" for "get projects"'],
    ['create project web', '"create project" needs --egress cloud|public'],
    ['create project --egress cloud', '"create project" needs NAME'],
    ['create project web --egress private', '--egress must be one of cloud, public, not "private"'],
    ['create project web --egress cloud --prefix-length big', '--prefix-length must be a whole number, not "big"'],
    ['create project web --egress cloud --wait --timeout soon', '--timeout must be a duration such as 90s or 2m, not "soon"'],
    ['create project web --egress cloud --timeout 10s', '--timeout only goes with --wait'],
    ['create project web --egress', "Option '--egress <value>' argument missing"],
    ['create project web --egress cloud --wait=yes', "Option '--wait' does not take an argument"],
    ['create peering --project web', '"create peering" needs --peer [TENANT/]PROJECT'],
    ['get routes', '"get routes" needs --project PROJECT'],
    ['add route --project web 10.0.0.0/8', 'give routes as DESTINATION via NEXTHOP (one or more)'],
    ['add route --project web 10.0.0.0/8 through 10.1.1.1', 'expected "via" after 10.0.0.0/8, got "through"'],
    ['completion fish', 'SHELL must be one of bash, zsh, not "fish"'],
    ['login nbt_secret', 'unexpected argument (give the token with --token-file) for "login"'],
  ])('%j: %s', (line, message) => {
    expect(() => parse(line)).toThrow(UsageError);
    expect(() => parse(line)).toThrow(message);
  });
});

describe('help', () => {
  it('lists every command, the global flags and the exit codes', () => {
    const text = helpText([]);
    expect(text).toContain('netbroker create project NAME --egress cloud|public');
    expect(text).toContain('netbroker add route DESTINATION via NEXTHOP... --project PROJECT');
    expect(text).toMatch(/-o, --output table\|json\|yaml/);
    expect(text).toContain('5 --wait failed or timed out');
  });

  it("shows one command's flags", () => {
    const text = helpText(['create', 'project']);
    expect(text.split('\n')[0]).toBe('netbroker create project NAME --egress cloud|public');
    expect(text).toContain('--timeout DURATION');
    expect(text).not.toContain('--peer');
  });

  it('lists the commands of a verb', () => {
    expect(helpText(['config'])).toContain('netbroker config use-context NAME');
    expect(() => helpText(['nope'])).toThrow('unknown command "nope"');
  });
});
