import type { V1LoadBalancerStatus, V1Service, V1ServicePort, V1ServiceSpec } from '@kubernetes/client-node';
import { isDns1123Label, labels } from '@netbroker/naming';
import { annotationRefusal, reviewAnnotations, type AnnotationFinding } from './annotation-policy';
import { hostMetadata, hostNameIn, tenantLabels, virtualRefOf, type Manifest, type SyncContext, type SyncRefusal } from './sync-context';
import { compact, deepEqual } from './values';

// Services, virtual -> host (vcluster's translation) and the host -> virtual back-sync decisions.

export { isLoadBalancerAnnotation } from './annotation-policy';

/** What the policy decides for a virtual Service: refused, or synced without the `dropped` annotations. */
export interface ServiceReview {
  refusal?: SyncRefusal;
  dropped: AnnotationFinding[];
}

export function reviewService(virtual: V1Service, ctx: SyncContext): ServiceReview {
  const { findings } = reviewAnnotations('Service', virtual, ctx);
  const refused = annotationRefusal('Service', findings);
  return refused ? { refusal: refused, dropped: [] } : { dropped: findings.filter((f) => f.action === 'drop') };
}

/** The tenant's selector scoped to the pods vcluster synced from `namespace`; none stays none. */
function hostSelector(selector: V1ServiceSpec['selector'], namespace: string, ctx: SyncContext): V1ServiceSpec['selector'] {
  if (!selector || Object.keys(selector).length === 0) return undefined;
  return { ...selector, [labels.vclusterManagedBy]: ctx.vcluster, [labels.vclusterNamespace]: namespace };
}

/** `svc.ns.svc.cluster.local`, `svc.ns.svc` and (for a known namespace) `svc.ns`: a Service of this virtual cluster. */
function virtualServiceTarget(externalName: string, ctx: SyncContext): { name: string; namespace: string } | undefined {
  const [name, namespace, ...rest] = externalName.toLowerCase().replace(/\.$/, '').split('.');
  if (name === undefined || namespace === undefined || !isDns1123Label(name) || !isDns1123Label(namespace)) return undefined;
  const suffix = rest.join('.');
  if (suffix === 'svc' || suffix === 'svc.cluster.local') return { name, namespace };
  return rest.length === 0 && ctx.virtualNamespaces?.includes(namespace) ? { name, namespace } : undefined;
}

/** An ExternalName naming a Service of the same virtual cluster becomes that Service's host FQDN; anything else is kept. */
export function hostExternalName(externalName: string, ctx: SyncContext): string {
  const target = virtualServiceTarget(externalName, ctx);
  if (!target) return externalName;
  const fqdn = `${hostNameIn(ctx, target.name, target.namespace)}.${ctx.hostNamespace}.svc.cluster.local`;
  return externalName.endsWith('.') ? `${fqdn}.` : fqdn;
}

/**
 * The ClusterIP to ask the host for: the one the host copy already has (immutable, and keeps
 * the manifest the same), else the virtual Service's own address — the virtual API server
 * allocates from the host's service CIDR, so when that address is free on the host the two
 * agree from the start and the virtual Service need not be re-created. None for headless and
 * ExternalName Services, and none when the host refused that address before (`refusedIP`).
 */
export function requestedClusterIP(virtual: V1Service, host: V1Service | undefined, refusedIP?: string): string | undefined {
  if (virtual.spec?.type === 'ExternalName' || virtual.spec?.clusterIP === 'None') return undefined;
  const hostIP = host?.spec?.clusterIP;
  if (host) return hostIP && hostIP !== 'None' ? hostIP : undefined;
  const ip = virtual.spec?.clusterIP;
  return ip && ip !== refusedIP ? ip : undefined;
}

/**
 * The host Service for a virtual Service (vcluster's rule): host name and namespace, scoped
 * selector, ClusterIP as `clusterIP` asks (see `requestedClusterIP`; headless kept), no
 * nodePorts, no IP families, no load-balancer fields, annotations as the policy lets them pass
 * (`reviewAnnotations`; never load-balancer ones), ExternalName rewritten; ownership in
 * labels/annotations.
 */
