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
    // Noun first reads the same.
    ['projects create web --egress cloud', { call: 'createProject', body: { name: 'web', egressNetworkType: 'cloud' } }],
    ['project get web', { call: 'getProject', params: { project: 'web' } }],
    ['peering accept pr-0123456789ab', { call: 'acceptPeering', params: { id: 'pr-0123456789ab' } }],
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
    [
      'replace routes --project web 172.20.0.0/16 via 192.168.100.1 10.9.0.0/16 via 192.168.100.2',
      {
        call: 'replaceRoutes',
        params: { project: 'web' },
        body: {
          routes: [
            { destination: '172.20.0.0/16', nexthop: '192.168.100.1' },
            { destination: '10.9.0.0/16', nexthop: '192.168.100.2' },
          ],
        },
      },
    ],
    ['replace routes --project web --none', { call: 'replaceRoutes', params: { project: 'web' }, body: { routes: [] } }],
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
    const ready = (timeoutMs: number) => ({ kind: 'project', request: { call: 'getProject', params: { project: 'web' } }, timeoutMs, until: 'ready' });
    expect(waitOf('create project web --egress cloud --wait')).toEqual(ready(120_000));
    expect(waitOf('create project web --egress cloud --wait --timeout 90s')).toEqual(ready(90_000));
    expect(waitOf('create project web --egress cloud --wait --timeout 2m')).toEqual(ready(120_000));
    expect(waitOf('create project web --egress cloud --wait --timeout 1500ms')).toEqual(ready(1_500));
  });

  it.each([
    ['delete project web --wait --timeout 5m', { kind: 'project', request: { call: 'getProject', params: { project: 'web' } }, timeoutMs: 300_000, until: 'gone' }],
    ['create peering --project web --peer db --wait', { kind: 'peering', request: { call: 'getPeering' }, fromAnswer: { id: 'id' }, timeoutMs: 120_000, until: 'ready' }],
    ['accept peering pr-0123456789ab --wait --timeout 10s', { kind: 'peering', request: { call: 'getPeering', params: { id: 'pr-0123456789ab' } }, timeoutMs: 10_000, until: 'ready' }],
    [
      'create exposure --project web --service postgres --ports 5432 --wait',
      { kind: 'exposure', request: { call: 'getExposure', params: { project: 'web' } }, fromAnswer: { name: 'name' }, timeoutMs: 120_000, until: 'ready' },
    ],
    [
      'create mapping --project web --direction fromHost --from db --to default/db --wait --timeout 30s',
      { kind: 'mapping', request: { call: 'getMapping', params: { project: 'web' } }, fromAnswer: { id: 'items.0.id' }, timeoutMs: 30_000, until: 'ready' },
    ],
  ])('%s waits (the GET polled, the parameter the answer gives)', (line, wait) => {
    const { plan } = parse(line);
    expect(plan.kind === 'call' && plan.wait).toEqual(wait);
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

describe('what projects share: command line → request', () => {
  it.each([
    ['get mapping m0123456789abcdef --project web', { call: 'getMapping', params: { project: 'web', id: 'm0123456789abcdef' } }],
    [
      'create mapping --project web --direction fromVirtual --from default/api --to api-public',
      { call: 'createMappings', params: { project: 'web' }, body: { direction: 'fromVirtual', from: 'default/api', to: 'api-public' } },
    ],
    ['delete mapping m0123456789abcdef --project web', { call: 'deleteMapping', params: { project: 'web', id: 'm0123456789abcdef' } }],
    ['get exposures --project web', { call: 'listExposures', params: { project: 'web' }, query: { limit: '500' } }],
    ['get exposure pg --project web', { call: 'getExposure', params: { project: 'web', name: 'pg' } }],
    ['create exposure --project web --service default/postgres --ports 5432', { call: 'createExposure', params: { project: 'web' }, body: { service: 'default/postgres', ports: [{ port: 5432 }] } }],
    [
      'create exposure pg --project web --service postgres --ports 5432,53/udp --pool public --share-with api --entry-name pg-ext --grants db,,acme/x',
      {
        call: 'createExposure',
        params: { project: 'web' },
        body: {
          name: 'pg',
          service: 'postgres',
          ports: [{ port: 5432 }, { port: 53, protocol: 'UDP' }],
          pool: 'public',
          shareWith: 'api',
          entryName: 'pg-ext',
          grants: ['db', 'acme/x'],
        },
      },
    ],
    ['delete exposure pg --project web', { call: 'deleteExposure', params: { project: 'web', name: 'pg' } }],
    ['get grants --project web', { call: 'listExposures', params: { project: 'web' }, query: { limit: '500' } }],
    ['get grants --project web --exposure pg', { call: 'getExposure', params: { project: 'web', name: 'pg' } }],
    ['create grant acme/analytics --project web --exposure pg', { call: 'addGrant', params: { project: 'web', name: 'pg' }, body: { project: 'acme/analytics' } }],
    ['create grant api --project web --exposure pg', { call: 'addGrant', params: { project: 'web', name: 'pg' }, body: { project: 'api' } }],
    [
      'delete grant acme/analytics --project web --exposure pg',
      { call: 'revokeGrant', params: { project: 'web', name: 'pg', consumerTenant: 'acme', consumerProject: 'analytics' } },
    ],
    ['accept import beta/db/postgres --project web', { call: 'acceptImport', params: { project: 'web', exporterTenant: 'beta', exporterProject: 'db', exposure: 'postgres' } }],
    ['decline import beta/db/postgres --project web', { call: 'declineImport', params: { project: 'web', exporterTenant: 'beta', exporterProject: 'db', exposure: 'postgres' } }],
  ])('%s', (line, request) => {
    const { plan } = parse(line);
    expect(plan.kind === 'call' || plan.kind === 'list' ? plan.request : plan).toEqual(request);
  });

  it('reads a mapping from a vcluster values file (the runner reads it)', () => {
    const { plan } = parse('create mapping --project web --values values.yaml');
    expect(plan.kind === 'call-with-file' && plan.path).toBe('values.yaml');
    if (plan.kind !== 'call-with-file') return;
    expect(plan.request('mapServices: {}')).toEqual({ call: 'createMappings', params: { project: 'web' }, body: { values: 'mapServices: {}' } });
  });
});

describe("the admin's commands: command line → request", () => {
  it.each([
    ['get tenants', { call: 'listTenants', query: { limit: '500' } }],
    ['get tenant acme', { call: 'getTenant', params: { tenant: 'acme' } }],
    ['create tenant acme', { call: 'createTenant', body: { name: 'acme' } }],
    [
      'create tenant acme --display-name ACME --max-projects 20 --project-pool small',
      { call: 'createTenant', body: { name: 'acme', displayName: 'ACME', quotas: { maxProjects: 20 }, projectPool: 'small' } },
    ],
    ['update tenant acme --max-projects 100', { call: 'updateTenant', params: { tenant: 'acme' }, body: { quotas: { maxProjects: 100 } } }],
    [
      'update tenant acme --display-name ACME --max-addresses egress-public=4,projects=1024 --project-pool small --hostname-suffixes acme.example.com,.apps.acme.example.com --import-namespaces shared-db',
      {
        call: 'updateTenant',
        params: { tenant: 'acme' },
        body: {
          displayName: 'ACME',
          projectPool: 'small',
          quotas: { maxAddressesPerPool: { 'egress-public': 4, projects: 1024 } },
          hostnameSuffixes: ['acme.example.com', '.apps.acme.example.com'],
          importNamespaces: ['shared-db'],
        },
      },
    ],
    // '' clears: a name to null (the API's merge patch), a list to empty.
    [
      'update tenant acme --display-name= --project-pool= --hostname-suffixes= --import-namespaces=',
      { call: 'updateTenant', params: { tenant: 'acme' }, body: { displayName: null, projectPool: null, hostnameSuffixes: [], importNamespaces: [] } },
    ],
    ['delete tenant acme', { call: 'deleteTenant', params: { tenant: 'acme' } }],
    ['get tokens --tenant acme', { call: 'listTenantTokens', params: { tenant: 'acme' }, query: { limit: '500' } }],
    ['create token ci --tenant acme', { call: 'createTenantToken', params: { tenant: 'acme' }, body: { name: 'ci' } }],
    ['delete token tok_0123456789abcdef --tenant acme', { call: 'revokeTenantToken', params: { tenant: 'acme', id: 'tok_0123456789abcdef' } }],
    ['get pools', { call: 'listPools' }],
    ['get pool projects', { call: 'listPools' }],
    [
      'put pool links --kind prefix --prefixes 100.127.0.0/20,100.127.16.0/20 --reserved 100.127.0.0/30,100.127.0.9-100.127.0.12 --default-prefix-length 30',
      {
        call: 'putPool',
        params: { pool: 'links' },
        body: { kind: 'prefix', prefixes: ['100.127.0.0/20', '100.127.16.0/20'], reserved: ['100.127.0.0/30', { start: '100.127.0.9', end: '100.127.0.12' }], defaultPrefixLength: 30 },
      },
    ],
    ['put pool eip --kind address --ranges 203.0.113.10-203.0.113.20', { call: 'putPool', params: { pool: 'eip' }, body: { kind: 'address', ranges: [{ start: '203.0.113.10', end: '203.0.113.20' }] } }],
    ['delete pool eip', { call: 'deletePool', params: { pool: 'eip' } }],
    ['get private-networks', { call: 'listTenantPrivateNetworks' }],
    ['get private-networks --all-tenants', { call: 'listPrivateNetworks' }],
    ['get private-network vrack --all-tenants', { call: 'getPrivateNetwork', params: { name: 'vrack' } }],
    ['get private-network vrack', { call: 'listTenantPrivateNetworks' }],
    [
      'put private-network vrack --cidr 192.168.100.0/24 --gateway 192.168.100.1 --tenants acme,beta',
      { call: 'putPrivateNetwork', params: { name: 'vrack' }, body: { cidr: '192.168.100.0/24', gateway: '192.168.100.1', tenants: ['acme', 'beta'] } },
    ],
    ['put private-network vrack --cidr 192.168.100.0/24 --gateway 192.168.100.1 --tenants=', { call: 'putPrivateNetwork', params: { name: 'vrack' }, body: { cidr: '192.168.100.0/24', gateway: '192.168.100.1', tenants: [] } }],
    ['delete private-network vrack', { call: 'deletePrivateNetwork', params: { name: 'vrack' } }],
  ])('%s', (line, request) => {
    const { plan } = parse(line);
    expect(plan.kind === 'call' || plan.kind === 'list' ? plan.request : plan).toEqual(request);
  });

  it('picks one pool or network out of the list by its name', () => {
    const { plan } = parse('get pool projects');
    expect(plan.kind === 'list' && plan.pick && [plan.pick.name, plan.pick.view, plan.pick.keyOf({ pool: { name: 'projects' } })]).toEqual(['projects', 'pool', 'projects']);
    const tenantView = parse('get private-network vrack').plan;
    expect(tenantView.kind === 'list' && tenantView.pick?.keyOf({ name: 'vrack' })).toBe('vrack');
  });

  it('reads a body from a JSON or YAML file, the flags given beside it replacing its fields', () => {
    const { plan } = parse('put pool eip -f pool.yaml --ranges 203.0.113.10-203.0.113.20');
    expect(plan.kind === 'call-with-file' && plan.path).toBe('pool.yaml');
    if (plan.kind !== 'call-with-file') return;
    const yaml = 'kind: address\nranges: [{ start: 198.51.100.1, end: 198.51.100.9 }]\nreserved: [198.51.100.5/32]\n';
    expect(plan.request(yaml).body).toEqual({ kind: 'address', ranges: [{ start: '203.0.113.10', end: '203.0.113.20' }], reserved: ['198.51.100.5/32'] });
    expect(plan.request('{"kind": "address", "prefixes": ["100.64.0.0/16"]}').body).toEqual({ kind: 'address', prefixes: ['100.64.0.0/16'], ranges: [{ start: '203.0.113.10', end: '203.0.113.20' }] });
    expect(() => plan.request('- a list')).toThrow('pool.yaml must hold an object (the request body)');
    expect(() => plan.request('kind: [unclosed')).toThrow(/^pool\.yaml is neither JSON nor YAML: /);
  });


  it('marks admin commands in help', () => {
    expect(helpText([])).toMatch(/netbroker create tenant NAME +\[admin\] create a tenant/);
    expect(helpText(['create', 'token'])).toContain('(admin token)');
  });
});

describe('usage errors (exit code 2)', () => {
  it.each([
    ['', 'no command given'],
    ['frobnicate', 'unknown command "frobnicate"'],
    ['get', '"get" needs one of: projects, peerings, routes'],
    ['get widgets', 'unknown command "get widgets"'],
    ['projects frobnicate', 'unknown command "projects"'],
    ['projects', 'unknown command "projects"'],
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
    ['replace routes --project web', 'give routes as DESTINATION via NEXTHOP (one or more), or --none'],
    ['replace routes --project web --none 10.0.0.0/8 via 10.1.1.1', 'give routes or --none, not both'],
    ['completion fish', 'SHELL must be one of bash, zsh, not "fish"'],
    ['login nbt_secret', 'unexpected argument (give the token with --token-file) for "login"'],
    ['create exposure --project web --service db', '"create exposure" needs --ports PORT[/PROTOCOL],...'],
    ['create exposure --project web --service db --ports 5432/QUIC', '--ports: the protocol of "5432/QUIC" must be one of TCP, UDP, SCTP'],
    ['create exposure --project web --service db --ports http', '--ports must be a whole number, not "http"'],
    ['create exposure --project web --service db --ports 1/TCP/x', '--ports: "1/TCP/x" is not PORT[/PROTOCOL]'],
    ['create exposure --project web --service db --ports ,', '--ports needs at least one PORT[/PROTOCOL]'],
    ['create exposure --project web --service db --ports 80 --pool private', '--pool must be one of cloud, public, not "private"'],
    ['create grant --project web --exposure pg', '"create grant" needs CONSUMER'],
    ['delete grant analytics --project web --exposure pg', 'give the consumer as TENANT/PROJECT (as "get grants" shows it), not "analytics"'],
    ['accept import beta/postgres --project web', 'give the import as TENANT/PROJECT/EXPOSURE (as "get imports" shows it), not "beta/postgres"'],
    ['decline import beta//postgres --project web', 'give the import as TENANT/PROJECT/EXPOSURE'],
    ['create mapping --project web --direction fromHost --from db', '"create mapping" needs --direction, --from and --to (or --values FILE)'],
    ['create mapping --project web --values v.yaml --to x', 'give --values FILE or --direction, --from and --to, not both'],
    ['create mapping --project web --values v.yaml --wait', '--wait waits for one mapping (--direction, --from and --to), not a values file'],
    ['create mapping --project web --direction sideways --from a --to b', '--direction must be one of fromHost, fromVirtual, not "sideways"'],
    ['get tokens', '"get tokens" needs --tenant TENANT'],
    ['create tenant acme --max-projects many', '--max-projects must be a whole number, not "many"'],
    ['update tenant acme', '"update tenant" needs at least one of --display-name, --max-projects, --max-addresses, --project-pool, --hostname-suffixes, --import-namespaces'],
    ['update tenant acme --max-addresses projects', '--max-addresses: "projects" is not POOL=N'],
    ['update tenant acme --max-addresses projects=lots', '--max-addresses must be a whole number, not "lots"'],
    ['put pool eip --ranges 203.0.113.10', '"203.0.113.10" is not a range START-END'],
    ['put pool eip --reserved 1-2-3', '"1-2-3" is not a range START-END'],
    ['put pool eip --kind block', '--kind must be one of prefix, address, not "block"'],
    ['delete project web --timeout 10s', '--timeout only goes with --wait'],
    ['get tenants --all-tenants', '--all-tenants is not a flag of "get tenants"'],
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
