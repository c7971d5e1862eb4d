import { z } from 'zod';

/**
 * A string of `min`..`max` characters, counted as JSON Schema counts them (code points, where
 * zod's own `.min()`/`.max()` count UTF-16 units): the OpenAPI document's minLength/maxLength are
 * exactly what is accepted, emoji included.
 */
export const text = (min: number, max: number) =>
  z
    .string()
    .refine((s) => {
      const length = [...s].length;
      return length >= min && length <= max;
    }, `must be ${min}-${max} characters`)
    .meta({ minLength: min, maxLength: max });

/** The source of a regular expression for a DNS-1123 label of at most `max` characters (unanchored). */
export const dnsLabel = (max: number) => `[a-z0-9](?:[-a-z0-9]{0,${max - 2}}[a-z0-9])?`;