export function hostServiceFor(virtual: V1Service, ctx: SyncContext, clusterIP?: string): Manifest<V1Service> {
  const ref = virtualRefOf(virtual, 'Service');
  const spec = structuredClone(virtual.spec ?? {});
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: hostMetadata(ref, ctx, tenantLabels(virtual), reviewAnnotations('Service', virtual, ctx).annotations),
    spec: compact({
      type: spec.type,
      selector: hostSelector(spec.selector, ref.namespace, ctx),
      clusterIP: spec.clusterIP === 'None' ? 'None' : spec.type === 'ExternalName' ? undefined : clusterIP,
      ports: spec.ports?.map(({ nodePort: _nodePort, ...port }) => port),
      sessionAffinity: spec.sessionAffinity,
      sessionAffinityConfig: spec.sessionAffinityConfig,
      externalTrafficPolicy: spec.externalTrafficPolicy,
      internalTrafficPolicy: spec.internalTrafficPolicy,
      publishNotReadyAddresses: spec.publishNotReadyAddresses,
      trafficDistribution: spec.trafficDistribution,
      externalName: spec.externalName === undefined ? undefined : hostExternalName(spec.externalName, ctx),
    }),
  };
}

/** What the virtual Service needs from its host Service; every field absent means "nothing to do". */
export interface ServiceBackSync {
  /** Write as the virtual Service's status (status subresource): the host's LoadBalancer status. */
  statusPatch?: { loadBalancer: V1LoadBalancerStatus };
  /** The virtual Service's ports carrying the host's nodePorts: write as `spec.ports`. */
  nodePorts?: V1ServicePort[];
  /** Delete the virtual Service and create `virtualServiceRecreated(virtual, host)` in its place. */
  recreateWithClusterIP?: string;
}

const protocolOf = (port: V1ServicePort) => port.protocol ?? 'TCP';

/** The host port a virtual port was translated to: by name, else by port number and protocol. */
function matchingPort(port: V1ServicePort, hostPorts: readonly V1ServicePort[]): V1ServicePort | undefined {
  const byName = port.name ? hostPorts.find((p) => p.name === port.name) : undefined;
  return byName ?? hostPorts.find((p) => p.port === port.port && protocolOf(p) === protocolOf(port));
}

/** The virtual ports with the host's nodePorts, or undefined when they already agree. */
function nodePortsBackSync(virtual: V1Service, host: V1Service): V1ServicePort[] | undefined {
  if (virtual.spec?.type !== 'NodePort' && virtual.spec?.type !== 'LoadBalancer') return undefined;
  const hostPorts = host.spec?.ports ?? [];
  let changed = false;
  const ports = (virtual.spec.ports ?? []).map((port) => {
    const nodePort = matchingPort(port, hostPorts)?.nodePort;
    if (nodePort === undefined || nodePort === port.nodePort) return port;
    changed = true;
    return { ...port, nodePort };
  });
  return changed ? ports : undefined;
}

const lbIngress = (status: V1LoadBalancerStatus | undefined) => (status?.ingress?.length ? status.ingress : undefined);

/** The host ClusterIP the virtual Service must be re-created with, when they differ. */
function clusterIPBackSync(virtual: V1Service, host: V1Service): string | undefined {
  const hostIP = host.spec?.clusterIP;
  const virtualIP = virtual.spec?.clusterIP;
  if (!hostIP || hostIP === 'None' || virtual.spec?.type === 'ExternalName' || virtualIP === 'None') return undefined;
  return hostIP === virtualIP ? undefined : hostIP;
}

/** The pure host -> virtual decision for one Service pair (vcluster's back-sync). */
export function virtualServiceBackSync(virtual: V1Service, host: V1Service): ServiceBackSync {
  const hostLb = host.status?.loadBalancer;
  const lbDiffers = !deepEqual(lbIngress(hostLb), lbIngress(virtual.status?.loadBalancer));
  return compact({
    statusPatch: lbDiffers ? { loadBalancer: structuredClone(hostLb ?? {}) } : undefined,
    nodePorts: nodePortsBackSync(virtual, host),
    recreateWithClusterIP: clusterIPBackSync(virtual, host),
  });
}

/**
 * The virtual Service to create in place of `virtual`, with the host's ClusterIP and nodePorts:
 * server-set metadata and status dropped, IP families left to the virtual API server.
 */
export function virtualServiceRecreated(virtual: V1Service, host: V1Service): V1Service {
  const { metadata = {}, spec = {} } = structuredClone(virtual);
  const { ipFamilies: _families, ...rest } = spec;
  const clusterIP = host.spec?.clusterIP;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: compact({
      name: metadata.name,
      namespace: metadata.namespace,
      labels: metadata.labels,
      annotations: metadata.annotations,
      ownerReferences: metadata.ownerReferences,
    }),
    spec: compact({
      ...rest,
      clusterIP,
      clusterIPs: clusterIP ? [clusterIP] : undefined,
      ports: nodePortsBackSync(virtual, host) ?? rest.ports,
    }),
  };
}
