/** Label and annotation keys netbroker writes. Ownership is proven by both a label and an annotation. */
export const PREFIX = 'netbroker.io';

export const labels = {
  managedBy: `${PREFIX}/managed-by`,
  tenant: `${PREFIX}/tenant`,
  project: `${PREFIX}/project`,
  component: `${PREFIX}/component`,
} as const;

export const annotations = {
  /** The service (field manager) that owns the object. */
  owner: `${PREFIX}/owner`,
  projectUid: `${PREFIX}/project-uid`,
  cidr: `${PREFIX}/cidr`,
  egressIp: `${PREFIX}/egress-ip`,
  egressNetworkType: `${PREFIX}/egress-network-type`,
} as const;

export const MANAGED_BY = 'netbroker';
