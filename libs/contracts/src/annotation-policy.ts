import { z } from 'zod';

// What tenant annotations the syncer passes to host objects (the operator's `ANNOTATION_POLICY`).
// The built-in rules (snippets, auth URLs, mirrors, cross-namespace references… see
// docs/security-annotations.md) always apply; this only narrows what passes further.

/** An annotation key as the operator writes it: `prefix/name` or `name`, no whitespace. */
const AnnotationKeyText = z
  .string()
  .min(1)
  .max(317)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .transform((k) => k.toLowerCase());

/** The prefix part of annotation keys (`ingress.example.com`), without the `/`. */
const AnnotationPrefix = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i, 'must be an annotation key prefix such as ingress.example.com (no "/")')
  .transform((p) => p.toLowerCase());

/** A host name (`auth.example.com`) or a wildcard for its subdomains (`*.example.com`). */
const HostPattern = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/i, 'must be a host name or *.domain')
  .transform((h) => h.toLowerCase());

/**
 * One kind's policy. `deny` (default): every annotation passes but the built-in classes and the
 * `keys`/`prefixes` listed here. `allow`: only the listed keys and prefixes pass (the built-in
 * classes still apply to them).
 */
export const AnnotationKindPolicy = z.strictObject({
  mode: z.enum(['deny', 'allow']).default('deny'),
  /** Exact keys (compared without case). */
  keys: z.array(AnnotationKeyText).default([]),
  /** Key prefixes, e.g. `example.com/` or `nginx.ingress.kubernetes.io/proxy-` (compared without case). */
  prefixes: z.array(AnnotationKeyText).default([]),
});
export type AnnotationKindPolicy = z.infer<typeof AnnotationKindPolicy>;

export const AnnotationPolicy = z.strictObject({
  ingress: AnnotationKindPolicy.default({ mode: 'deny', keys: [], prefixes: [] }),
  service: AnnotationKindPolicy.default({ mode: 'deny', keys: [], prefixes: [] }),
  /**
   * Hosts an `auth-url`/`auth-signin` may point at besides the tenant's own Services (exact, or
   * `*.domain` for its subdomains). Loopback, link-local and private addresses never pass.
   */
  allowedAuthHosts: z.array(HostPattern).default([]),
  /**
   * Controller objects outside the project a tenant may name: Traefik middlewares, TLS options and
   * serversTransports (`<namespace>-<name>@kubernetescrd`, `<name>@file`), Kong plugins. Exact.
   */
  allowedReferences: z.array(z.string().min(1).max(317)).default([]),
  /** ingress-nginx annotation prefixes (its `--annotations-prefix`); the default one always counts. */
  nginxAnnotationPrefixes: z.array(AnnotationPrefix).default([]),
});
export type AnnotationPolicy = z.infer<typeof AnnotationPolicy>;

/** The policy when the operator sets none: deny mode for every kind, no extra hosts or references. */
export const DEFAULT_ANNOTATION_POLICY: AnnotationPolicy = AnnotationPolicy.parse({});
