import type { KubernetesObject, V1Service } from '@kubernetes/client-node';
import {
  exposureKey,
  exposureSubjects,
  parseExposureKey,
  parseProjectKey,
  projectKey,
  type Allocation,
  type ConsumerStatus,
  type ExposureEvent,
  type ExposureRecord,
  type ExposureStatus,
  type GrantRecord,
  type ProjectRecord,
  type ProjectStatus,
  type VClusterRecord,
} from '@netbroker/contracts';
import type { Facts, JsonKv, KvRecord } from '@netbroker/bus';
import { applyIfChanged, isNotOwned, isOwnedBy, TerminalError, type ObjectRef, type OwnedApplier, type ReconcileResult } from '@netbroker/kube';
import { annotations, hostNamespace, labels } from '@netbroker/naming';
import type { Logger } from '@netbroker/runtime';
import {
  exposureLoadBalancerService,
  exposureObjectNames,
  exposurePolicy,
  exposureSourceName,
  fitOnEip,
  loadBalancerRequest,
  policyPeers,
  resolveSource,
  sharingSupported,
  type LbConfig,
} from '@netbroker/translate';
import { eipRequestId, type Eips } from '../eips';
import type { ExporterCache } from '../exporters';
import type { CountWrite } from '../metrics';
import { FIELD_MANAGER } from '../virtual-clusters';
import type { Entries } from './entries';

export interface ExporterDeps {
  /** Exposures and grants as followed; the buckets below are read where a decision needs a fresh value. */
  cache: ExporterCache;
  /** Resolves once the followers have delivered every record that existed at start. */
  caughtUp: Promise<void>;
  /** The status records at start; later the reconciler's own writes keep its copy current. */
  knownStatuses: Array<KvRecord<ExposureStatus>>;
  exposures: JsonKv<typeof ExposureRecord>;
  grants: JsonKv<typeof GrantRecord>;
  statuses: JsonKv<typeof ExposureStatus>;
  projects: JsonKv<typeof ProjectRecord>;
  projectStatus: JsonKv<typeof ProjectStatus>;
  vclusters: JsonKv<typeof VClusterRecord>;
  host: OwnedApplier;
  eips: Eips;
  entries: Entries;
  events: Facts;
  lb: LbConfig;
  countWrite: CountWrite;
  logger: Logger;
  now: () => Date;
}

/** What one exposure's reconcile found. */
interface Outcome {
  ready: boolean;
  reason: string;
  message: string;
  eip?: string;
  address?: string;
  loadBalancerService?: string;
  consumers: ConsumerStatus[];
  policyPeers: string[];
  virtualEntries: string[];
}

/** What one reconcile read once for all exposures of the exporter, instead of a read per object. */
interface Snapshot {
  /** Services and NetworkPolicies of the exporter's host namespace, by name. */
  services: Map<string, KubernetesObject>;
  policies: Map<string, KubernetesObject>;
  /** Every consumer entry of the exporter's exposures (host), by exposure name. */
  entries: Map<string, KubernetesObject[]>;
  /** The exporter's exposure EIPs, by ipam request id. */
  eips: Map<string, Allocation>;
  /** Projects of accepted grants (`<tenant>.<project>`) with their status, read once for every exposure. */
  consumers: Map<string, { project?: KvRecord<ProjectRecord>; status?: KvRecord<ProjectStatus> }>;
}

/** Consumers whose entries are written at once. */
const ENTRY_CONCURRENCY = 4;

/** `task` over `items`, at most `size` at a time; results in the order of `items`. */
async function inBatches<T, R>(items: readonly T[], size: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(task))));
  return out;
}

/** Waiting for something outside (an address pool, a load balancer): look again after this long. */
const RECHECK_MS = 15_000;
const pascal = (reason: string) => reason.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
const svcRef = (namespace: string, name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace } });
const policyRef = (namespace: string, name: string): ObjectRef => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace } });
const byAge = (a: KvRecord<ExposureRecord>, b: KvRecord<ExposureRecord>) => a.value.createdAt.localeCompare(b.value.createdAt) || a.value.name.localeCompare(b.value.name);
const projectKeyOf = (ref: { tenant: string; project: string }) => projectKey(ref.tenant, ref.project);

