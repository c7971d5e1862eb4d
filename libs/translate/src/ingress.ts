import type { V1HTTPIngressPath, V1Ingress, V1IngressBackend, V1IngressRule, V1IngressStatus } from '@kubernetes/client-node';
import { normalizeHostname } from './hostnames';
import { hostMetadata, hostNameIn, tenantAnnotations, tenantLabels, virtualRefOf, type Manifest, type SyncContext } from './sync-context';
import { compact, deepEqual } from './values';

// Ingresses, virtual -> host (opt-in per virtual cluster), and their status back-sync.

/** ingress-nginx annotations whose value names a Secret (`name` or `namespace/name`). */
export const SECRET_NAME_ANNOTATIONS: readonly string[] = [
  'nginx.ingress.kubernetes.io/auth-secret',
  'nginx.ingress.kubernetes.io/auth-tls-secret',
  'nginx.ingress.kubernetes.io/proxy-ssl-secret',
];

/**
 * `name` or `namespace/name` of a Secret in the virtual cluster -> `hostNamespace/hostName`.
 * Anything else is undefined: such a value is not passed to the host, where it could name a
 * Secret of another namespace.
 */
export function hostSecretRef(value: string, virtualNamespace: string, ctx: SyncContext): string | undefined {
  const parts = value.trim().split('/');
  const [namespace, name] = parts.length === 1 ? [virtualNamespace, parts[0]] : parts;
  if (parts.length > 2 || !namespace || !name) return undefined;
  return `${ctx.hostNamespace}/${hostNameIn(ctx, name, namespace)}`;
}

function hostIngressAnnotations(virtual: V1Ingress, namespace: string, ctx: SyncContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tenantAnnotations(virtual))) {
    const translated = SECRET_NAME_ANNOTATIONS.includes(key) ? hostSecretRef(value, namespace, ctx) : value;
    if (translated !== undefined) out[key] = translated;
  }
  return out;
}

/** A backend's Service or resource name -> its host name (both live in the same virtual namespace). */
function hostBackend(backend: V1IngressBackend, namespace: string, ctx: SyncContext): V1IngressBackend {
  const rename = <T extends { name: string }>(ref: T | undefined) => (ref ? { ...ref, name: hostNameIn(ctx, ref.name, namespace) } : undefined);
  return compact({ ...backend, service: rename(backend.service), resource: rename(backend.resource) });
}

function hostRule(rule: V1IngressRule, namespace: string, ctx: SyncContext): V1IngressRule {
  if (!rule.http) return rule;
  const paths = rule.http.paths.map((path): V1HTTPIngressPath => ({ ...path, backend: hostBackend(path.backend, namespace, ctx) }));
  return { ...rule, http: { ...rule.http, paths } };
}

/**
 * The host Ingress for a virtual Ingress: same naming and ownership as Services; backends and TLS
 * Secrets renamed to host names; ingress-nginx Secret annotations translated; other annotations
 * (cert-manager's among them), hosts and `ingressClassName` kept. Hostname claims are checked
 * by the caller (`ingressHostnames`, `hostnameAllowed`, `hostnameClaimKey`).
 */
export function hostIngressFor(virtual: V1Ingress, ctx: SyncContext): Manifest<V1Ingress> {
  const ref = virtualRefOf(virtual, 'Ingress');
  const spec = structuredClone(virtual.spec ?? {});
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: hostMetadata(ref, ctx, tenantLabels(virtual), hostIngressAnnotations(virtual, ref.namespace, ctx)),
    spec: compact({
      ...spec,
      defaultBackend: spec.defaultBackend ? hostBackend(spec.defaultBackend, ref.namespace, ctx) : undefined,
      rules: spec.rules?.map((rule) => hostRule(rule, ref.namespace, ctx)),
      tls: spec.tls?.map((tls) => compact({ ...tls, secretName: tls.secretName ? hostNameIn(ctx, tls.secretName, ref.namespace) : undefined })),
    }),
  };
}

/** Every host name an Ingress uses (`rules[].host`, `tls[].hosts`): normalised, de-duplicated, sorted. */
export function ingressHostnames(ingress: V1Ingress): string[] {
  const names = [...(ingress.spec?.rules ?? []).map((rule) => rule.host), ...(ingress.spec?.tls ?? []).flatMap((tls) => tls.hosts ?? [])];
  const normalized = names.filter((name): name is string => !!name).map(normalizeHostname);
  return [...new Set(normalized)].sort();
}

const ingressLb = (status: V1IngressStatus | undefined) => (status?.loadBalancer?.ingress?.length ? status.loadBalancer.ingress : undefined);

/** The host Ingress status to write on the virtual Ingress, or undefined when they agree. */
export function ingressStatusBackSync(virtual: V1Ingress, host: V1Ingress): V1IngressStatus | undefined {
  if (deepEqual(ingressLb(virtual.status), ingressLb(host.status))) return undefined;
  return { loadBalancer: structuredClone(host.status?.loadBalancer ?? {}) };
}
