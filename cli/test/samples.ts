import { adminLoginCheck, loginCheck, type ApiRequest } from '../src/calls';
import { parseCommandLine } from '../src/parse';
import type { Wait } from '../src/plan';

// Command lines that, together, make every request of the CLI's call table: what the drift tests
// (cli/src/calls.spec.ts against the document built in-process, cli/test/cli.int.spec.ts against a
// running API's /openapi.json) hold to the API's contract.

/** Every command that calls the API, with its optional flags and without. */
export const samples = [
  'get projects',
  'get project web',
  'create project web --egress cloud',
  'create project web --egress public --cidr 10.20.0.0/24',
  'create project web --egress cloud --prefix-length 24 --wait --timeout 30s',
  'delete project web',
  'delete project web --wait',
  'get peerings',
  'get peering pr-0123456789ab',
  'create peering --project web --peer db',
  'create peering --project web --peer other-tenant/db --local-connect-ip 198.19.0.1/30 --wait --timeout 1m',
  'accept peering pr-0123456789ab',
  'accept peering pr-0123456789ab --wait',
  'delete peering pr-0123456789ab',
  'get routes --project web',
  'add route --project web 172.20.0.0/16 via 192.168.100.1',
  'remove route --project web 172.20.0.0/16 via 192.168.100.1 2001:db8::/64 via 2001:db8::1',
  'replace routes --project web 172.20.0.0/16 via 192.168.100.1 172.21.0.0/16 via 192.168.100.2',
  'replace routes --project web --none',
  'get attachments --project web',
  'attach network vrack --project web',
  'attach network vrack --project web --address 192.168.100.10',
  'detach network vrack --project web',
  'get private-networks',
  'get vcluster --project web',
  'register vcluster --project web --kubeconfig kc.yaml',
  'register vcluster --project web --kubeconfig kc.yaml --name vc-web',
  'delete vcluster --project web',
  'get mappings --project web',
  'get mapping m0123456789abcdef --project web',
  'create mapping --project web --direction fromVirtual --from default/api --to api-public',
  'create mapping --project web --direction fromHost --from db --to default/db --wait --timeout 30s',
  'create mapping --project web --values values.yaml',
  'delete mapping m0123456789abcdef --project web',
  'get exposures --project web',
  'get exposure postgres --project web',
  'create exposure --project web --service default/postgres --ports 5432 --wait',
  'create exposure pg --project web --service postgres --ports 5432/TCP,53/udp --pool public --share-with api --entry-name pg-ext --grants db,other-tenant/analytics',
  'delete exposure pg --project web',
  'get grants --project web',
  'get grants --project web --exposure pg',
  'create grant other-tenant/analytics --project web --exposure pg',
  'delete grant other-tenant/analytics --project web --exposure pg',
  'get imports --project web',
  'accept import other-tenant/db/postgres --project web',
  'decline import other-tenant/db/postgres --project web',

  'get tenants',
  'get tenant acme',
  'create tenant acme',
  'create tenant acme --display-name ACME --max-projects 20 --project-pool projects',
  'update tenant acme --display-name ACME --max-projects 100 --max-addresses egress-public=4,projects=1024 --project-pool projects --hostname-suffixes acme.example.com,.apps.acme.example.com --import-namespaces shared-db',
  'update tenant acme --display-name= --project-pool= --hostname-suffixes= --import-namespaces=',
  'delete tenant acme',
  'get tokens --tenant acme',
  'create token ci --tenant acme',
  'delete token tok_0123456789abcdef --tenant acme',
  'get pools',
  'get pool projects',
  'put pool projects --kind prefix --prefixes 10.0.0.0/8 --reserved 10.1.0.0/16,10.2.0.1-10.2.0.9 --presets ovh-mks-free --default-prefix-length 24 --min-prefix-length 16 --max-prefix-length 28',
  'put pool egress -f pool.yaml --ranges 203.0.113.10-203.0.113.250',
  'delete pool egress',
  'get private-networks --all-tenants',
  'get private-network vrack --all-tenants',
  'get private-network vrack',
  'put private-network vrack --cidr 192.168.100.0/24 --gateway 192.168.100.1 --tenants acme,beta --description VLAN-100',
  'put private-network vrack -f network.json --tenants acme',
  'delete private-network vrack',
];

/** What the files of the samples hold. */
const files: Record<string, string> = {
  'kc.yaml': 'apiVersion: v1\nkind: Config\n',
  'values.yaml': 'mapServices:\n  fromHost:\n    - from: db\n      to: default/db\n',
  'pool.yaml': 'kind: address\nranges:\n  - { start: 203.0.113.10, end: 203.0.113.20 }\n',
  'network.json': '{"cidr": "192.168.100.0/24", "gateway": "192.168.100.1", "tenants": [], "description": "VLAN 100"}',
};

/** What the answer of a request that starts a wait gives the polled GET (a new peering's id, an exposure's name). */
const answered: Record<string, string> = { id: 'pr-0123456789ab', name: 'pg', 'items.0.id': 'm0123456789abcdef' };
const polled = (wait: Wait): ApiRequest => ({
  ...wait.request,
  params: { ...wait.request.params, ...Object.fromEntries(Object.entries(wait.fromAnswer ?? {}).map(([param, field]) => [param, answered[field]!])) },
});

/** What a command line makes the CLI send (a list: its first page and a later one). */
export function requestsOf(line: string): ApiRequest[] {
  const { plan } = parseCommandLine(line.split(' '));
  switch (plan.kind) {
    case 'call':
      return [plan.request, ...(plan.wait ? [polled(plan.wait)] : [])];
    case 'call-with-file': {
      const text = files[plan.path];
      if (text === undefined) throw new Error(`${line}: no sample text for ${plan.path}`);
      return [plan.request(text)];
    }
    case 'list':
      return plan.request.query ? [plan.request, { ...plan.request, query: { ...plan.request.query, continue: 'd2Vi' } }] : [plan.request];
    default:
      throw new Error(`${line} makes no request`);
  }
}
/** Made by the runner itself: the token checks of `login`. */
export const loginChecks = [loginCheck, adminLoginCheck];