/**
 * Every exposure of one exporting project (key `<tenant>.<project>`), level-triggered: EIPs,
 * LoadBalancer Services, NetworkPolicies admitting exactly the accepted consumers, the consumers'
 * entries, status. A project that is gone or being deleted has everything removed and released.
 */
export class ExporterReconciler {
  /** Bucket `exposure-status` as this reconciler wrote it (it is the only writer). */
  private readonly statusCopy: Map<string, ExposureStatus>;

  constructor(private readonly deps: ExporterDeps) {
    this.statusCopy = new Map(deps.knownStatuses.map((s) => [s.key, s.value]));
  }

  statusKeys(): string[] {
    return [...this.statusCopy.keys()];
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const d = this.deps;
    await d.caughtUp;
    const exposures = d.cache.exposuresOf(key);
    const grants = d.cache.grantsOf(key);
    const statuses = [...this.statusCopy].filter(([k]) => k.startsWith(`${key}.`)).map(([k, value]) => ({ key: k, value }));
    const [project, projectStatus] = await Promise.all([d.projects.get(key), d.projectStatus.get(key)]);
    const alive = project && !project.value.deletionRequestedAt ? project.value : undefined;
    const live = exposures.filter((e) => e.value.projectUid === alive?.uid).sort(byAge);
    const liveKeys = new Set(live.map((e) => e.key));

    // Exposures deleted, or of a project that is gone (or an older project of the same name).
    for (const stale of exposures.filter((e) => !liveKeys.has(e.key))) {
      await this.teardown(stale.value, statuses.find((s) => s.key === stale.key)?.value);
      await d.exposures.delete(stale.key);
      await this.publish(exposureSubjects.deleted, stale.value, 'exposer', 'ProjectDeleted');
    }
    for (const s of statuses.filter((s) => !liveKeys.has(s.key) && !exposures.some((e) => e.key === s.key))) {
      if (alive && (await d.exposures.get(s.key))?.value.projectUid === alive.uid) continue; // newer than the cache: not gone
      const gone = parseExposureKey(s.key);
      if (gone) await this.teardown(gone, s.value); // a status the exposer wrote: always an exposure key
    }
    // Grants of exposures that are gone. The cache may not have an exposure its grant is for yet:
    // only a fresh read proves the exposure is gone.
    for (const g of grants) {
      const ek = exposureKey(g.value.exporter.tenant, g.value.exporter.project, g.value.exposure);
      const current = liveKeys.has(ek) ? live.find((e) => e.key === ek) : await d.exposures.get(ek);
      if (alive && g.value.exporter.uid === alive.uid && current?.value.projectUid === alive.uid) continue;
      await d.grants.delete(g.key);
    }
    const held = await this.releaseUnused(key, live);
    if (!alive) return;

    if (projectStatus?.value.phase !== 'Ready' || projectStatus.value.uid !== alive.uid) {
      for (const e of live) {
        const message = `project ${alive.name} is not Ready yet (${projectStatus?.value.phase ?? 'no status'})`;
        await this.writeStatus(e.key, { ...this.empty(), reason: 'ProjectNotReady', message }, statuses.find((s) => s.key === e.key)?.value);
      }
      return;
    }
    const hostNs = hostNamespace(alive.tenant, alive.name);
    const [vcluster, services, policies, entries] = await Promise.all([
      d.vclusters.get(key),
      d.host.listIn('v1', 'Service', hostNs),
      d.host.listIn('networking.k8s.io/v1', 'NetworkPolicy', hostNs),
      d.entries.snapshot({ tenant: alive.tenant, project: alive.name }),
    ]);
    const consumerKeys = [...new Set(grants.filter((g) => g.value.state === 'accepted').map((g) => projectKeyOf(g.value.consumer)))];
    const consumerRecords = await Promise.all(consumerKeys.map(async (k) => ({ project: await d.projects.get(k), status: await d.projectStatus.get(k) })));
    const snap: Snapshot = {
      services,
      policies,
      entries: new Map(),
      eips: new Map(held.map((a) => [a.requestId, a])),
      consumers: new Map(consumerKeys.map((k, i) => [k, consumerRecords[i]!])),
    };
    for (const o of entries) {
      const name = o.metadata?.labels?.[labels.exposure] ?? '';
      snap.entries.set(name, [...(snap.entries.get(name) ?? []), o]);
    }
    let recheck = false;
    for (const e of live) {
      const previous = statuses.find((s) => s.key === e.key)?.value;
      const mine = grants.filter((g) => g.value.exposure === e.value.name && g.value.exporter.uid === alive.uid);
      const outcome = await this.converge(e.value, live, mine, vcluster?.value, previous, snap);
      recheck ||= !outcome.ready;
      await this.writeStatus(e.key, outcome, previous);
    }
    return recheck ? { requeueAfterMs: RECHECK_MS } : undefined;
  }

