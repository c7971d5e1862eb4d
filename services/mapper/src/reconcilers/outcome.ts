import type { KubernetesObject } from '@kubernetes/client-node';
import type { MappingRecord } from '@netbroker/contracts';
import type { CachedReader } from '@netbroker/controller';
import { applyIfChanged, isOwnedBy, type ObjectRef, type OwnedApplier } from '@netbroker/kube';
import { isWrittenFor } from '@netbroker/translate';
import { FIELD_MANAGER } from '../caches';

/** What a mapping reconcile found: the status to show, and when to look again. */
export interface Outcome {
  ready: boolean;
  reason: string;
  message: string;
  requeueAfterMs?: number;
}

/** Counts a write by kind (`host-apply`, `virtual-delete`, `status`…): a resync in place adds none. */
export type CountWrite = (kind: string) => void;

/** A conflicting object is looked at again this often (it may go away). */
export const CONFLICT_RECHECK_MS = 30_000;

export const serviceRef = (namespace: string, name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace } });
export const sliceRef = (namespace: string, name: string): ObjectRef => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name, namespace } });

/** The object is this mapping's to change or delete: netbroker-mapper's, written for this very mapping. */
export const isMine = (obj: KubernetesObject | undefined, m: MappingRecord): boolean => obj !== undefined && isOwnedBy(obj, FIELD_MANAGER) && isWrittenFor(obj, m);

/** Applies unless `current` (as the cache has it) already holds the manifest; a write goes into the cache. */
export async function write<T extends KubernetesObject>(applier: OwnedApplier, reader: CachedReader<T>, manifest: T & ObjectRef, current: T | undefined, counted: () => void): Promise<T> {
  const { object, wrote } = await applyIfChanged(applier, manifest, current);
  if (wrote) {
    reader.wrote(object);
    counted();
  }
  return object;
}

/** Deletes an object the cache holds (`existing`); the cache forgets it at once. */
export async function remove<T extends KubernetesObject>(applier: OwnedApplier, reader: CachedReader<T>, ref: ObjectRef, existing: T, counted: () => void): Promise<void> {
  if (await applier.delete(ref)) counted();
  reader.deleted(ref.metadata.name, ref.metadata.namespace, existing);
}

/** Deletes what this mapping wrote there (as the cache has it); anything else is left alone. */
export async function deleteMine<T extends KubernetesObject>(applier: OwnedApplier, reader: CachedReader<T>, ref: ObjectRef, m: MappingRecord, counted: () => void): Promise<void> {
  const existing = reader.get(ref.metadata.name, ref.metadata.namespace);
  if (existing && isMine(existing, m)) await remove(applier, reader, ref, existing, counted);
}
