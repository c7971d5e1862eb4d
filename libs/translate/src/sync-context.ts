import type { KubernetesObject } from '@kubernetes/client-node';
import type { AnnotationPolicy, VClusterRecord } from '@netbroker/contracts';
import { annotations, hostName, hostNamespace, labels, MANAGED_BY, PREFIX } from '@netbroker/naming';
import { compact, pickKeys } from './values';

/** What the translators need to know about the virtual cluster being synced. */
export interface SyncContext {
  tenant: string;
  project: string;
  /** The name used in host object names (`NAME-x-NAMESPACE-x-VCLUSTER`) and in vcluster's pod labels. */
  vcluster: string;
  /** The project's host namespace, where every synced object goes. */
  hostNamespace: string;
  /** The project's CIDR: NetworkPolicy `ipBlock` peers inside it are allowed. */
  projectCidr?: string;
  /** Further CIDRs the admin allows as NetworkPolicy `ipBlock` peers. */
  allowedIpBlocks?: readonly string[];
  /**
   * Namespaces of the virtual cluster. The two-label ExternalName form `svc.ns` is rewritten only
   * when `ns` is one of them: otherwise `example.com` would be read as Service `example` in `com`.
   */
  virtualNamespaces?: readonly string[];
  /** Which tenant annotations reach host objects (`reviewAnnotations`); absent: the safe default. */
  annotationPolicy?: AnnotationPolicy;
}

/** The context of a registered virtual cluster: host names use `options.name`, else the project name. */
export function syncContextFor(
  record: Pick<VClusterRecord, 'tenant' | 'project' | 'options'>,
  extra: Pick<SyncContext, 'projectCidr' | 'allowedIpBlocks' | 'virtualNamespaces' | 'annotationPolicy'> = {},
): SyncContext {
  return {
    tenant: record.tenant,
    project: record.project,
    vcluster: record.options.name ?? record.project,
    hostNamespace: hostNamespace(record.tenant, record.project),
    ...compact(extra),
  };
}

/** Why an object is not synced: a machine-readable reason for status and Warning events. */
export type SyncRefusalReason =
  | 'IpBlockOutsideProject'
  | 'InvalidIpBlock'
  | 'NamespaceSelectorUntranslatable'
  | 'HostObjectNotOwned'
  | 'HostObjectOfOtherVCluster'
  | 'HostNameCollision'
  | 'AnnotationRefused'
  | 'TlsSecretNotAllowed'
  | 'BackendNotAllowed'
  | 'PathNotAllowed';

export interface SyncRefusal {
  reason: SyncRefusalReason;
  message: string;
  /** The annotation keys refused (`AnnotationRefused`), for status. */
  keys?: string[];
}

export const refusal = (reason: SyncRefusalReason, message: string, keys?: string[]): SyncRefusal =>
  keys ? { reason, message, keys } : { reason, message };
export const isRefusal = (value: unknown): value is SyncRefusal =>
  typeof value === 'object' && value !== null && 'reason' in value && 'message' in value;

/** A manifest ready for server-side apply (labels and annotations always present). */
export type Manifest<T> = T & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations: Record<string, string> };
};

/** The virtual object a host object is built from. */
export interface VirtualRef {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

/** Informer objects often lack `kind`, so the translator names it. */
export const virtualRefOf = (obj: KubernetesObject, kind: string): VirtualRef => ({
  kind,
  namespace: obj.metadata?.namespace ?? 'default',
  name: obj.metadata?.name ?? '',
  uid: obj.metadata?.uid ?? '',
});

/** The host name of a virtual object (or of an object it names) in the same virtual cluster. */
export const hostNameIn = (ctx: SyncContext, name: string, namespace: string): string => hostName({ name, namespace, vcluster: ctx.vcluster });

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** Keys under netbroker's prefix (or a subdomain of it): a tenant never sets them on host objects. */
export function isNetbrokerKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const prefix = key.slice(0, slash).toLowerCase();
  return prefix === PREFIX || prefix.endsWith(`.${PREFIX}`);
}

/** Tenant annotations that may reach the host: never netbroker's own keys nor kubectl's last-applied copy. */
export const tenantAnnotations = (obj: KubernetesObject, keep: (key: string) => boolean = () => true): Record<string, string> =>
  pickKeys(obj.metadata?.annotations, (k) => k !== LAST_APPLIED && !isNetbrokerKey(k) && keep(k));