  private empty(): Outcome {
    return { ready: false, reason: '', message: '', consumers: [], policyPeers: [], virtualEntries: [] };
  }

  private async converge(
    e: ExposureRecord,
    all: Array<KvRecord<ExposureRecord>>,
    grants: Array<KvRecord<GrantRecord>>,
    vcluster: VClusterRecord | undefined,
    previous: ExposureStatus | undefined,
    snap: Snapshot,
  ): Promise<Outcome> {
    const d = this.deps;
    const hostNs = hostNamespace(e.tenant, e.project);
    const names = exposureObjectNames(e.name);
    const fail = async (reason: string, message: string, extra: Partial<Outcome> = {}): Promise<Outcome> => {
      await this.removeObjects(e, previous, snap);
      return { ...this.empty(), reason, message, ...extra };
    };

    // One address per eipKey; the earliest exposure on it keeps its ports.
    const sharing = all.filter((o) => o.value.eipKey === e.eipKey);
    const first = sharing[0]!.value;
    if (first.name !== e.name) {
      if (!sharingSupported(d.lb.provider)) return fail('SharingUnsupported', `load balancer provider ${d.lb.provider} cannot put two Services on one address (shared with ${first.name})`);
      const fit = fitOnEip(e, sharing.slice(0, sharing.findIndex((o) => o.value.name === e.name)).map((o) => o.value));
      if (!fit.ok) return fail(pascal(fit.reason), fit.message);
    }
    const held = snap.eips.get(eipRequestId(e));
    const eip = held ? { ok: true as const, address: held.cidr.split('/')[0]! } : await d.eips.allocate(e);
    if (!eip.ok) return fail(pascal(eip.error.reason), `no EIP: ${eip.error.message}`);

    const sourceName = exposureSourceName(e, vcluster?.options.name);
    if (sourceName.virtual && !vcluster) return fail('VClusterNotRegistered', `${e.service} names a virtual Service but the project has no registered virtual cluster`, { eip: eip.address });
    const source = snap.services.get(sourceName.name) as V1Service | undefined;
    if (!source || source.metadata?.deletionTimestamp) {
      const synced = sourceName.virtual ? ` (its synced copy ${sourceName.name} is not in ${hostNs})` : '';
      return fail('ServiceNotFound', `Service ${e.service} does not exist${synced}`, { eip: eip.address });
    }
    const resolved = resolveSource(e, source);
    if (!resolved.ok) return fail(resolved.reason, resolved.message, { eip: eip.address });

    const request = loadBalancerRequest(d.lb, { address: eip.address, eipKey: e.eipKey, network: e.pool, sharingKey: sharing.length > 1 ? `${hostNs}-${e.eipKey}` : undefined });
    let lb: V1Service;
    try {
      const current = snap.services.get(names.loadBalancer) as V1Service | undefined;
      const applied = await applyIfChanged(d.host, exposureLoadBalancerService(e, resolved, request), current);
      if (applied.wrote) d.countWrite('host-apply');
      lb = applied.object;
    } catch (err) {
      if (isNotOwned(err)) return fail('NotOwned', `Service ${hostNs}/${names.loadBalancer} exists and is not netbroker's; it is left untouched`, { eip: eip.address });
      throw err;
    }

    // Consumers: accepted grants of projects that exist (the very project accepted) and are Ready.
    const consumers: ConsumerStatus[] = [];
    const admitted: Array<{ grant: GrantRecord; cidr?: string; egressIp?: string }> = [];
    for (const { key, value: g } of grants) {
      const ref = `${g.consumer.tenant}/${g.consumer.project}`;
      if (g.state === 'pending') {
        consumers.push({ project: ref, ready: false, reason: 'AwaitingAcceptance', message: 'the consumer has not accepted the grant yet' });
        continue;
      }
      const { project: consumer, status } = snap.consumers.get(projectKeyOf(g.consumer)) ?? {};
      if (!consumer || consumer.value.uid !== g.consumer.uid) {
        await d.grants.delete(key); // accepted for a project that is gone: never for a new one of the same name
        continue;
      }
      if (consumer.value.deletionRequestedAt || status?.value.phase !== 'Ready' || status.value.uid !== consumer.value.uid) {
        consumers.push({ project: ref, ready: false, reason: 'ConsumerNotReady', message: `project ${ref} is not Ready` });
        continue;
      }
      admitted.push({ grant: g, cidr: status.value.cidr, egressIp: status.value.egressIp });
    }
    const peers = policyPeers(admitted);
    try {
      const policy = exposurePolicy(e, resolved, peers);
      if ((await applyIfChanged(d.host, policy, snap.policies.get(names.policy))).wrote) d.countWrite('host-apply');
    } catch (err) {
      if (isNotOwned(err)) return fail('NotOwned', `NetworkPolicy ${hostNs}/${names.policy} exists and is not netbroker's; it is left untouched`, { eip: eip.address });
      throw err;
    }

    const address = lb.status?.loadBalancer?.ingress?.find((i) => i.ip)?.ip;
    const base = { eip: eip.address, address, loadBalancerService: `${hostNs}/${names.loadBalancer}`, policyPeers: peers };
    const waiting = (reason: string, message: string): Outcome => ({
      ...base,
      ready: false,
      reason,
      message,
      consumers: [...consumers, ...admitted.map(({ grant }) => ({ project: `${grant.consumer.tenant}/${grant.consumer.project}`, ready: false, reason, message }))],
      virtualEntries: [],
    });
    let outcome: Outcome;
    if (!address) outcome = waiting('WaitingForLoadBalancer', `Service ${hostNs}/${names.loadBalancer} has no address from the load balancer yet (asked for ${eip.address})`);
    else if (address !== eip.address) outcome = waiting('AddressMismatch', `the load balancer gave ${address}, not the EIP ${eip.address}; consumers get no entry until it does`);
    else {
      const virtualEntries: string[] = [];
      // Consumers are independent (their own namespaces and virtual clusters): a few at once.
      const results = await inBatches(admitted, ENTRY_CONCURRENCY, ({ grant }) => d.entries.apply(e, grant, address, snap.entries.get(e.name) ?? []));
      results.forEach((written, i) => {
        consumers.push(written.status);
        if (written.virtual) virtualEntries.push(projectKeyOf(admitted[i]!.grant.consumer));
      });
      virtualEntries.sort();
      const ready = consumers.filter((c) => c.ready).length;
      outcome = { ...base, ready: true, reason: 'Ready', message: `${e.service} on ${address} (${e.ports.map((p) => `${p.port}/${p.protocol}`).join(', ')}); ${ready} consumer(s) connected`, consumers, virtualEntries };
    }
    const keepHost = new Set(outcome.ready ? admitted.map(({ grant }) => hostNamespace(grant.consumer.tenant, grant.consumer.project)) : []);
    await d.entries.removeHost(e, keepHost, snap.entries.get(e.name) ?? []);
    await d.entries.removeVirtual(e, (previous?.virtualEntries ?? []).filter((k) => !outcome.virtualEntries.includes(k)));
    consumers.sort((a, b) => a.project.localeCompare(b.project));
    return outcome;
  }

