import type { KubernetesObject } from '@kubernetes/client-node';
import type { GrantRecord } from '@netbroker/contracts';
import type { CachedReader } from '@netbroker/controller';
import { applyIfChanged, isOwnedBy, type ObjectRef, type OwnedApplier } from '@netbroker/kube';
import { isEntryFor } from '@netbroker/translate';
import { FIELD_MANAGER, type Readers } from '../caches';

/** Every write the exposer makes, to an API server or a bucket: a resync of exposures in place adds none. */
export type WriteKind = 'host-apply' | 'host-delete' | 'virtual-apply' | 'virtual-delete' | 'status' | 'record-delete';
export type CountWrite = (kind: WriteKind) => void;

export const mine = (obj: KubernetesObject): boolean => isOwnedBy(obj, FIELD_MANAGER);
export const refOf = (o: KubernetesObject): ObjectRef => ({ apiVersion: o.apiVersion!, kind: o.kind!, metadata: { name: o.metadata!.name!, namespace: o.metadata?.namespace } });
const describe = (o: ObjectRef) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`;
const readerOf = (readers: Readers, o: ObjectRef) => readers[o.kind as keyof Readers];

/** Applies unless `existing` (as the cache has it) already holds the manifest; a write goes into the cache. */
export async function ensure<T extends KubernetesObject>(applier: OwnedApplier, reader: CachedReader<T> | undefined, manifest: T & ObjectRef, existing: T | undefined, counted: () => void): Promise<T> {
  const { object, wrote } = await applyIfChanged(applier, manifest, existing);
  if (wrote) {
    reader?.wrote(object);
    counted();
  }
  return object;
}

/** Deletes an object of ours the cache holds; the cache forgets it at once. */
export async function remove<T extends KubernetesObject>(applier: OwnedApplier, reader: CachedReader<T> | undefined, existing: T, counted: () => void): Promise<void> {
  const ref = refOf(existing);
  if (await applier.delete(ref)) counted();
  reader?.deleted(ref.metadata.name, ref.metadata.namespace, existing);
}

/**
 * Writes a grant's entry objects unless one of them is somebody else's (answers that one's
 * description). The caches hold only the exposer's objects: one absent there is read, as it may
 * be somebody else's.
 */
export async function writeEntry(
  applier: OwnedApplier,
  readers: Readers,
  g: GrantRecord,
  objects: Array<KubernetesObject & ObjectRef>,
  counted: () => void,
): Promise<{ ok: true; applied: KubernetesObject[] } | { ok: false; foreign: string }> {
  const current = await Promise.all(objects.map(async (o) => readerOf(readers, o)?.get(o.metadata.name, o.metadata.namespace) ?? (await applier.read(o))));
  const foreign = objects.find((o, i) => current[i] && !(mine(current[i]!) && isEntryFor(current[i], g)));
  if (foreign) return { ok: false, foreign: describe(foreign) };
  const applied = await Promise.all(objects.map((o, i) => ensure(applier, readerOf(readers, o), o, current[i], counted)));
  return { ok: true, applied };
}
