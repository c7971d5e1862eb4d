import type { V1HTTPIngressPath, V1Ingress, V1IngressBackend, V1IngressRule, V1IngressSpec, V1IngressStatus } from '@kubernetes/client-node';
import { isDns1123Label, isDns1123Subdomain } from '@netbroker/naming';
import { annotationRefusal, reviewAnnotations, type AnnotationFinding } from './annotation-policy';
import { normalizeHostname } from './hostnames';
import { hostMetadata, hostNameIn, refusal, tenantLabels, virtualRefOf, type Manifest, type SyncContext, type SyncRefusal } from './sync-context';
import { compact, deepEqual, hasControlCharacters } from './values';

// Ingresses, virtual -> host (opt-in per virtual cluster), and their status back-sync.

export { hostSecretRef, SECRET_NAME_ANNOTATIONS } from './annotation-policy';

/** Where each backend of an Ingress sits (`defaultBackend`, `rules[0].http.paths[1].backend`). */
function backendsOf(spec: V1IngressSpec): [string, V1IngressBackend][] {
  const paths = (spec.rules ?? []).flatMap((rule, r) => (rule.http?.paths ?? []).map((path, p): [string, V1IngressBackend] => [`rules[${r}].http.paths[${p}].backend`, path.backend]));
  return spec.defaultBackend ? [['defaultBackend', spec.defaultBackend], ...paths] : paths;
}

/** A backend the host controller may route to: exactly one Service or core-group resource, named as in its own namespace. */
function backendAllowed(backend: V1IngressBackend): boolean {
  const { service, resource } = backend;
  if (service && !resource) return isDns1123Label(service.name);
  if (resource && !service) return (resource.apiGroup ?? '') === '' && isDns1123Subdomain(resource.name);
  return false;
}

/** Characters an ingress controller could read as configuration; braces are regex syntax only in ImplementationSpecific paths. */
function pathAllowed({ path = '', pathType }: V1HTTPIngressPath): boolean {
  if (hasControlCharacters(path) || /[\s;'"`\\]/.test(path)) return false;
  return pathType === 'ImplementationSpecific' || !/[{}]/.test(path);
}

/**
 * The fields of an Ingress a host controller acts on beyond annotations: TLS Secrets must be plain
 * names of the Ingress's own namespace (no `namespace/name`, which Contour reads as a delegated
 * Secret of another namespace), backends Services or core resources of that namespace, and paths
 * free of characters that break out of the controller's configuration.
 */
export function ingressFieldRefusal(virtual: V1Ingress): SyncRefusal | undefined {
  const spec = virtual.spec ?? {};
  const tls = (spec.tls ?? []).findIndex((t) => t.secretName !== undefined && !isDns1123Subdomain(t.secretName));
  if (tls >= 0) return refusal('TlsSecretNotAllowed', `tls[${tls}].secretName is not the name of a Secret of the Ingress's own namespace`);
  const backend = backendsOf(spec).find(([, b]) => !backendAllowed(b));
  if (backend) {
    return refusal('BackendNotAllowed', `${backend[0]} is not a Service or core resource of the Ingress's own namespace (resource backends of other API groups are not synced)`);
  }
  const rule = (spec.rules ?? []).findIndex((r) => !(r.http?.paths ?? []).every(pathAllowed));
  if (rule >= 0) return refusal('PathNotAllowed', `rules[${rule}] has a path with spaces, control characters or characters an ingress controller reads as configuration`);
  return undefined;
}

/** What the policy decides for a virtual Ingress: refused, or synced without the `dropped` annotations. */
export interface IngressReview {
  refusal?: SyncRefusal;
  dropped: AnnotationFinding[];
}

export function reviewIngress(virtual: V1Ingress, ctx: SyncContext): IngressReview {
  const { findings } = reviewAnnotations('Ingress', virtual, ctx);
  const refused = ingressFieldRefusal(virtual) ?? annotationRefusal('Ingress', findings);
  return refused ? { refusal: refused, dropped: [] } : { dropped: findings.filter((f) => f.action === 'drop') };
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
 * Secrets renamed to host names (a TLS Secret that is not a plain name is left out); annotations
 * as the policy lets them pass (`reviewAnnotations`: Secret and Service references translated,
 * the rest as written, cert-manager's among them); hosts and `ingressClassName` kept. Refusals
 * (`reviewIngress`) and hostname claims (`ingressHostnames`, `hostnameAllowed`,
 * `hostnameClaimKey`) are the caller's.
 */
export function hostIngressFor(virtual: V1Ingress, ctx: SyncContext): Manifest<V1Ingress> {
  const ref = virtualRefOf(virtual, 'Ingress');
  const spec = structuredClone(virtual.spec ?? {});
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: hostMetadata(ref, ctx, tenantLabels(virtual), reviewAnnotations('Ingress', virtual, ctx).annotations),
    spec: compact({
      ...spec,
      defaultBackend: spec.defaultBackend ? hostBackend(spec.defaultBackend, ref.namespace, ctx) : undefined,
      rules: spec.rules?.map((rule) => hostRule(rule, ref.namespace, ctx)),
      tls: spec.tls?.map((tls) => compact({ ...tls, secretName: tls.secretName && isDns1123Subdomain(tls.secretName) ? hostNameIn(ctx, tls.secretName, ref.namespace) : undefined })),
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
