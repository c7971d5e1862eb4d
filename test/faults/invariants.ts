import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { IpamClient, type NatsConnection } from '@netbroker/bus';
import { grantKey, type Allocation } from '@netbroker/contracts';
import { annotations, hostNamespace, labels } from '@netbroker/naming';
import { kubeConfigFor, metricValue, type ClusterInfo } from '@netbroker/testing';
import type { ApiClient, Ack, Plan } from './workload';

export interface Findings {
  /** Acknowledged writes whose effect is absent (or a deletion whose object is still there). */
  lost: string[];
  /** Effects present more than once (two CIDRs for one project, two host copies of one Service…). */
  duplicates: string[];
  /** Any other broken invariant (not Ready, an orphan, an overlap, ipam replicas disagreeing…). */
  violations: string[];
}

const POOLS = { cidr: 'projects', egress: 'egress-cloud' } as const;

function ipv4Range(cidr: string): [number, number] {
  const [ip, len] = cidr.split('/') as [string, string];
  const start = ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  return [start, start + 2 ** (32 - Number(len)) - 1];
}

/** Pairs of CIDRs that overlap (sorted by start: only neighbours need comparing, plus containment). */
export function overlaps(cidrs: string[]): string[] {
  const ranges = cidrs.map((c) => ({ c, r: ipv4Range(c) })).sort((a, b) => a.r[0] - b.r[0]);
  const found: string[] = [];
  let reach = { end: -1, c: '' };
  for (const { c, r } of ranges) {
    if (r[0] <= reach.end) found.push(`${reach.c} overlaps ${c}`);
    if (r[1] > reach.end) reach = { end: r[1], c };
  }
  return found;
}

export interface CheckContext {
  plan: Plan;
  acks: Ack[];
  api: ApiClient;
  nc: NatsConnection;
  host: ClusterInfo;
  /** Every ipam replica's ops URL. */
  ipamOps: string[];
}

