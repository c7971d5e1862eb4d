import { createHash } from 'node:crypto';
import type { DiscoveryV1EndpointPort, KubernetesObject, V1Endpoint, V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { mappingKey, type MappingRecord, type MappingSpec } from '@netbroker/contracts';
import { isDns1123Label, labels, MANAGED_BY, PREFIX, safeConcatName } from '@netbroker/naming';
import { parse } from 'yaml';
import { hostServiceFor } from './service';
import type { Manifest, SyncContext } from './sync-context';
import { compact } from './values';

// Service mappings (vcluster's mapServices / replicateServices): parsing and validation of the
// request forms, and the objects the mapper writes. Pure.

export const mappingLabels = {
  /** The mapping's id on every object it wrote. */
  mapping: `${PREFIX}/mapping`,
  /** EndpointSlices of a selectorless Service: who maintains them (no EndpointSlice controller touches them). */
  sliceManagedBy: 'endpointslice.kubernetes.io/managed-by',
  serviceName: 'kubernetes.io/service-name',
} as const;
export const mappingAnnotations = { key: `${PREFIX}/mapping-key`, source: `${PREFIX}/mapping-source` } as const;
/** A label value cannot hold a `/`: the controller's name in DNS form, like `endpointslice-controller.k8s.io`. */
export const SLICE_MANAGER = 'mapper.netbroker.io';

export interface ObjectName {
  namespace: string;
  name: string;
}
export interface MappingProblem {
  path: string;
  message: string;
}
export type MappingParse = { ok: true; mappings: MappingSpec[] } | { ok: false; errors: MappingProblem[] };

/** A deterministic id: the same direction, source and target always give the same mapping. */
export function mappingId(spec: MappingSpec): string {
  return `m${createHash('sha256').update(`${spec.direction}\n${spec.from}\n${spec.to}`).digest('hex').slice(0, 16)}`;
}

/** `ns/name` of a stored mapping end. */
export function splitRef(ref: string): ObjectName {
  const slash = ref.indexOf('/');
  return { namespace: ref.slice(0, slash), name: ref.slice(slash + 1) };
}

function parseRef(value: unknown, form: 'ns/name' | 'name' | 'name or ns/name', hostNs: string): string | string[] {
  if (typeof value !== 'string' || value === '') return ['must be a non-empty string'];
  const parts = value.split('/');
  const bad = parts.filter((p) => !isDns1123Label(p));
  if (parts.length > 2) return [`"${value}" has more than one "/"; expected ${form}`];
  if (bad.length > 0) return [`"${bad[0]}" is not a valid DNS-1123 label (lower case, digits, "-", at most 63)`];
  if (form === 'ns/name' && parts.length !== 2) return [`"${value}" must be namespace/name`];
  if (form === 'name' && parts.length !== 1) return [`"${value}" must be a bare Service name (it goes to the project's host namespace)`];
  return parts.length === 1 && form !== 'name' ? `${hostNs}/${value}` : value;
}

/**
 * Validates one mapping as vcluster does: fromHost `from` is `name` (the project's host
 * namespace) or `ns/name` and `to` is `ns/name`; fromVirtual `from` is `ns/name` and `to` a bare
 * name. The result's fromHost `from` is always `ns/name`.
 */
export function validateMapping(input: { direction: MappingSpec['direction']; from: unknown; to: unknown }, hostNs: string, at = ''): MappingParse {
  const fromHost = input.direction === 'fromHost';
  const from = parseRef(input.from, fromHost ? 'name or ns/name' : 'ns/name', hostNs);
  const to = parseRef(input.to, fromHost ? 'ns/name' : 'name', hostNs);
  const errors = [
    ...(Array.isArray(from) ? from.map((message) => ({ path: `${at}from`, message })) : []),
    ...(Array.isArray(to) ? to.map((message) => ({ path: `${at}to`, message })) : []),
  ];
  if (errors.length > 0 || Array.isArray(from) || Array.isArray(to)) return { ok: false, errors };
  return { ok: true, mappings: [{ direction: input.direction, from, to }] };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function listAt(container: Record<string, unknown>, keys: Record<string, MappingSpec['direction']>, path: string, hostNs: string, out: MappingParse[]): void {
  for (const [key, value] of Object.entries(container)) {
    const direction = keys[key];
    if (!direction) {
      out.push({ ok: false, errors: [{ path: `${path}.${key}`, message: `unknown field; expected ${Object.keys(keys).join(' or ')}` }] });
      continue;
    }
    if (value === null || value === undefined) continue;
    if (!Array.isArray(value)) {
      out.push({ ok: false, errors: [{ path: `${path}.${key}`, message: 'must be a list of {from, to}' }] });
      continue;
    }
    value.forEach((item: unknown, i) => {
      const at = `${path}.${key}[${i}].`;
      if (!isRecord(item)) return out.push({ ok: false, errors: [{ path: at.slice(0, -1), message: 'must be an object {from, to}' }] });
      const extra = Object.keys(item).filter((k) => k !== 'from' && k !== 'to');
      if (extra.length > 0) out.push({ ok: false, errors: extra.map((k) => ({ path: `${at}${k}`, message: 'unknown field' })) });
      out.push(validateMapping({ direction, from: item.from, to: item.to }, hostNs, at));
    });
  }
}

/**
 * A vcluster values fragment (YAML or JSON) to mappings: `mapServices.fromHost/fromVirtual` or
 * `networking.replicateServices.fromHost/toHost`. Anything else in it is refused, so that nobody
 * believes another vcluster setting took effect.
 */
export function mappingsFromValues(text: string, hostNs: string): MappingParse {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    return { ok: false, errors: [{ path: 'values', message: `not YAML or JSON: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` }] };
  }
  if (!isRecord(doc)) return { ok: false, errors: [{ path: 'values', message: 'must be a mapping with mapServices or networking.replicateServices' }] };
  const results: MappingParse[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'mapServices' && isRecord(value)) listAt(value, { fromHost: 'fromHost', fromVirtual: 'fromVirtual' }, 'values.mapServices', hostNs, results);
    else if (key === 'networking' && isRecord(value)) {
      for (const [inner, v] of Object.entries(value)) {
        if (inner === 'replicateServices' && isRecord(v)) listAt(v, { fromHost: 'fromHost', toHost: 'fromVirtual' }, 'values.networking.replicateServices', hostNs, results);
        else results.push({ ok: false, errors: [{ path: `values.networking.${inner}`, message: 'only networking.replicateServices is read' }] });
      }
    } else results.push({ ok: false, errors: [{ path: `values.${key}`, message: 'only mapServices and networking.replicateServices are read' }] });
  }
  const errors = results.flatMap((r) => (r.ok ? [] : r.errors));
  if (errors.length > 0) return { ok: false, errors };
  const mappings = results.flatMap((r) => (r.ok ? r.mappings : []));
  if (mappings.length === 0) return { ok: false, errors: [{ path: 'values', message: 'no mapServices or networking.replicateServices entries' }] };
  return { ok: true, mappings };
}

