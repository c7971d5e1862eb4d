import type {
  Condition,
  Exposure,
  ExposureList,
  ImportList,
  Mapping,
  MappingList,
  Peering,
  PeeringList,
  PoolList,
  PoolStatus,
  PrivateNetwork,
  PrivateNetworkList,
  Project,
  ProjectList,
  ProjectRoutes,
  Tenant,
  TenantList,
  TenantPrivateNetwork,
  TenantPrivateNetworkList,
  TokenList,
  VCluster,
} from '@netbroker/contracts';
import { stringify } from 'yaml';
import { oneLine } from './problems';

// What the CLI prints: `-o json` and `-o yaml` print the API's answer as it came (a list: every
// page's items in one `items`); `-o table` (the default) a view of it, one row per object, columns
// padded like kubectl's. Every function here is pure (the age of an object takes `now`).

export const formats = ['table', 'json', 'yaml'] as const;
export type Format = (typeof formats)[number];

export interface Table {
  header: string[];
  rows: string[][];
}

/** The answer as JSON (2-space indent) or YAML, with a final newline. */
export function renderData(body: unknown, format: Exclude<Format, 'table'>): string {
  return format === 'json' ? `${JSON.stringify(body, null, 2)}\n` : stringify(body);
}

/** Columns separated by three spaces, no trailing blanks; cells on one line without control characters. */
export function renderTable({ header, rows }: Table): string {
  const cells = [header, ...rows].map((row) => row.map((c) => oneLine(c)));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => [...(row[i] ?? '')].length)));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('   ').trimEnd()).join('\n') + '\n';
}

