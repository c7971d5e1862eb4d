import type { V1EndpointSlice, V1NetworkPolicy, V1NetworkPolicyPeer, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { exposureKey, grantKey, type EgressNetworkType, type ExposedPort, type ExposureRecord, type GrantRecord, type LbProvider } from '@netbroker/contracts';
import { annotations, hostName, hostNamespace, labels, MANAGED_BY, safeConcatName } from '@netbroker/naming';
import { mappingLabels } from './mapping';
import type { Manifest } from './sync-context';
import { compact } from './values';

// Cross-project exposures (Kube-DC model): the exporter's LoadBalancer Service on an EIP and the
// NetworkPolicy admitting exactly the granted consumers; each consumer's `<service>-ext` entry.
// Pure: every object the exposer writes is built here.

/** Load balancer settings of the install (one provider per install). */
export interface LbConfig {
  provider: LbProvider;
  /** spec.loadBalancerClass, for any provider. */
  loadBalancerClass?: string;
  /** MetalLB: `metallb.io/address-pool`. */
  addressPool?: string;
  /** OpenStack Octavia: `loadbalancer.openstack.org/class`. */
  openstackClass?: string;
  /** OVHcloud: `loadbalancer.ovhcloud.com/class` (default octavia) and `/flavor`. */
  ovhClass?: string;
  ovhFlavor?: string;
}

/** How a Service asks the provider for one address. */
export interface LbRequest {
  annotations: Record<string, string>;
  loadBalancerIP?: string;
  loadBalancerClass?: string;
}

/**
 * Providers with a documented way to put several Services on one address when their ports
 * differ (REFERENCE.md §6: a sharing key, or Kube-DC's shared EIP). The others get one address per Service.
 */
export const sharingSupported = (provider: LbProvider): boolean => ['metallb', 'cilium', 'kube-dc'].includes(provider);

/** The name of the EIP as Kube-DC knows it (an `EIp` object the operator provides). */
export const kubeDcEipName = (eipKey: string) => safeConcatName('netbroker', eipKey);

/**
 * The annotations and fields that make `provider` give a Service exactly `address` (REFERENCE.md
 * §6). `sharingKey` is set when other exposures share the address.
 */
export function loadBalancerRequest(cfg: LbConfig, want: { address: string; eipKey: string; network: 'cloud' | 'public'; sharingKey?: string }): LbRequest {
  const base = compact({ loadBalancerClass: cfg.loadBalancerClass });
  const shared = (key: string) => (want.sharingKey ? { [key]: want.sharingKey } : {});
  switch (cfg.provider) {
    case 'plain':
      return { ...base, annotations: {}, loadBalancerIP: want.address };
    case 'metallb':
      return {
        ...base,
        annotations: {
          'metallb.io/loadBalancerIPs': want.address,
          ...(cfg.addressPool ? { 'metallb.io/address-pool': cfg.addressPool } : {}),
          ...shared('metallb.io/allow-shared-ip'),
        },
      };
    case 'cilium':
      return { ...base, annotations: { 'lbipam.cilium.io/ips': want.address, ...shared('lbipam.cilium.io/sharing-key') } };
    case 'kube-vip':
      return { ...base, annotations: { 'kube-vip.io/loadbalancerIPs': want.address } };
    case 'openstack':
      return { ...base, annotations: cfg.openstackClass ? { 'loadbalancer.openstack.org/class': cfg.openstackClass } : {}, loadBalancerIP: want.address };
    case 'ovhcloud':
      return {
        ...base,
        annotations: { 'loadbalancer.ovhcloud.com/class': cfg.ovhClass ?? 'octavia', ...(cfg.ovhFlavor ? { 'loadbalancer.ovhcloud.com/flavor': cfg.ovhFlavor } : {}) },
        loadBalancerIP: want.address,
      };
    case 'kube-dc':
      return {
        ...base,
        annotations: { 'service.nlb.kube-dc.com/bind-on-eip': kubeDcEipName(want.eipKey), 'network.kube-dc.com/external-network-type': want.network },
      };
  }
}

// --- Exporter side ----------------------------------------------------------------------------

export const exposureObjectNames = (name: string) => ({
  loadBalancer: safeConcatName('exposure', name),
  policy: safeConcatName('netbroker-exposure', name),
});

/** The host Service an exposure selects pods from: the synced copy of a virtual `ns/name`, or a host name. */
export function exposureSourceName(e: Pick<ExposureRecord, 'tenant' | 'project' | 'service'>, vcluster: string | undefined): { namespace: string; name: string; virtual: boolean } {
  const namespace = hostNamespace(e.tenant, e.project);
  const slash = e.service.indexOf('/');
  if (slash < 0) return { namespace, name: e.service, virtual: false };
  const [vns, name] = [e.service.slice(0, slash), e.service.slice(slash + 1)];
  return { namespace, name: hostName({ name, namespace: vns, vcluster: vcluster ?? e.project }), virtual: true };
}

export interface ResolvedPort {
  name: string;
  port: number;
  protocol: string;
  /** What pods listen on: a NetworkPolicy admits this port. */
  targetPort: number | string;
}

export type SourceResolution = { ok: true; selector: Record<string, string>; ports: ResolvedPort[] } | { ok: false; reason: string; message: string };

const portName = (p: ExposedPort) => `${p.protocol.toLowerCase()}-${p.port}`;

/** The exposed ports on the source Service, and the pods it selects; or why the source cannot be exposed. */
export function resolveSource(e: Pick<ExposureRecord, 'service' | 'ports'>, source: V1Service): SourceResolution {
  const selector = source.spec?.selector ?? {};
  if (source.spec?.type === 'ExternalName' || Object.keys(selector).length === 0) {
    return { ok: false, reason: 'SourceHasNoSelector', message: `Service ${e.service} selects no pods (ExternalName or selectorless): there is nothing to put behind an EIP` };
  }
  const missing: string[] = [];
  const ports = e.ports.flatMap((p): ResolvedPort[] => {
    const found = source.spec?.ports?.find((sp) => sp.port === p.port && (sp.protocol ?? 'TCP') === p.protocol);
    if (!found) {
      missing.push(`${p.port}/${p.protocol}`);
      return [];
    }
    return [{ name: portName(p), port: p.port, protocol: p.protocol, targetPort: found.targetPort ?? p.port }];
  });
  if (missing.length > 0) return { ok: false, reason: 'PortNotFound', message: `Service ${e.service} has no port ${missing.join(', ')}` };
  return { ok: true, selector, ports };
}

// --- EIP placement: the api decides it for a new exposure, the exposer checks it again ---------

/** An exposure of the project as EIP placement reads it. */
export type EipHolder = Pick<ExposureRecord, 'name' | 'eipKey' | 'pool' | 'ports'>;

export type EipFit = { ok: true } | { ok: false; reason: 'pool-mismatch' | 'port-collision'; message: string };

const portText = (p: ExposedPort) => `${p.port}/${p.protocol}`;

/**
 * Whether an exposure fits on an EIP that `holders` already use (oldest first): all in one pool
 * (`pool-mismatch`; no `pool` asked: any), never one port and protocol twice (`port-collision`,
 * naming the exposure holding each port).
 */
export function fitOnEip(candidate: { ports: readonly ExposedPort[]; pool?: EgressNetworkType }, holders: readonly EipHolder[]): EipFit {
  const sharedPool = holders[0]?.pool;
  if (candidate.pool !== undefined && sharedPool !== undefined && candidate.pool !== sharedPool) {
    return { ok: false, reason: 'pool-mismatch', message: `pool ${candidate.pool} differs from ${sharedPool}, the pool of the shared EIP` };
  }
  const taken = new Map<string, string>();
  for (const h of holders) for (const p of h.ports) if (!taken.has(portText(p))) taken.set(portText(p), h.name);
  const collisions = candidate.ports.filter((p) => taken.has(portText(p)));
  if (collisions.length === 0) return { ok: true };
  return { ok: false, reason: 'port-collision', message: `on the shared EIP: ${collisions.map((p) => `${portText(p)} is exposed by ${taken.get(portText(p))}`).join(', ')}` };
}

export type EipPlacement =
  | { ok: true; eipKey: string; pool: EgressNetworkType }
  | { ok: false; reason: 'unknown-reference' | 'pool-mismatch' | 'port-collision'; message: string };

/**
 * Which EIP a new exposure goes on: its own (keyed by its name), or the one of the project's
 * exposure `shareWith` (`unknown-reference` when there is none); then fitOnEip against every
 * exposure of `existing` on that EIP. The pool is the shared EIP's, else the one asked for, else
 * the project's egress network type.
 */
export function placeOnEip(
  want: { name: string; ports: readonly ExposedPort[]; shareWith?: string; pool?: EgressNetworkType },
  existing: readonly EipHolder[],
  projectPool: EgressNetworkType,
): EipPlacement {
  const target = want.shareWith === undefined ? undefined : existing.find((e) => e.name === want.shareWith);
  if (want.shareWith !== undefined && !target) return { ok: false, reason: 'unknown-reference', message: `shareWith: the project has no exposure ${want.shareWith}` };
  const eipKey = target?.eipKey ?? want.name;
  const holders = existing.filter((e) => e.eipKey === eipKey);
  const fit = fitOnEip(want, holders);
  if (!fit.ok) return fit;
  return { ok: true, eipKey, pool: holders[0]?.pool ?? want.pool ?? projectPool };
}

function exporterMetadata(e: ExposureRecord, name: string) {
  return {
    name,
    namespace: hostNamespace(e.tenant, e.project),
    labels: { [labels.managedBy]: MANAGED_BY, [labels.tenant]: e.tenant, [labels.project]: e.project, [labels.component]: 'exposure', [labels.exposure]: e.name },
    annotations: { [annotations.exposureKey]: exposureKey(e.tenant, e.project, e.name) },
  };
}

/**
 * The exporter's LoadBalancer Service: the source's pods behind the exposed ports on the EIP.
 * `externalTrafficPolicy: Local` keeps the client address, so the NetworkPolicy sees who calls.
 * Tenant LoadBalancer annotations are never copied: only `request` (netbroker's) is written.
 */
export function exposureLoadBalancerService(e: ExposureRecord, resolved: { selector: Record<string, string>; ports: ResolvedPort[] }, request: LbRequest): Manifest<V1Service> {
  const meta = exporterMetadata(e, exposureObjectNames(e.name).loadBalancer);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...meta, annotations: { ...meta.annotations, ...request.annotations } },
    spec: compact({
      type: 'LoadBalancer',
      selector: resolved.selector,
      ports: resolved.ports.map(({ name, port, protocol, targetPort }): V1ServicePort => ({ name, port, protocol, targetPort })),
      externalTrafficPolicy: 'Local',
      loadBalancerIP: request.loadBalancerIP,
      loadBalancerClass: request.loadBalancerClass,
    }),
  };
}

