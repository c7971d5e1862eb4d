import {
  projectKey,
  projectSubjects,
  type Allocation,
  type Owner,
  type ProjectEvent,
  type ProjectRecord,
  type ProjectStatus,
  type TenantRecord,
} from '@netbroker/contracts';
import { isConflict, isIpamRefused, type Facts, type IpamClient, type JsonKv, type KvRecord } from '@netbroker/bus';
import type { OwnedApplier} from '@netbroker/kube';
import { isNotOwned, TransientError } from '@netbroker/kube';
import { type ReconcileResult } from '@netbroker/controller';
import { projectNamespace, projectNetworkPolicies, type ProjectContext } from '@netbroker/translate';
import type { Logger } from '@netbroker/runtime';
import type {
  ProjectRecord as ProjectRecordSchema,
  ProjectStatus as ProjectStatusSchema,
  TenantRecord as TenantRecordSchema,
  VClusterRecord as VClusterRecordSchema,
} from '@netbroker/contracts';
import { failed, nextConditions, ok, phaseOf, sameStatus, type Outcome } from '../conditions';

export interface ProjectReconcilerDeps {
  ipam: IpamClient;
  projects: JsonKv<typeof ProjectRecordSchema>;
  statuses: JsonKv<typeof ProjectStatusSchema>;
  tenants: JsonKv<typeof TenantRecordSchema>;
  vclusters: JsonKv<typeof VClusterRecordSchema>;
  applier: OwnedApplier;
  events: Facts;
  logger: Logger;
  now: () => Date;
  pools: { project: string; egress: Record<ProjectRecord['spec']['egressNetworkType'], string> };
  network: Pick<ProjectContext, 'internalCidrs' | 'dns'>;
}

/** Exhausted pools may free up: look again after this long instead of failing for good. */
const RETRY_EXHAUSTED_MS = 30_000;
const pascal = (reason: string) => reason.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());

/**
 * Converges one project (key `<tenant>.<project>`): CIDR and egress EIP from ipam, the host
 * namespace and its isolation NetworkPolicies, status in KV. Every step is idempotent (ipam
 * request ids derive from the project uid; objects are server-side applied), so a restart at any
 * point converges to the same result.
 */
export class ProjectReconciler {
  constructor(private readonly deps: ProjectReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const desired = await this.deps.projects.get(key);
    const status = await this.deps.statuses.get(key);
    if (!desired) {
      if (status) await this.deps.statuses.delete(key);
      return;
    }
    if (desired.value.deletionRequestedAt) return this.finalize(desired, status);
    return this.converge(desired.value, status);
  }

  private async converge(project: ProjectRecord, status: KvRecord<ProjectStatus> | undefined): Promise<ReconcileResult> {
    const owner = (purpose: string): Owner => ({ tenant: project.tenant, project: project.name, purpose });
    const tenant = await this.deps.tenants.get(project.tenant);
    const outcomes: Parameters<typeof nextConditions>[1] = {};
    const next: Partial<ProjectStatus> = { namespace: `${project.tenant}-${project.name}` };
    let retryAfter: number | undefined;

    const cidr = await this.allocate(project, tenant?.value, owner('cidr'));
    outcomes.CidrAllocated = cidr.outcome;
    next.cidr = cidr.allocation?.cidr;
    if (cidr.allocation) {
      const egress = await this.allocateEgress(project, owner('egress'));
      outcomes.EgressReady = egress.outcome;
      next.egressIp = egress.allocation?.cidr.split('/')[0];
      if (egress.retry) retryAfter = RETRY_EXHAUSTED_MS;
      outcomes.NamespaceReady = await this.applyObjects(project, next.cidr, next.egressIp);
    } else if (cidr.retry) {
      retryAfter = RETRY_EXHAUSTED_MS;
    }
    await this.writeStatus(project, status, next, outcomes);
    return retryAfter ? { requeueAfterMs: retryAfter } : undefined;
  }

  private async allocate(project: ProjectRecord, tenant: TenantRecord | undefined, owner: Owner) {
    const pool = tenant?.projectPool ?? this.deps.pools.project;
    const want = project.spec.cidr ? { cidr: project.spec.cidr } : { prefixLength: project.spec.prefixLength };
    return this.ipamAllocate({ pool, owner, requestId: `${project.uid}:cidr`, ...want }, (a) => ok('Allocated', `${a.cidr} from pool ${pool}`));
  }

  private allocateEgress(project: ProjectRecord, owner: Owner) {
    const pool = this.deps.pools.egress[project.spec.egressNetworkType];
    return this.ipamAllocate({ pool, owner, requestId: `${project.uid}:egress` }, (a) => ok('Allocated', `gateway EIP ${a.cidr.split('/')[0]} from pool ${pool}`));
  }

