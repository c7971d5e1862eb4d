/** Label and annotation keys netbroker writes. Ownership is proven by both a label and an annotation. */
export const PREFIX = 'netbroker.io';

export const labels = {
  managedBy: `${PREFIX}/managed-by`,
  tenant: `${PREFIX}/tenant`,
  project: `${PREFIX}/project`,
  component: `${PREFIX}/component`,
  /** On host objects synced from a virtual cluster: its name, so one label selector finds them all. */
  vcluster: `${PREFIX}/vcluster`,
  /** Written by vcluster's pod sync on every host pod; Service and NetworkPolicy selectors scope with them. */
  vclusterManagedBy: 'vcluster.loft.sh/managed-by',
  /** On objects of a cross-project exposure: the exposure's name, and (on consumer entries) the exporter. */
  exposure: `${PREFIX}/exposure`,
  exporterTenant: `${PREFIX}/exporter-tenant`,
  exporterProject: `${PREFIX}/exporter-project`,
  vclusterNamespace: 'vcluster.loft.sh/namespace',
} as const;

export const annotations = {
  /** The service (field manager) that owns the object. */
  owner: `${PREFIX}/owner`,
  projectUid: `${PREFIX}/project-uid`,
  cidr: `${PREFIX}/cidr`,
  egressIp: `${PREFIX}/egress-ip`,
  egressNetworkType: `${PREFIX}/egress-network-type`,
  /** On host objects synced from a virtual cluster: which virtual object they were built from. */
  virtualName: `${PREFIX}/virtual-name`,
  virtualNamespace: `${PREFIX}/virtual-namespace`,
  virtualUid: `${PREFIX}/virtual-uid`,
  virtualKind: `${PREFIX}/virtual-kind`,
  vcluster: `${PREFIX}/vcluster`,
  /** On objects mirrored from the host into a virtual cluster (IngressClasses): the host object's uid. */
  hostUid: `${PREFIX}/host-uid`,
  /** Marks a mirrored object as owned by netbroker: tenant edits are overwritten. */
  readOnly: `${PREFIX}/read-only`,
  /** On an exporter's objects: the exposure key; on a consumer's entries: the grant key they were written for. */
  exposureKey: `${PREFIX}/exposure-key`,
  grantKey: `${PREFIX}/grant-key`,
} as const;

export const MANAGED_BY = 'netbroker';
