import { ConditionType, type Project, type ProjectRecord, type ProjectResourceStatus, type ProjectStatus } from '@netbroker/contracts';

/** Every condition Unknown: what a project shows before the provisioner has written any status. */
export function pendingStatus(since: string): ProjectResourceStatus {
  return {
    phase: 'Pending',
    conditions: ConditionType.options.map((type) => ({
      type,
      status: 'Unknown' as const,
      reason: 'Pending',
      message: 'waiting for the provisioner',
      lastTransitionTime: since,
    })),
  };
}

/**
 * The project resource: desired state plus the provisioner's status when it is about this very
 * project (same uid: a status left from an earlier project of the same name does not count).
 * A project marked for deletion shows `Deleting` whatever the status says.
 */
export function projectView(record: ProjectRecord, status: ProjectStatus | undefined): Project {
  let shown: ProjectResourceStatus = pendingStatus(record.createdAt);
  if (status && status.uid === record.uid) {
    const { v: _v, uid: _uid, ...rest } = status;
    shown = rest;
  }
  if (record.deletionRequestedAt !== undefined) shown = { ...shown, phase: 'Deleting' };
  return {
    name: record.name,
    tenant: record.tenant,
    uid: record.uid,
    generation: record.generation,
    createdAt: record.createdAt,
    ...(record.deletionRequestedAt !== undefined ? { deletionRequestedAt: record.deletionRequestedAt } : {}),
    spec: record.spec,
    status: shown,
  };
}