/** kubectl's AGE: `42s`, `5m`, `3h`, `12d`; `-` for a time that does not parse. */
export function age(since: string | undefined, now: number): string {
  const t = since === undefined ? NaN : Date.parse(since);
  if (Number.isNaN(t)) return '-';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)}m`;
  if (s < 2 * 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** Why a project is not Ready, in one cell: the first condition that failed, else the first still pending. */
export function reasonOf(conditions: Condition[]): string {
  const c = conditions.find((x) => x.type !== 'Ready' && x.status === 'False') ?? conditions.find((x) => x.type !== 'Ready' && x.status === 'Unknown');
  return c ? `${c.type}: ${c.reason}` : '';
}

const side = (s: { tenant: string; project: string }) => `${s.tenant}/${s.project}`;

const projectRow = (p: Project, now: number) => [
  p.name,
  p.deletionRequestedAt !== undefined && p.status.phase !== 'Deleting' ? `${p.status.phase} (deleting)` : p.status.phase,
  p.status.cidr ?? '',
  p.status.egressIp ?? '',
  p.status.namespace ?? '',
  reasonOf(p.status.conditions),
  age(p.createdAt, now),
];
const projectHeader = ['NAME', 'PHASE', 'CIDR', 'EGRESS IP', 'NAMESPACE', 'REASON', 'AGE'];

const peeringRow = (p: Peering, now: number) => [p.id, side(p.requester), side(p.accepter), p.state, p.link?.cidr ?? '', age(p.createdAt, now)];
const peeringHeader = ['ID', 'REQUESTER', 'ACCEPTER', 'STATE', 'LINK', 'AGE'];

const yesNo = (b: boolean) => (b ? 'yes' : 'no');
const ports = (ps: Array<{ port: number; protocol: string }>) => ps.map((p) => `${p.port}/${p.protocol}`).join(',');

const mappingHeader = ['ID', 'DIRECTION', 'FROM', 'TO', 'READY', 'REASON', 'AGE'];
const mappingRow = (m: Mapping, now: number) => [m.id, m.direction, m.from, m.to, yesNo(m.status.ready), m.status.reason, age(m.createdAt, now)];

const exposureHeader = ['NAME', 'SERVICE', 'PORTS', 'POOL', 'ADDRESS', 'GRANTS', 'READY', 'REASON', 'AGE'];
const exposureRow = (e: Exposure, now: number) => [
  e.name,
  e.service,
  ports(e.ports),
  e.pool,
  e.status.address ?? e.status.eip ?? '',
  e.grants.map((g) => `${g.project}(${g.state})`).join(','),
  yesNo(e.status.ready),
  e.status.ready ? '' : e.status.reason,
  age(e.createdAt, now),
];
const grantHeader = ['EXPOSURE', 'CONSUMER', 'STATE', 'GRANTED', 'ACCEPTED'];
const grantRows = (e: Exposure, now: number) => e.grants.map((g) => [e.name, g.project, g.state, age(g.grantedAt, now), g.acceptedAt ? age(g.acceptedAt, now) : '']);

const tenantHeader = ['NAME', 'DISPLAY NAME', 'MAX PROJECTS', 'PROJECT POOL', 'AGE'];
const tenantRow = (t: Tenant, now: number) => [t.name, t.displayName ?? '', String(t.quotas.maxProjects), t.projectPool ?? '', age(t.createdAt, now)];

const poolHeader = ['NAME', 'KIND', 'SPACE', 'USED', 'RESERVED', 'FREE', 'ALLOCATIONS'];
const poolRow = ({ pool: p, utilisation: u }: PoolStatus) => [
  p.name,
  p.kind,
  [...p.prefixes, ...p.ranges.map((r) => `${r.start}-${r.end}`)].join(','),
  u.used,
  u.reserved,
  u.free,
  String(u.allocations),
];

const networkHeader = ['NAME', 'CIDR', 'GATEWAY', 'DESCRIPTION'];
const networkRow = (n: TenantPrivateNetwork) => [n.name, n.cidr, n.gateway, n.description ?? ''];
const adminNetworkHeader = ['NAME', 'CIDR', 'GATEWAY', 'TENANTS', 'DESCRIPTION'];
const adminNetworkRow = (n: PrivateNetwork) => [n.name, n.cidr, n.gateway, n.tenants.join(','), n.description ?? ''];

/**
 * The table of each kind of answer. The body is the API's answer to the call the command made
 * (its contract type); a list's body holds every page.
 */
export const views = {
  projects: (body: unknown, now: number): Table => ({ header: projectHeader, rows: (body as ProjectList).items.map((p) => projectRow(p, now)) }),
  project: (body: unknown, now: number): Table => ({ header: projectHeader, rows: [projectRow(body as Project, now)] }),
  peerings: (body: unknown, now: number): Table => ({ header: peeringHeader, rows: (body as PeeringList).items.map((p) => peeringRow(p, now)) }),
  peering: (body: unknown, now: number): Table => ({ header: peeringHeader, rows: [peeringRow(body as Peering, now)] }),
  routes: (body: unknown): Table => ({ header: ['DESTINATION', 'NEXTHOP'], rows: (body as ProjectRoutes).routes.map((r) => [r.destination, r.nexthop]) }),
  attachments: (body: unknown): Table => ({ header: ['NETWORK', 'ADDRESS'], rows: (body as ProjectRoutes).attachments.map((a) => [a.network, a.address]) }),
  privateNetworks: (body: unknown): Table => ({ header: networkHeader, rows: (body as TenantPrivateNetworkList).items.map(networkRow) }),
  tenantPrivateNetwork: (body: unknown): Table => ({ header: networkHeader, rows: [networkRow(body as TenantPrivateNetwork)] }),
  adminPrivateNetworks: (body: unknown): Table => ({ header: adminNetworkHeader, rows: (body as PrivateNetworkList).items.map(adminNetworkRow) }),
  adminPrivateNetwork: (body: unknown): Table => ({ header: adminNetworkHeader, rows: [adminNetworkRow(body as PrivateNetwork)] }),
  vcluster: (body: unknown, now: number): Table => {
    const v = body as VCluster;
    const source = v.kubeconfig ? 'kubeconfig (sealed)' : v.secretRef ? `secret ${v.secretRef.name}` : '';
    return {
      header: ['PROJECT', 'NAME', 'SOURCE', 'GENERATION', 'PHASE', 'REASON', 'CONFLICTS', 'AGE'],
      rows: [[v.project, v.name, source, String(v.generation), v.status?.phase ?? 'Unknown', v.status?.reason ?? '', String(v.status?.conflicts ?? 0), age(v.registeredAt, now)]],
    };
  },
  mappings: (body: unknown, now: number): Table => ({ header: mappingHeader, rows: (body as MappingList).items.map((m) => mappingRow(m, now)) }),
  mapping: (body: unknown, now: number): Table => ({ header: mappingHeader, rows: [mappingRow(body as Mapping, now)] }),
  exposures: (body: unknown, now: number): Table => ({ header: exposureHeader, rows: (body as ExposureList).items.map((e) => exposureRow(e, now)) }),
  exposure: (body: unknown, now: number): Table => ({ header: exposureHeader, rows: [exposureRow(body as Exposure, now)] }),
  /** The grants of every exposure in a list. */
  grants: (body: unknown, now: number): Table => ({ header: grantHeader, rows: (body as ExposureList).items.flatMap((e) => grantRows(e, now)) }),
  /** The grants of one exposure. */
  exposureGrants: (body: unknown, now: number): Table => ({ header: grantHeader, rows: grantRows(body as Exposure, now) }),
  /** IMPORT is what accept and decline take: `tenant/project/exposure`. */
  imports: (body: unknown): Table => ({
    header: ['IMPORT', 'STATE', 'ENTRY', 'PORTS', 'ADDRESS', 'READY', 'REASON'],
    rows: (body as ImportList).items.map((i) => [`${i.exporter}/${i.exposure}`, i.state, i.entryName, ports(i.ports), i.address ?? '', yesNo(i.ready), i.reason]),
  }),
  tenants: (body: unknown, now: number): Table => ({ header: tenantHeader, rows: (body as TenantList).items.map((t) => tenantRow(t, now)) }),
  tenant: (body: unknown, now: number): Table => ({ header: tenantHeader, rows: [tenantRow(body as Tenant, now)] }),
  tokens: (body: unknown, now: number): Table => ({ header: ['ID', 'NAME', 'AGE'], rows: (body as TokenList).items.map((t) => [t.id, t.name, age(t.createdAt, now)]) }),
  pools: (body: unknown): Table => ({ header: poolHeader, rows: (body as PoolList).items.map(poolRow) }),
  pool: (body: unknown): Table => ({ header: poolHeader, rows: [poolRow(body as PoolStatus)] }),
} satisfies Record<string, (body: unknown, now: number) => Table>;

export type ViewName = keyof typeof views;