/** Every invariant of the suite, once: what holds now. */
export async function check(ctx: CheckContext): Promise<Findings> {
  const { plan: p, acks, api } = ctx;
  const f: Findings = { lost: [], duplicates: [], violations: [] };
  const acked = (kind: Ack['kind'], key: string) => acks.some((a) => a.kind === kind && a.key === key);
  const created = p.projects.filter((x) => acked('project-created', x));
  const deleted = new Set(p.projects.filter((x) => acked('project-deleted', x)));
  const live = created.filter((x) => !deleted.has(x));
  const hostCore = kubeConfigFor(ctx.host).makeApiClient(CoreV1Api);
  const ipam = new IpamClient(ctx.nc, { timeoutMs: 5_000 });

  // Projects: acknowledged creations exist and are Ready; acknowledged deletions are gone; nothing else.
  const listed = new Set<string>();
  for (let cont: string | undefined, first = true; first || cont; first = false) {
    const page = await api.read(`/v1/projects?limit=500${cont ? `&continue=${cont}` : ''}`);
    for (const item of (page.body.items ?? []) as Array<{ name: string }>) listed.add(item.name);
    cont = page.body.continue as string | undefined;
  }
  for (const x of live) {
    if (!listed.has(x)) {
      f.lost.push(`project ${x}: created (acknowledged) but absent`);
      continue;
    }
    const got = await api.read(`/v1/projects/${x}`);
    const status = got.body.status as { phase?: string } | undefined;
    if (status?.phase !== 'Ready') f.violations.push(`project ${x}: phase ${status?.phase}`);
  }
  for (const x of deleted) if (listed.has(x)) f.lost.push(`project ${x}: deletion acknowledged, still listed`);
  for (const x of listed) if (!live.includes(x)) f.violations.push(`project ${x}: listed, not acknowledged as live`);

  // ipam: one CIDR and one egress EIP per live project, none for a deleted one; no overlaps.
  for (const x of p.projects) {
    const mine = await ipam.lookup({ owner: { tenant: p.tenant, project: x } });
    const cidrs = mine.filter((a) => a.pool === POOLS.cidr);
    const eips = mine.filter((a) => a.pool === POOLS.egress && a.owner.purpose === 'egress');
    if (deleted.has(x) || !created.includes(x)) {
      if (mine.length > 0) f.violations.push(`project ${x} (deleted): ${mine.length} allocation(s) left: ${mine.map((a) => `${a.pool}/${a.cidr}`).join(', ')}`);
      continue;
    }
    for (const [what, list] of [['CIDR', cidrs], ['egress EIP', eips]] as const) {
      if (list.length === 0) f.lost.push(`project ${x}: no ${what}`);
      if (list.length > 1) f.duplicates.push(`project ${x}: ${list.length} ${what}s (${list.map((a) => a.cidr).join(', ')})`);
    }
  }
  const byPool = new Map<string, Allocation[]>();
  for (const pool of [POOLS.cidr, POOLS.egress]) byPool.set(pool, await ipam.lookup({ pool }));
  for (const o of overlaps(byPool.get(POOLS.cidr)!.map((a) => a.cidr))) f.violations.push(`ipam: ${o}`);
  // Every ipam replica has applied the same allocations: its gauge equals the pool's records.
  for (const ops of ctx.ipamOps) {
    const page = await (await fetch(`${ops}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    for (const [pool, records] of byPool) {
      const counted = metricValue(page, 'netbroker_ipam_allocations', `pool="${pool}"`) ?? 0;
      if (counted !== records.length) f.violations.push(`ipam replica ${ops}: ${counted} allocations in ${pool}, the store has ${records.length}`);
    }
  }

  // Sync: every virtual Service of a live project's virtual cluster has exactly one host copy there; no orphans.
  const virtualServices = new Map<string, string[]>();
  for (const x of live) {
    if (!p.registered.includes(x)) continue;
    if (!acked('vcluster-registered', x)) {
      f.violations.push(`project ${x}: registration never acknowledged`);
      continue;
    }
    const cluster = p.vclusterOf(x);
    if (!virtualServices.has(cluster.name)) {
      const all = await kubeConfigFor(cluster).makeApiClient(CoreV1Api).listServiceForAllNamespaces();
      virtualServices.set(
        cluster.name,
        // What netbroker itself writes into the virtual cluster (exposure entries) is not synced back.
        // Only this run's namespaces: a virtual cluster serves one run after another.
        all.items.filter((s) => !s.metadata?.labels?.[labels.managedBy] && s.metadata!.namespace!.startsWith(`${p.tenant}-`) && s.metadata!.namespace !== 'kube-system' && !(s.metadata!.namespace === 'default' && s.metadata!.name === 'kubernetes')).map((s) => `${s.metadata!.namespace}/${s.metadata!.name}`),
      );
    }
    const expected = virtualServices.get(cluster.name)!;
    const copies = (await hostCore.listNamespacedService({ namespace: hostNamespace(p.tenant, x), labelSelector: `${labels.vcluster}=${x}` })).items;
    const seen = new Map<string, number>();
    for (const s of copies) {
      const from = `${s.metadata?.annotations?.[annotations.virtualNamespace]}/${s.metadata?.annotations?.[annotations.virtualName]}`;
      seen.set(from, (seen.get(from) ?? 0) + 1);
      if (!from.startsWith(`${p.tenant}-`)) f.violations.push(`project ${x}: host copy ${s.metadata?.name} of another run's ${from} (a virtual cluster is registered twice)`);
      else if (!expected.includes(from)) f.violations.push(`project ${x}: orphan host copy ${s.metadata?.name} of ${from}`);
    }
    for (const v of expected) {
      const n = seen.get(v) ?? 0;
      if (n === 0) f.lost.push(`project ${x}: virtual Service ${v} has no host copy`);
      if (n > 1) f.duplicates.push(`project ${x}: ${n} host copies of ${v}`);
    }
  }
  for (const x of deleted) {
    const left = (await hostCore.listNamespacedService({ namespace: hostNamespace(p.tenant, x), labelSelector: `${labels.managedBy}` })).items;
    for (const s of left) f.violations.push(`project ${x} (deleted): orphan host Service ${s.metadata?.name} (${s.metadata?.labels?.[labels.component] ?? 'synced'})`);
  }

  // Exposures: acknowledged ones exist while their exporter lives; consumer entries exactly for live, unrevoked grants.
  const wantedEntries = new Map<string, Set<string>>();
  for (const x of p.exposures) {
    if (!acked('exposure-created', `${x.exporter}/${x.name}`) || !live.includes(x.exporter)) continue;
    const got = await api.read(`/v1/projects/${x.exporter}/exposures/${x.name}`);
    if (got.status !== 200) f.lost.push(`exposure ${x.exporter}/${x.name}: acknowledged, GET ${got.status}`);
    for (const c of x.consumers) {
      if (!live.includes(c) || acked('grant-revoked', `${x.exporter}/${x.name}/${c}`)) continue;
      const set = wantedEntries.get(c) ?? new Set();
      set.add(grantKey({ tenant: p.tenant, project: x.exporter }, x.name, { tenant: p.tenant, project: c }));
      wantedEntries.set(c, set);
    }
  }
  for (const c of p.projects) {
    const entries: V1Service[] = (await hostCore.listNamespacedService({ namespace: hostNamespace(p.tenant, c), labelSelector: `${labels.component}=exposure-entry` })).items;
    const keys = entries.map((s) => s.metadata?.annotations?.[annotations.grantKey] ?? '?');
    const wanted = wantedEntries.get(c) ?? new Set<string>();
    for (const k of wanted) {
      const n = keys.filter((x) => x === k).length;
      if (n === 0) f.lost.push(`consumer ${c}: no entry for grant ${k}`);
      if (n > 1) f.duplicates.push(`consumer ${c}: ${n} entries for grant ${k}`);
    }
    for (const k of keys) if (!wanted.has(k)) f.violations.push(`consumer ${c}: entry for a revoked or gone grant ${k}`);
  }
  return f;
}