export const tenantLabels = (obj: KubernetesObject): Record<string, string> => pickKeys(obj.metadata?.labels, (k) => !isNetbrokerKey(k));

/**
 * Host metadata of a synced object: host name and namespace, the tenant's labels and the given
 * annotations, plus ownership (managed-by, tenant, project, vcluster labels; the virtual object's
 * name, namespace, uid, kind and vcluster as annotations). The `owner` annotation is the applier's.
 */
export function hostMetadata(ref: VirtualRef, ctx: SyncContext, labelsIn: Record<string, string>, annotationsIn: Record<string, string>) {
  return {
    name: hostNameIn(ctx, ref.name, ref.namespace),
    namespace: ctx.hostNamespace,
    labels: {
      ...labelsIn,
      [labels.managedBy]: MANAGED_BY,
      [labels.tenant]: ctx.tenant,
      [labels.project]: ctx.project,
      [labels.vcluster]: ctx.vcluster,
    },
    annotations: {
      ...annotationsIn,
      [annotations.virtualName]: ref.name,
      [annotations.virtualNamespace]: ref.namespace,
      [annotations.virtualUid]: ref.uid,
      [annotations.virtualKind]: ref.kind,
      [annotations.vcluster]: ctx.vcluster,
    },
  };
}

/** The host object was written by netbroker for this project's virtual cluster. */
export function isOwnedByVCluster(host: KubernetesObject, ctx: SyncContext): boolean {
  const l = host.metadata?.labels ?? {};
  return (
    l[labels.managedBy] === MANAGED_BY &&
    l[labels.tenant] === ctx.tenant &&
    l[labels.project] === ctx.project &&
    host.metadata?.annotations?.[annotations.vcluster] === ctx.vcluster
  );
}

/** The host object was built from exactly this virtual object (same uid, same virtual cluster). */
export function isSyncedFrom(host: KubernetesObject, virtual: KubernetesObject, ctx: SyncContext): boolean {
  const uid = virtual.metadata?.uid;
  return uid !== undefined && uid !== '' && isOwnedByVCluster(host, ctx) && host.metadata?.annotations?.[annotations.virtualUid] === uid;
}

/** The virtual object a netbroker-owned host object records (for garbage collection), if any. */
export function recordedVirtualRef(host: KubernetesObject): VirtualRef | undefined {
  const a = host.metadata?.annotations ?? {};
  const [kind, namespace, name, uid] = [a[annotations.virtualKind], a[annotations.virtualNamespace], a[annotations.virtualName], a[annotations.virtualUid]];
  if (host.metadata?.labels?.[labels.managedBy] !== MANAGED_BY || !kind || !namespace || !name) return undefined;
  return { kind, namespace, name, uid: uid ?? '' };
}

/**
 * Whether the host object at the translated name may be written for `virtual`: absent, or owned by
 * netbroker for this virtual cluster and recording the same virtual name and namespace (a re-created
 * virtual object, with a new uid, takes its host object over). Otherwise a refusal to report.
 */
export function ownershipConflict(host: KubernetesObject | undefined, virtual: KubernetesObject, ctx: SyncContext): SyncRefusal | undefined {
  if (!host) return undefined;
  const where = `${host.metadata?.namespace ?? ctx.hostNamespace}/${host.metadata?.name ?? ''}`;
  if (host.metadata?.labels?.[labels.managedBy] !== MANAGED_BY) {
    return refusal('HostObjectNotOwned', `host object ${where} exists and is not managed by netbroker`);
  }
  if (!isOwnedByVCluster(host, ctx)) {
    return refusal('HostObjectOfOtherVCluster', `host object ${where} belongs to another project or virtual cluster`);
  }
  const recorded = recordedVirtualRef(host);
  const { namespace, name } = virtual.metadata ?? {};
  if (recorded?.namespace !== (namespace ?? 'default') || recorded.name !== name) {
    return refusal('HostNameCollision', `host object ${where} was synced from ${recorded?.namespace ?? '?'}/${recorded?.name ?? '?'}, which has the same host name`);
  }
  return undefined;
}