  /** The exporter's objects and every consumer entry of one exposure. */
  private async removeObjects(e: Pick<ExposureRecord, 'tenant' | 'project' | 'name'>, previous: ExposureStatus | undefined, snap?: Snapshot): Promise<void> {
    const d = this.deps;
    const hostNs = hostNamespace(e.tenant, e.project);
    const names = exposureObjectNames(e.name);
    const known = (ref: ObjectRef) => (ref.kind === 'Service' ? snap?.services : snap?.policies)?.get(ref.metadata.name);
    for (const ref of [policyRef(hostNs, names.policy), svcRef(hostNs, names.loadBalancer)]) {
      const current = snap ? known(ref) : await d.host.read(ref);
      // only what this exposure wrote: the exposure key proves it
      if (current && isOwnedBy(current, FIELD_MANAGER) && current.metadata?.annotations?.[annotations.exposureKey] === exposureKey(e.tenant, e.project, e.name)) {
        if (await d.host.delete(ref)) d.countWrite('host-delete');
      }
    }
    await d.entries.removeHost(e, new Set(), snap ? (snap.entries.get(e.name) ?? []) : undefined);
    await d.entries.removeVirtual(e, previous?.virtualEntries ?? []);
  }

  private async teardown(e: Pick<ExposureRecord, 'tenant' | 'project' | 'name'>, status: ExposureStatus | undefined): Promise<void> {
    await this.removeObjects(e, status);
    const key = exposureKey(e.tenant, e.project, e.name);
    if (status) await this.deps.statuses.delete(key);
    this.statusCopy.delete(key);
  }

