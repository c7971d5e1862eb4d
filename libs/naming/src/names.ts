import { createHash } from 'node:crypto';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label: what Kubernetes accepts as a namespace or Service name. */
export const isDns1123Label = (s: string): boolean => s.length <= 63 && DNS1123_LABEL.test(s);

/** A DNS-1123 subdomain: dot-separated labels, at most 253 characters (Secret and most object names). */
export const isDns1123Subdomain = (s: string): boolean => s.length <= 253 && s.split('.').every(isDns1123Label);

/**
 * vcluster's SafeConcatName, a frozen contract: parts joined with `-`; when longer than 63
 * characters, the first 52, `-`, and the first 10 hex characters of the SHA-256 of the whole
 * joined name, then every `.-` replaced by `-`.
 */
export function safeConcatName(...parts: string[]): string {
  const full = parts.join('-');
  if (full.length <= 63) return full;
  const digest = createHash('sha256').update(full).digest('hex').slice(0, 10);
  return `${full.slice(0, 52)}-${digest}`.replace(/\.-/g, '-');
}

/** The host name of an object synced from a virtual cluster: `NAME-x-NAMESPACE-x-VCLUSTER`. */
export const hostName = ({ name, namespace, vcluster }: { name: string; namespace: string; vcluster: string }): string =>
  safeConcatName(name, 'x', namespace, 'x', vcluster);

/** The host namespace of a project: `<tenant>-<project>` (Kube-DC's `<org>-<project>`). */
export const hostNamespace = (tenant: string, project: string): string => `${tenant}-${project}`;
