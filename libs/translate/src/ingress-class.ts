import type { KubernetesObject, V1Ingress, V1IngressClass } from '@kubernetes/client-node';
import { annotations, labels, MANAGED_BY } from '@netbroker/naming';
import { tenantAnnotations, tenantLabels, type Manifest } from './sync-context';
import { compact } from './values';

// IngressClasses, host -> virtual: mirrored read-only so tenants see what they may use.

/**
 * The virtual cluster's copy of a host IngressClass: same name and spec, the host's labels and
 * annotations (the default-class mark included), none of the server's fields (uid,
 * resourceVersion, managedFields, creationTimestamp...), and netbroker's ownership: managed-by
 * label, the host uid and a read-only mark.
 */
export function virtualIngressClassFor(host: V1IngressClass): Manifest<V1IngressClass> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      name: host.metadata?.name ?? '',
      labels: { ...tenantLabels(host), [labels.managedBy]: MANAGED_BY },
      annotations: { ...tenantAnnotations(host), [annotations.hostUid]: host.metadata?.uid ?? '', [annotations.readOnly]: 'true' },
    },
    ...compact({ spec: host.spec ? structuredClone(host.spec) : undefined }),
  };
}

/** A virtual IngressClass netbroker mirrored (may be updated or deleted by the syncer); a tenant's own is not. */
export const isMirroredIngressClass = (obj: KubernetesObject): boolean =>
  obj.metadata?.labels?.[labels.managedBy] === MANAGED_BY && obj.metadata.annotations?.[annotations.hostUid] !== undefined;

/** The class an Ingress names: `spec.ingressClassName`, else the deprecated `kubernetes.io/ingress.class` annotation. */
export const ingressClassOf = (ingress: V1Ingress): string | undefined =>
  ingress.spec?.ingressClassName ?? ingress.metadata?.annotations?.['kubernetes.io/ingress.class'];

/** Annotations some controllers read as the class, whatever `spec.ingressClassName` says (Contour's among them). */
const CLASS_ANNOTATIONS = ['kubernetes.io/ingress.class', 'projectcontour.io/ingress.class', 'contour.heptio.com/ingress.class'];

/** Every class an Ingress names, in the spec or in a class annotation: a controller may act on any of them. */
export const ingressClassesOf = (ingress: V1Ingress): string[] => {
  const named = [ingress.spec?.ingressClassName, ...CLASS_ANNOTATIONS.map((key) => ingress.metadata?.annotations?.[key])];
  return [...new Set(named.filter((name): name is string => name !== undefined))];
};

/**
 * Whether an Ingress may be synced given the classes offered to the virtual cluster: every class
 * it names (spec or annotations) is offered. An Ingress naming no class is offered: the host's
 * default class, if any, serves it, as in vcluster.
 */
export function ingressClassOffered(ingress: V1Ingress, offered: readonly string[]): boolean {
  return ingressClassesOf(ingress).every((name) => offered.includes(name));
}
