import type { V1NetworkPolicy, V1Service } from '@kubernetes/client-node';
import type { Allocation, ExposureRecord, ExposureStatus, GrantRecord, VClusterRecord } from '@netbroker/contracts';
import type { CachedReader } from '@netbroker/controller';
import { isNotOwned, type OwnedApplier } from '@netbroker/kube';
import { hostNamespace } from '@netbroker/naming';
import {
  admitConsumers,
  fitOnEip,
  exposureLoadBalancerService,
  exposureObjectNames,
  exposurePolicy,
  exposureSourceName,
  loadBalancerRequest,
  loadBalancerWait,
  notReady,
  policyPeers,
  readyOutcome,
  resolveSource,
  sharingSupported,
  waitingOutcome,
  type ConsumerRecords,
  type ExposureOutcome,
  type LbConfig,
} from '@netbroker/translate';
import type { ExposerCaches } from '../caches';
import { eipRequestId, type Eips } from '../eips';
import type { Entry, Exporters } from '../exporters';
import type { Cleanup } from './cleanup';
import type { Entries } from './entries';
import { ensure, type CountWrite } from './writes';

/** What a reconcile of the exporter read once for all of its exposures. */
export interface ExporterView {
  /** Every Service of the exporter's host namespace. */
  services: CachedReader<V1Service>;
  /** The exporter's exposure EIPs, by ipam request id. */
  eips: Map<string, Allocation>;
  vcluster: VClusterRecord | undefined;
  consumers: (g: GrantRecord) => ConsumerRecords;
}

export interface ExposureDeps {
  exporters: Exporters;
  caches: ExposerCaches;
  host: OwnedApplier;
  eips: Eips;
  entries: Entries;
  cleanup: Cleanup;
  lb: LbConfig;
  count: CountWrite;
}

/** Consumers whose entries are written at once. */
const ENTRY_CONCURRENCY = 4;

/** `task` over `items`, at most `size` at a time; results in the order of `items`. */
async function inBatches<T, R>(items: readonly T[], size: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(task))));
  return out;
}

const pascal = (reason: string) => reason.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());

/**
 * One exposure of the exporter: its EIP, the LoadBalancer Service asking the provider for it, the
 * NetworkPolicy admitting exactly the accepted Ready consumers, and their entries once the load
 * balancer answers with the EIP. What cannot be done removes what was written, with a reason.
 */
export class ExposureReconciler {
  constructor(private readonly deps: ExposureDeps) {}

  async converge(e: ExposureRecord, all: Array<Entry<ExposureRecord>>, grants: Array<Entry<GrantRecord>>, previous: ExposureStatus | undefined, view: ExporterView): Promise<ExposureOutcome> {
    const d = this.deps;
    const hostNs = hostNamespace(e.tenant, e.project);
    const names = exposureObjectNames(e.name);
    const fail = async (reason: string, message: string, extra: Partial<ExposureOutcome> = {}): Promise<ExposureOutcome> => {
      await d.cleanup.removeObjects(e, previous);
      return notReady(reason, message, extra);
    };

    // One address per eipKey; the earliest exposure on it keeps its ports.
    const sharing = all.filter((o) => o.value.eipKey === e.eipKey);
    const first = sharing[0]!.value;
    if (first.name !== e.name) {
      if (!sharingSupported(d.lb.provider)) return fail('SharingUnsupported', `load balancer provider ${d.lb.provider} cannot put two Services on one address (shared with ${first.name})`);
      const fit = fitOnEip(e, sharing.slice(0, sharing.findIndex((o) => o.value.name === e.name)).map((o) => o.value));
      if (!fit.ok) return fail(pascal(fit.reason), fit.message);
    }
    const held = view.eips.get(eipRequestId(e));
    const eip = held ? { ok: true as const, address: held.cidr.split('/')[0]! } : await d.eips.allocate(e);
    if (!eip.ok) return fail(pascal(eip.error.reason), `no EIP: ${eip.error.message}`);

    const sourceName = exposureSourceName(e, view.vcluster?.options.name);
    if (sourceName.virtual && !view.vcluster) return fail('VClusterNotRegistered', `${e.service} names a virtual Service but the project has no registered virtual cluster`, { eip: eip.address });
    const source = view.services.get(sourceName.name, hostNs);
    if (!source || source.metadata?.deletionTimestamp) {
      const synced = sourceName.virtual ? ` (its synced copy ${sourceName.name} is not in ${hostNs})` : '';
      return fail('ServiceNotFound', `Service ${e.service} does not exist${synced}`, { eip: eip.address });
    }
    const resolved = resolveSource(e, source);
    if (!resolved.ok) return fail(resolved.reason, resolved.message, { eip: eip.address });

    const request = loadBalancerRequest(d.lb, { address: eip.address, eipKey: e.eipKey, network: e.pool, sharingKey: sharing.length > 1 ? `${hostNs}-${e.eipKey}` : undefined });
    let lb: V1Service;
    try {
      lb = await ensure(d.host, view.services, exposureLoadBalancerService(e, resolved, request), view.services.get(names.loadBalancer, hostNs), () => d.count('host-apply'));
    } catch (err) {
      if (isNotOwned(err)) return fail('NotOwned', `Service ${hostNs}/${names.loadBalancer} exists and is not netbroker's; it is left untouched`, { eip: eip.address });
      throw err;
    }

    // Consumers: accepted grants of projects that exist (the very project accepted) and are Ready.
    const admission = admitConsumers(grants, view.consumers);
    for (const key of admission.gone) {
      await d.exporters.buckets.grants.bucket.delete(key); // accepted for a project that is gone: never for a new one of the same name
      d.count('record-delete');
    }
    const peers = policyPeers(admission.admitted);
    try {
      const policies = d.caches.host.NetworkPolicy as CachedReader<V1NetworkPolicy> | undefined;
      const policy = exposurePolicy(e, resolved, peers);
      // The cache holds only the exposer's policies: one absent there is read, as it may be somebody else's.
      const current = policies?.get(names.policy, hostNs) ?? (await d.host.read<V1NetworkPolicy>(policy));
      await ensure(d.host, policies, policy, current, () => d.count('host-apply'));
    } catch (err) {
      if (isNotOwned(err)) return fail('NotOwned', `NetworkPolicy ${hostNs}/${names.policy} exists and is not netbroker's; it is left untouched`, { eip: eip.address });
      throw err;
    }

    const address = lb.status?.loadBalancer?.ingress?.find((i) => i.ip)?.ip;
    const base = { eip: eip.address, address, loadBalancerService: `${hostNs}/${names.loadBalancer}`, policyPeers: peers };
    const wait = loadBalancerWait(address, eip.address, `${hostNs}/${names.loadBalancer}`);
    // Consumers are independent (their own namespaces and virtual clusters): a few at once.
    const served = wait ? [] : await inBatches(admission.admitted, ENTRY_CONCURRENCY, ({ grant }) => d.entries.apply(e, grant, address!));
    const outcome = wait ? waitingOutcome(base, admission, wait) : readyOutcome(e, base, admission, served);
    const keepHost = new Set(outcome.ready ? admission.admitted.map(({ grant }) => hostNamespace(grant.consumer.tenant, grant.consumer.project)) : []);
    await d.entries.removeHost(e, keepHost);
    await d.entries.removeVirtual(e, (previous?.virtualEntries ?? []).filter((k) => !outcome.virtualEntries.includes(k)));
    return outcome;
  }
}