const hostCidr = (ip: string) => (ip.includes(':') ? `${ip}/128` : `${ip}/32`);

/** NetworkPolicy peers for consumers: each one's egress EIP and project CIDR, sorted, each once. */
export function policyPeers(consumers: ReadonlyArray<{ cidr?: string; egressIp?: string }>): string[] {
  const out = new Set<string>();
  for (const c of consumers) {
    if (c.egressIp) out.add(hostCidr(c.egressIp));
    if (c.cidr) out.add(c.cidr);
  }
  return [...out].sort();
}

/**
 * Admits, on the pods' ports of the exposed ports, exactly `peers` — nobody else. No peers: a
 * policy without ingress rules (it admits nothing beyond the project's isolation policies).
 */
export function exposurePolicy(e: ExposureRecord, resolved: { selector: Record<string, string>; ports: ResolvedPort[] }, peers: readonly string[]): Manifest<V1NetworkPolicy> {
  const from: V1NetworkPolicyPeer[] = peers.map((cidr) => ({ ipBlock: { cidr } }));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: exporterMetadata(e, exposureObjectNames(e.name).policy),
    spec: {
      podSelector: { matchLabels: resolved.selector },
      policyTypes: ['Ingress'],
      // No peers: no rule at all (the API server drops an empty list, so `[]` would never compare equal).
      ...(from.length > 0 ? { ingress: [{ _from: from, ports: resolved.ports.map((p) => ({ protocol: p.protocol, port: p.targetPort })) }] } : {}),
    },
  };
}

