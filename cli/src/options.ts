import { formats } from './output';

// Every flag of the CLI, once: its type, a placeholder for help, the values completion offers.
// One name has one meaning and one type in every command, so a command line can be read before
// its command is known (flags may come before the verb: `netbroker -o json get projects`).

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Placeholder in help (`--api URL`). */
  value?: string;
  /** The values accepted (checked before anything is sent, offered by completion). */
  choices?: readonly string[];
  help: string;
}

export const optionSpecs = {
  output: { type: 'string', short: 'o', value: 'FORMAT', choices: formats, help: 'table (default), json or yaml' },
  context: { type: 'string', value: 'NAME', help: 'the context to use (login: to write); default the current one' },
  help: { type: 'boolean', short: 'h', help: 'show help' },
  api: { type: 'string', value: 'URL', help: 'the API base URL, e.g. https://netbroker.example.com' },
  token: { type: 'string', value: 'TOKEN', help: 'a tenant token (prefer --token-file or NETBROKER_TOKEN: a flag shows in ps)' },
  'token-file': { type: 'string', value: 'FILE', help: 'read the token from FILE (- for stdin)' },
  'skip-check': { type: 'boolean', help: 'save the context without asking the API whether the token works' },
  egress: { type: 'string', value: 'TYPE', choices: ['cloud', 'public'], help: 'the egress network type of the project' },
  cidr: { type: 'string', value: 'CIDR', help: "the CIDR (a project's: default a block from the pool)" },
  'prefix-length': { type: 'string', value: 'N', help: 'the size of the block to allocate (instead of --cidr)' },
  wait: { type: 'boolean', help: 'wait until a project is Ready (create) or gone (delete), an exposure has its address, a mapping is ready, a peering is Active; progress on stderr; exit 5 if it fails or the time is up' },
  timeout: { type: 'string', value: 'DURATION', help: 'how long --wait waits, e.g. 90s, 2m (default 120s)' },
  project: { type: 'string', value: 'PROJECT', help: 'the project' },
  peer: { type: 'string', value: '[TENANT/]PROJECT', help: "the peer project (default tenant: the caller's)" },
  'local-connect-ip': { type: 'string', value: 'ADDRESS/PREFIX', help: "the requester's address on the link (a /30 or /31); default from the link pool" },
  address: { type: 'string', value: 'ADDRESS', help: "the router's address on the network (default the first free host)" },
  kubeconfig: { type: 'string', value: 'FILE', help: 'the kubeconfig of the virtual cluster (sent once, stored sealed, never shown again)' },
  name: { type: 'string', value: 'NAME', help: 'the virtual cluster name used in host object names (default the project name)' },
  none: { type: 'boolean', help: 'replace routes: with none (removes every static route)' },
  file: { type: 'string', short: 'f', value: 'FILE', help: 'the request body from a JSON or YAML file; flags given beside it replace its fields' },

  service: { type: 'string', value: '[NAMESPACE/]NAME', help: "the Service to expose: namespace/name in the virtual cluster, or a name in the project's host namespace" },
  ports: { type: 'string', value: 'PORT[/PROTOCOL],...', help: 'the ports to expose, e.g. 5432 or 53/UDP,53/TCP (protocol default TCP)' },
  pool: { type: 'string', value: 'TYPE', choices: ['cloud', 'public'], help: "the network the exposure's address comes from (default the project's egress type)" },
  'share-with': { type: 'string', value: 'EXPOSURE', help: "share the address of this exposure of the same project (its ports must not collide)" },
  'entry-name': { type: 'string', value: 'NAME', help: "the name of the consumers' Service entry (default <name>-ext)" },
  grants: { type: 'string', value: '[TENANT/]PROJECT,...', help: "the projects granted access at once (another tenant's must accept)" },
  exposure: { type: 'string', value: 'EXPOSURE', help: 'the exposure' },
  direction: { type: 'string', value: 'DIRECTION', choices: ['fromHost', 'fromVirtual'], help: 'fromHost (host Service into the virtual cluster) or fromVirtual (the other way)' },
  from: { type: 'string', value: 'REF', help: 'the Service mapped: fromHost [namespace/]name on the host, fromVirtual namespace/name' },
  to: { type: 'string', value: 'REF', help: 'where it appears: fromHost namespace/name in the virtual cluster, fromVirtual a name on the host' },
  values: { type: 'string', value: 'FILE', help: 'a vcluster values fragment (mapServices / networking.replicateServices) instead of --direction/--from/--to' },

  'all-tenants': { type: 'boolean', help: "every private network with the tenants each admits (the admin's view)" },
  tenant: { type: 'string', value: 'TENANT', help: 'the tenant' },
  'display-name': { type: 'string', value: 'TEXT', help: "the tenant's display name (update: '' clears it)" },
  'max-projects': { type: 'string', value: 'N', help: 'the most projects the tenant may have' },
  'project-pool': { type: 'string', value: 'POOL', help: "the pool the tenant's project CIDRs come from (default: projects; update: '' for the default)" },
  'max-addresses': { type: 'string', value: 'POOL=N,...', help: 'the most addresses the tenant may hold in each pool named (a /24 counts 256)' },
  'hostname-suffixes': { type: 'string', value: 'SUFFIX,...', help: "the DNS suffixes the tenant's hostnames may use (replaces the list; '' for none)" },
  'import-namespaces': { type: 'string', value: 'NAMESPACE,...', help: "host namespaces the tenant's projects may map Services from (replaces the list; '' for none)" },
  kind: { type: 'string', value: 'KIND', choices: ['prefix', 'address'], help: 'prefix (blocks: project CIDRs, links) or address (single addresses: EIPs)' },
  prefixes: { type: 'string', value: 'CIDR,...', help: 'the CIDRs the pool hands out from' },
  ranges: { type: 'string', value: 'START-END,...', help: 'address ranges the pool hands out from (inclusive)' },
  reserved: { type: 'string', value: 'CIDR|START-END,...', help: 'never handed out' },
  presets: { type: 'string', value: 'PRESET,...', help: 'named reserved sets, e.g. ovh-mks-free' },
  'default-prefix-length': { type: 'string', value: 'N', help: 'the block handed out when none is asked for' },
  'min-prefix-length': { type: 'string', value: 'N', help: 'the largest block that may be asked for' },
  'max-prefix-length': { type: 'string', value: 'N', help: 'the smallest block that may be asked for' },
  gateway: { type: 'string', value: 'ADDRESS', help: "the private network's gateway (a host of it, never given to a project router)" },
  tenants: { type: 'string', value: 'TENANT,...', help: 'the tenants whose projects may attach (empty: none)' },
  description: { type: 'string', value: 'TEXT', help: 'a description' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof optionSpecs;
export const optionNames = Object.keys(optionSpecs) as OptionName[];

/** Accepted by every command. */
export const globalOptions: readonly OptionName[] = ['output', 'context', 'help'];

export type Flags = { [K in OptionName]?: (typeof optionSpecs)[K]['type'] extends 'boolean' ? boolean : string };

/** `90s`, `2m`, `500ms`, `1h`, or plain seconds: milliseconds; undefined when it does not parse. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Math.round(n * unit);
  return ms > 0 ? ms : undefined;
}
