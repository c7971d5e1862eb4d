import type { KubernetesObject } from '@kubernetes/client-node';
import type { MappingRecord } from '@netbroker/contracts';
import { isOwnedBy, type ObjectRef, type OwnedApplier } from '@netbroker/kube';
import { isWrittenFor } from '@netbroker/translate';
import { FIELD_MANAGER } from '../virtual-clusters';

/** What a mapping reconcile found: the status to show, and when to look again. */
export interface Outcome {
  ready: boolean;
  reason: string;
  message: string;
  requeueAfterMs?: number;
}

/** A conflicting object is looked at again this often (it may go away). */
export const CONFLICT_RECHECK_MS = 30_000;

export const serviceRef = (namespace: string, name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace } });
export const sliceRef = (namespace: string, name: string): ObjectRef => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace } });

/** The object is this mapping's to change or delete: netbroker-mapper's, written for this very mapping. */
export const isMine = (obj: KubernetesObject | undefined, m: MappingRecord): boolean => obj !== undefined && isOwnedBy(obj, FIELD_MANAGER) && isWrittenFor(obj, m);

/** Deletes what this mapping wrote there; anything else is left alone. */
export async function deleteMine(applier: OwnedApplier, ref: ObjectRef, m: MappingRecord): Promise<void> {
  const existing = await applier.read(ref);
  if (isMine(existing, m)) await applier.delete(ref);
}