/** The peers of an exposure policy as read back from the API server. */
export function peersOf(policy: V1NetworkPolicy | undefined): string[] {
  return (policy?.spec?.ingress ?? []).flatMap((rule) => (rule._from ?? []).flatMap((p) => (p.ipBlock ? [p.ipBlock.cidr] : []))).sort();
}

// --- Consumer side ----------------------------------------------------------------------------

/** Maintainer of entry EndpointSlices (no EndpointSlice controller touches them). */
export const ENTRY_SLICE_MANAGER = 'exposer.netbroker.io';

export const entryObjectNames = (entryName: string) => ({
  service: entryName,
  slice: safeConcatName(entryName, 'netbroker'),
  policy: safeConcatName('netbroker-ext', entryName),
});

const grantKeyOf = (g: GrantRecord) => grantKey(g.exporter, g.exposure, g.consumer);

function entryMetadata(e: ExposureRecord, g: GrantRecord, namespace: string, name: string) {
  return {
    name,
    namespace,
    labels: {
      [labels.managedBy]: MANAGED_BY,
      [labels.tenant]: g.consumer.tenant,
      [labels.project]: g.consumer.project,
      [labels.component]: 'exposure-entry',
      [labels.exporterTenant]: e.tenant,
      [labels.exporterProject]: e.project,
      [labels.exposure]: e.name,
    },
    annotations: { [annotations.grantKey]: grantKeyOf(g) },
  };
}