  private async ipamAllocate(
    req: { pool: string; owner: Owner; requestId: string; cidr?: string; prefixLength?: number },
    success: (a: Allocation) => Outcome,
  ): Promise<{ outcome: Outcome; allocation?: Allocation; retry?: boolean }> {
    try {
      const allocation = await this.deps.ipam.allocate(req);
      return { outcome: success(allocation), allocation };
    } catch (e) {
      // A refusal is the project's condition; ipam not answering (or failing inside) is retried.
      if (!isIpamRefused(e)) throw e;
      return { outcome: failed(pascal(e.reason), e.detail), retry: e.reason === 'exhausted' };
    }
  }

  private async applyObjects(project: ProjectRecord, cidr?: string, egressIp?: string): Promise<Outcome> {
    const ctx: ProjectContext = { tenant: project.tenant, project: project.name, uid: project.uid, egressNetworkType: project.spec.egressNetworkType, cidr, egressIp, ...this.deps.network };
    try {
      const namespace = projectNamespace(ctx);
      await this.deps.applier.apply(namespace);
      const policies = projectNetworkPolicies(ctx);
      const existing = await this.deps.applier.listIn(policies[0]!.apiVersion, policies[0]!.kind, namespace.metadata.name);
      await Promise.all(policies.map((policy) => this.deps.applier.apply(policy, existing.get(policy.metadata.name) ?? null)));
      return ok('Applied', `namespace ${ctx.tenant}-${ctx.project} with its isolation policies`);
    } catch (e) {
      if (isNotOwned(e)) return failed('NotOwned', e.message);
      throw e;
    }
  }

  private async writeStatus(project: ProjectRecord, current: KvRecord<ProjectStatus> | undefined, next: Partial<ProjectStatus>, outcomes: Parameters<typeof nextConditions>[1]) {
    const conditions = nextConditions(current?.value.conditions ?? [], outcomes, this.deps.now().toISOString());
    const status: ProjectStatus = { v: 1, uid: project.uid, observedGeneration: project.generation, phase: phaseOf(conditions), ...next, conditions };
    if (sameStatus(current?.value, status)) return;
    const key = projectKey(project.tenant, project.name);
    try {
      if (current) await this.deps.statuses.update(key, status, current.revision);
      else await this.deps.statuses.create(key, status);
    } catch (e) {
      if (isConflict(e)) throw new TransientError(`status of ${key} changed meanwhile`, { cause: e });
      throw e;
    }
    if (status.phase !== current?.value.phase && status.phase !== 'Pending') {
      const ready = conditions.find((c) => c.type === 'Ready')!;
      const subject = status.phase === 'Ready' ? projectSubjects.provisioned : projectSubjects.failed;
      await this.publish(subject, project, `${project.uid}:${project.generation}:${status.phase}`, ready.reason, ready.message);
    }
  }

  /** Deletion: owned objects, then addresses, then the records. Safe to repeat from any point. */
  private async finalize(desired: KvRecord<ProjectRecord>, status: KvRecord<ProjectStatus> | undefined): Promise<ReconcileResult> {
    const project = desired.value;
    const ctx: ProjectContext = { tenant: project.tenant, project: project.name, uid: project.uid, egressNetworkType: project.spec.egressNetworkType, ...this.deps.network };
    for (const object of [...projectNetworkPolicies(ctx), projectNamespace(ctx)]) {
      try {
        await this.deps.applier.delete(object);
      } catch (e) {
        if (!isNotOwned(e)) throw e;
        this.deps.logger.warn({ project: desired.key, object: object.metadata.name }, 'not deleting an object netbroker does not own');
      }
    }
    const released = await this.deps.ipam.release({ owner: { tenant: project.tenant, project: project.name } });
    const vcluster = await this.deps.vclusters.get(desired.key);
    if (vcluster) await this.deps.vclusters.delete(desired.key);
    await this.publish(projectSubjects.deleted, project, `${project.uid}:deleted`, 'Deleted', `released ${released.length} allocation(s)`);
    if (status) await this.deps.statuses.delete(desired.key);
    await this.deps.projects.delete(desired.key, desired.revision).catch((e: unknown) => {
      if (isConflict(e)) throw new TransientError(`project ${desired.key} changed during deletion`, { cause: e });
      throw e;
    });
  }

  private async publish(subject: string, project: ProjectRecord, msgId: string, reason: string, message: string): Promise<void> {
    const event: ProjectEvent = { v: 1, tenant: project.tenant, project: project.name, uid: project.uid, generation: project.generation, actor: 'provisioner', reason, message };
    await this.deps.events.publish(subject, event, msgId);
  }
}
