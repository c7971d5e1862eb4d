import type { ApiRequest } from '../src/calls';
import { parseCommandLine } from '../src/parse';

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
  'get peerings',
  'get peering pr-0123456789ab',
  'create peering --project web --peer db',
  'create peering --project web --peer other-tenant/db --local-connect-ip 198.19.0.1/30',
  'accept peering pr-0123456789ab',
  'delete peering pr-0123456789ab',
  'get routes --project web',
  'add route --project web 172.20.0.0/16 via 192.168.100.1',
  'remove route --project web 172.20.0.0/16 via 192.168.100.1 2001:db8::/64 via 2001:db8::1',
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
  'get exposures --project web',
  'get imports --project web',
];
const kubeconfig = 'apiVersion: v1\nkind: Config\n';

/** What a command line makes the CLI send (a list: its first page and a later one). */
export function requestsOf(line: string): ApiRequest[] {
  const { plan } = parseCommandLine(line.split(' '));
  switch (plan.kind) {
    case 'call':
      return [plan.request, ...(plan.wait ? [{ call: 'getProject' as const, params: { project: plan.wait.project } }] : [])];
    case 'call-with-file':
      return [plan.request(kubeconfig)];
    case 'list':
      return [plan.request, { ...plan.request, query: { ...plan.request.query, continue: 'd2Vi' } }];
    default:
      throw new Error(`${line} makes no request`);
  }
}
/** Made by the runner itself: the token check of `login`. */
export const loginCheck: ApiRequest = { call: 'listProjects', query: { limit: '1' } };
