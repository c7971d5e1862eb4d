import { createHash } from 'node:crypto';
import type { KubernetesObject } from '@kubernetes/client-node';
import { PREFIX } from '@netbroker/naming';
import { withOwnership, type ObjectRef, type OwnedApplier } from './apply';

type Manifest<T> = T & ObjectRef;

/** The hash of the manifest last applied: a field dropped from the manifest changes it. */
export const APPLIED_HASH = `${PREFIX}/applied-hash`;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every field of `want` has the same value in `have` (which may hold more: defaults, server fields). */
export function isSubset(want: unknown, have: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => isSubset(w, have[i]));
  if (isRecord(want)) return isRecord(have) && Object.entries(want).every(([k, w]) => w === undefined || isSubset(w, have[k]));
  return want === have;
}

/** JSON with object keys sorted: one text per value, whatever order its keys were built or parsed in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

/**
 * The manifest with the hash of its canonical JSON: the same desired state hashes the same
 * whether it was built from a cached object (the API server's key order) or from a typed
 * client's answer (the models' order).
 */
export function withAppliedHash<T extends KubernetesObject>(manifest: Manifest<T>): Manifest<T> {
  const hash = createHash('sha256').update(canonicalJson(manifest)).digest('hex').slice(0, 16);
  return { ...manifest, metadata: { ...manifest.metadata, annotations: { ...manifest.metadata.annotations, [APPLIED_HASH]: hash } } };
}

/**
 * Applies `manifest` unless `existing` already holds it (same applied hash, every field equal):
 * a level-triggered loop re-running over objects in sync makes no writes. Answers the host object
 * and whether it wrote.
 */
export async function applyIfChanged<T extends KubernetesObject>(
  applier: OwnedApplier,
  manifest: Manifest<T>,
  existing: T | undefined,
): Promise<{ object: T; wrote: boolean }> {
  const desired = withAppliedHash(manifest);
  if (existing && isSubset(withOwnership(desired, applier.fieldManager), existing)) return { object: existing, wrote: false };
  return { object: await applier.apply(desired, existing ?? null), wrote: true };
}