/** The entry was written for this grant (another grant's entry of the same name is not this one's). */
export const isEntryFor = (obj: { metadata?: { annotations?: Record<string, string> } } | undefined, g: GrantRecord): boolean =>
  obj?.metadata?.annotations?.[annotations.grantKey] === grantKeyOf(g);

/** Label selector of every entry written for one exporting project's exposures, in any namespace. */
export const exporterEntrySelector = (exporter: { tenant: string; project: string }) =>
  `${labels.exporterTenant}=${exporter.tenant},${labels.exporterProject}=${exporter.project}`;

/** Label selector of every entry written for one exposure, in any namespace. */
export const entrySelector = (e: Pick<ExposureRecord, 'tenant' | 'project' | 'name'>) => `${exporterEntrySelector(e)},${labels.exposure}=${e.name}`;

/**
 * A selectorless Service `<service>-ext` with the exposed ports; its EndpointSlice holds the EIP.
 * Inside a virtual cluster it takes `clusterIP`, the host entry's (as vcluster maps host Services in).
 */
export function entryService(e: ExposureRecord, g: GrantRecord, namespace: string, clusterIP?: string): Manifest<V1Service> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: entryMetadata(e, g, namespace, entryObjectNames(e.entryName).service),
    spec: compact({ type: 'ClusterIP', clusterIP, ports: e.ports.map((p) => ({ name: portName(p), port: p.port, protocol: p.protocol, targetPort: p.port })) }),
  };
}

export function entrySlice(e: ExposureRecord, g: GrantRecord, namespace: string, address: string): Manifest<V1EndpointSlice> {
  const meta = entryMetadata(e, g, namespace, entryObjectNames(e.entryName).slice);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { ...meta, labels: { ...meta.labels, [mappingLabels.serviceName]: e.entryName, [mappingLabels.sliceManagedBy]: ENTRY_SLICE_MANAGER } },
    addressType: address.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true } }],
    ports: e.ports.map((p) => ({ name: portName(p), port: p.port, protocol: p.protocol })),
  };
}

/**
 * The consumer's project isolation denies egress to internal ranges (where a cloud EIP may
 * live): this admits egress to the exposure's address on its ports, and nothing else.
 */
export function entryEgressPolicy(e: ExposureRecord, g: GrantRecord, namespace: string, address: string): Manifest<V1NetworkPolicy> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: entryMetadata(e, g, namespace, entryObjectNames(e.entryName).policy),
    spec: {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: hostCidr(address) } }], ports: e.ports.map((p) => ({ protocol: p.protocol, port: p.port })) }],
    },
  };
}