  /** EIPs no live exposure uses any more go back to their pool. Answers the EIPs kept. */
  private async releaseUnused(key: string, live: Array<KvRecord<ExposureRecord>>): Promise<Allocation[]> {
    const ref = parseProjectKey(key);
    if (!ref) throw new TerminalError('InvalidKey', `${key} is not a project key`);
    const { tenant, project } = ref;
    const wanted = new Set(live.map((e) => eipRequestId(e.value)));
    const held = await this.deps.eips.held(tenant, project);
    if (held.some((a) => !wanted.has(a.requestId))) {
      // Releasing is decided on the bucket itself: an exposure newer than the cache keeps its EIP.
      const project = (await this.deps.projects.get(key))?.value;
      const current = (await this.deps.exposures.list(`${key}.*`)).filter((e) => project && !project.deletionRequestedAt && e.value.projectUid === project.uid);
      for (const e of current) wanted.add(eipRequestId(e.value));
    }
    const kept: Allocation[] = [];
    for (const allocation of held) {
      if (wanted.has(allocation.requestId)) kept.push(allocation);
      else await this.deps.eips.release(allocation);
    }
    return kept;
  }

  /** Written only when it changed: a resync of an exposure in place writes nothing. */
  private async writeStatus(key: string, o: Outcome, current?: ExposureStatus): Promise<void> {
    const { reason, message, ready, eip, address, loadBalancerService, consumers, policyPeers: peers, virtualEntries } = o;
    const next = { v: 1 as const, ready, reason, message, eip, address, loadBalancerService, consumers, policyPeers: peers, virtualEntries };
    if (current && JSON.stringify({ ...current, observedAt: undefined }) === JSON.stringify({ ...next, observedAt: undefined })) return;
    const written = { ...next, observedAt: this.deps.now().toISOString() };
    await this.deps.statuses.put(key, written);
    this.statusCopy.set(key, written);
  }

  private async publish(subject: string, e: ExposureRecord, actor: string, reason: string): Promise<void> {
    const event: ExposureEvent = { v: 1, exporter: { tenant: e.tenant, project: e.project, uid: e.projectUid }, exposure: e.name, actor, reason };
    await this.deps.events.publish(subject, event, `${e.projectUid}:exposure:${e.name}:${reason}`);
  }
}
