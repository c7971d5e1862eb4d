// Small helpers over plain JSON-like values, shared by the translators. Pure.

/** A copy without the keys whose value is `undefined`, so equal inputs give structurally equal outputs. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The entries of a string map whose key passes `keep` (undefined for none). */
export function pickKeys(map: Record<string, string> | undefined, keep: (key: string) => boolean): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).filter(([k]) => keep(k)));
}

/** Whether `text` holds a C0 control character (line breaks among them) or DEL. */
export const hasControlCharacters = (text: string): boolean => [...text].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Structural equality of JSON-like values, ignoring key order and treating a key holding
 * `undefined` as absent (as JSON and the API server do).
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => deepEqual(a[k], b[k]));
}