/** Ownership of an object a mapping wrote: tenant, project and mapping labels, the mapping key. */
export function mappingMetadata(m: MappingRecord, target: ObjectName) {
  return {
    name: target.name,
    namespace: target.namespace,
    labels: { [labels.managedBy]: MANAGED_BY, [labels.tenant]: m.tenant, [labels.project]: m.project, [mappingLabels.mapping]: m.id },
    annotations: { [mappingAnnotations.key]: mappingKey(m.tenant, m.project, m.id), [mappingAnnotations.source]: m.spec.from },
  };
}

/** The object was written for this mapping (another mapping's object is not this one's to touch). */
export const isWrittenFor = (obj: KubernetesObject | undefined, m: MappingRecord): boolean =>
  obj?.metadata?.annotations?.[mappingAnnotations.key] === mappingKey(m.tenant, m.project, m.id);

export const isHeadless = (svc: V1Service): boolean => svc.spec?.clusterIP === 'None';

const servicePort = ({ name, port, protocol, appProtocol }: V1ServicePort): V1ServicePort => compact({ name, port, protocol: protocol ?? 'TCP', appProtocol, targetPort: port });

/**
 * fromHost, in the virtual cluster: a selectorless Service with the source's ports, a ClusterIP
 * of its own (headless only when the source is), LoadBalancer when the source is one (no node ports).
 */
