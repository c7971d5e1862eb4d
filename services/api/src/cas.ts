import { isConflict, type JsonKv, type KvRecord } from '@netbroker/bus';
import type { z } from 'zod';
import { problem } from './problems';

/**
 * Read-modify-write with compare-and-set, retried when another writer got there first.
 * `change` answers the new value, or undefined to leave the record as it is.
 */
export async function updateWithRetry<S extends z.ZodType>(
  kv: JsonKv<S>,
  key: string,
  change: (current: KvRecord<z.infer<S>>) => z.infer<S> | undefined,
  attempts = 5,
): Promise<{ before: KvRecord<z.infer<S>>; after: z.infer<S>; revision: number; changed: boolean } | undefined> {
  for (let i = 0; i < attempts; i++) {
    const current = await kv.get(key);
    if (!current) return undefined;
    const next = change(current);
    if (next === undefined) return { before: current, after: current.value, revision: current.revision, changed: false };
    try {
      const revision = await kv.update(key, next, current.revision);
      return { before: current, after: next, revision, changed: true };
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
  throw problem('conflict', `${key} changed ${attempts} times while it was being updated; retry`);
}
