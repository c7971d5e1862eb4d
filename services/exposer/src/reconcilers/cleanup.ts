import type { KubernetesObject } from '@kubernetes/client-node';
import { exposureKey, exposureSubjects, parseExposureKey, parseProjectKey, type Allocation, type ExposureEvent, type ExposureRecord, type ExposureStatus, type GrantRecord, type ProjectRecord } from '@netbroker/contracts';
import type { Facts } from '@netbroker/bus';
import { TerminalError, type OwnedApplier } from '@netbroker/kube';
import { annotations, hostNamespace } from '@netbroker/naming';
import { exposureObjectNames } from '@netbroker/translate';
import type { ExposerCaches } from '../caches';
import { eipRequestId, type Eips } from '../eips';
import type { Entry, Exporters } from '../exporters';
import type { Entries } from './entries';
import type { StatusWriter } from './status';
import { mine, remove, type CountWrite } from './writes';

export interface CleanupDeps {
  exporters: Exporters;
  caches: ExposerCaches;
  host: OwnedApplier;
  entries: Entries;
  eips: Eips;
  events: Facts;
  status: StatusWriter;
  count: CountWrite;
}

type ExposureRef = Pick<ExposureRecord, 'tenant' | 'project' | 'name'>;
const alive = (p: ProjectRecord | undefined) => (p && !p.deletionRequestedAt ? p : undefined);

/**
 * What is gone goes: the objects and records of exposures deleted (also while no exposer ran) or
 * of a project that is gone, grants of exposures that are gone, EIPs no exposure uses. Every
 * deletion of a record is decided on the bucket, not on a source that may trail it.
 */
export class Cleanup {
  constructor(private readonly deps: CleanupDeps) {}

  /** The exporting project: the cached record, read again whenever the cache would have records of it deleted. */
  async project(key: string, exposures: Array<Entry<ExposureRecord>>, grants: Array<Entry<GrantRecord>>): Promise<ProjectRecord | undefined> {
    const { projects } = this.deps.exporters.buckets;
    const cached = alive(projects.get(key));
    if (cached && exposures.every((e) => e.value.projectUid === cached.uid) && grants.every((g) => g.value.exporter.uid === cached.uid)) return cached;
    return alive((await projects.bucket.get(key))?.value);
  }

  /** Answers the EIPs kept. */
  async run(
    key: string,
    project: ProjectRecord | undefined,
    all: { exposures: Array<Entry<ExposureRecord>>; live: Array<Entry<ExposureRecord>>; grants: Array<Entry<GrantRecord>>; statuses: Array<Entry<ExposureStatus>> },
  ): Promise<Allocation[]> {
    const { exposures, grants } = this.deps.exporters.buckets;
    const liveKeys = new Set(all.live.map((e) => e.key));
    const statusOf = (k: string) => all.statuses.find((s) => s.key === k)?.value;
    // Exposures deleted, or of a project that is gone (or an older project of the same name).
    for (const stale of all.exposures.filter((e) => !liveKeys.has(e.key))) {
      await this.teardown(stale.value, statusOf(stale.key));
      await exposures.bucket.delete(stale.key);
      this.deps.count('record-delete');
      await this.publish(stale.value, 'ProjectDeleted');
    }
    for (const s of all.statuses.filter((s) => !liveKeys.has(s.key) && !all.exposures.some((e) => e.key === s.key))) {
      if (project && (await exposures.bucket.get(s.key))?.value.projectUid === project.uid) continue; // newer than the source: not gone
      const gone = parseExposureKey(s.key);
      if (gone) await this.teardown(gone, s.value); // a status the exposer wrote: always an exposure key
    }
    // Grants of exposures that are gone. The source may not have an exposure its grant is for
    // yet: only a fresh read proves the exposure is gone.
    for (const g of all.grants) {
      const ek = exposureKey(g.value.exporter.tenant, g.value.exporter.project, g.value.exposure);
      const current = liveKeys.has(ek) ? all.live.find((e) => e.key === ek) : await exposures.bucket.get(ek);
      if (project && g.value.exporter.uid === project.uid && current?.value.projectUid === project.uid) continue;
      await grants.bucket.delete(g.key);
      this.deps.count('record-delete');
    }
    return this.releaseUnused(key, all.live);
  }

  /** The exporter's objects and every consumer entry of one exposure. */
  async removeObjects(e: ExposureRef, previous: ExposureStatus | undefined): Promise<void> {
    const { caches, host, entries, count } = this.deps;
    const hostNs = hostNamespace(e.tenant, e.project);
    const names = exposureObjectNames(e.name);
    const services = await caches.exporterServices(`${e.tenant}.${e.project}`, hostNs);
    const policies = caches.host.NetworkPolicy;
    // only what this exposure wrote: the exposure key proves it
    const written = <T extends KubernetesObject>(o: T | undefined): o is T => o !== undefined && mine(o) && o.metadata?.annotations?.[annotations.exposureKey] === exposureKey(e.tenant, e.project, e.name);
    const policy = policies?.get(names.policy, hostNs);
    if (written(policy)) await remove(host, policies, policy, () => count('host-delete'));
    const lb = services.get(names.loadBalancer, hostNs);
    if (written(lb)) await remove(host, services, lb, () => count('host-delete'));
    await entries.removeHost(e);
    await entries.removeVirtual(e, previous?.virtualEntries ?? []);
  }

  private async teardown(e: ExposureRef, status: ExposureStatus | undefined): Promise<void> {
    await this.removeObjects(e, status);
    await this.deps.status.delete(exposureKey(e.tenant, e.project, e.name));
  }

  /** EIPs no live exposure uses any more go back to their pool. Answers the EIPs kept. */
  private async releaseUnused(key: string, live: Array<Entry<ExposureRecord>>): Promise<Allocation[]> {
    const ref = parseProjectKey(key);
    if (!ref) throw new TerminalError('InvalidKey', `${key} is not a project key`);
    const { tenant, project } = ref;
    const wanted = new Set(live.map((e) => eipRequestId(e.value)));
    const held = await this.deps.eips.held(tenant, project);
    if (held.some((a) => !wanted.has(a.requestId))) {
      // Releasing is decided on the bucket itself: an exposure newer than the source keeps its EIP.
      const { projects, exposures } = this.deps.exporters.buckets;
      const project = (await projects.bucket.get(key))?.value;
      const current = (await exposures.bucket.list(`${key}.*`)).filter((e) => project && !project.deletionRequestedAt && e.value.projectUid === project.uid);
      for (const e of current) wanted.add(eipRequestId(e.value));
    }
    const kept: Allocation[] = [];
    for (const allocation of held) {
      if (wanted.has(allocation.requestId)) kept.push(allocation);
      else await this.deps.eips.release(allocation);
    }
    return kept;
  }

  private async publish(e: ExposureRecord, reason: string): Promise<void> {
    const event: ExposureEvent = { v: 1, exporter: { tenant: e.tenant, project: e.project, uid: e.projectUid }, exposure: e.name, actor: 'exposer', reason };
    await this.deps.events.publish(exposureSubjects.deleted, event, `${e.projectUid}:exposure:${e.name}:${reason}`);
  }
}