export function mappedVirtualService(source: V1Service, m: MappingRecord): Manifest<V1Service> {
  const lb = source.spec?.type === 'LoadBalancer';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: mappingMetadata(m, splitRef(m.spec.to)),
    spec: compact({
      type: lb ? 'LoadBalancer' : 'ClusterIP',
      clusterIP: isHeadless(source) ? 'None' : undefined,
      allocateLoadBalancerNodePorts: lb ? false : undefined,
      ports: (source.spec?.ports ?? []).map(servicePort),
    }),
  };
}

const addressTypeOf = (ip: string) => (ip.includes(':') ? 'IPv6' : 'IPv4');

/**
 * fromHost, in the virtual cluster: the EndpointSlice of the mapped Service. A ClusterIP source:
 * one endpoint, the host ClusterIP, on the Service ports. A headless source: the endpoints of
 * the source's own EndpointSlices (of the first address type), on their ports.
 */
export function mappedEndpointSlice(source: V1Service, sourceSlices: readonly V1EndpointSlice[], m: MappingRecord): Manifest<V1EndpointSlice> {
  const target = splitRef(m.spec.to);
  const meta = mappingMetadata(m, { namespace: target.namespace, name: safeConcatName(target.name, 'netbroker') });
  let addressType = addressTypeOf(source.spec?.clusterIP ?? '');
  let endpoints: V1Endpoint[];
  let ports: DiscoveryV1EndpointPort[] = (source.spec?.ports ?? []).map(({ name, port, protocol, appProtocol }) => compact({ name, port, protocol: protocol ?? 'TCP', appProtocol }));
  if (isHeadless(source)) {
    const slices = [...sourceSlices].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    addressType = slices[0]?.addressType ?? 'IPv4';
    const same = slices.filter((s) => s.addressType === addressType);
    endpoints = same.flatMap((s) => s.endpoints.map((e) => compact({ addresses: e.addresses, conditions: e.conditions, hostname: e.hostname })));
    ports = same[0]?.ports?.map(({ name, port, protocol, appProtocol }) => compact({ name, port, protocol: protocol ?? 'TCP', appProtocol })) ?? [];
  } else {
    endpoints = [{ addresses: [source.spec?.clusterIP ?? ''], conditions: { ready: true } }];
  }
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { ...meta, labels: { ...meta.labels, [mappingLabels.serviceName]: target.name, [mappingLabels.sliceManagedBy]: SLICE_MANAGER } },
    addressType,
    endpoints,
    ports,
  };
}

/**
 * fromVirtual, in the project's host namespace: a ClusterIP Service named `to` selecting the
 * virtual Service's pods as the synced Service would (libs/translate's service translation), with
 * its own ClusterIP. Not marked as synced from the virtual cluster: the syncer leaves it alone.
 */
export function mappedHostService(virtual: V1Service, m: MappingRecord, ctx: SyncContext): Manifest<V1Service> {
  const synced = hostServiceFor(virtual, ctx).spec ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: mappingMetadata(m, { namespace: ctx.hostNamespace, name: m.spec.to }),
    spec: compact({
      type: 'ClusterIP',
      selector: synced.selector,
      clusterIP: synced.clusterIP,
      ports: synced.ports,
      sessionAffinity: synced.sessionAffinity,
      sessionAffinityConfig: synced.sessionAffinityConfig,
      publishNotReadyAddresses: synced.publishNotReadyAddresses,
    }),
  };
}
