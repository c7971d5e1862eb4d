import type { z } from 'zod';
import { InvalidPayloadError } from './errors';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

/** Parses JSON bytes against a schema; anything else is an InvalidPayloadError naming `where`. */
export function decodeJson<S extends z.ZodType>(schema: S, data: Uint8Array, where: string): z.infer<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(data));
  } catch (e) {
    throw new InvalidPayloadError(where, 'not JSON', { cause: e });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new InvalidPayloadError(where, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
