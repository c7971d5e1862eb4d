// The API's machine words (condition types, reasons, states) as the portal shows them. Pure.

const conditionNames: Record<string, string> = {
  CidrAllocated: 'Address block',
  NamespaceReady: 'Host namespace',
  EgressReady: 'Egress address',
  Ready: 'Ready',
  Programmed: 'Programmed',
};

/** Reasons the services write, in words; any other is split at its capitals (`NotOwned` → `Not owned`). */
const reasons: Record<string, string> = {
  Allocated: 'allocated',
  Applied: 'applied',
  Provisioned: 'provisioned',
  Provisioning: 'provisioning',
  Pending: 'pending',
  Exhausted: 'the address pool is exhausted',
  OverlapsAllocated: 'the block overlaps one already allocated',
  OverlapsReserved: 'the block overlaps a reserved range',
  OutsidePool: 'the block is outside the pool',
  WrongFamily: 'the block is of the wrong address family',
  PrefixTooLarge: 'the block is larger than the pool allows',
  PrefixTooSmall: 'the block is smaller than the pool allows',
  UnknownPool: 'the address pool does not exist',
  InvalidCidr: 'the block is not a valid CIDR',
  NotOwned: 'a namespace of that name exists and is not netbroker’s',
  AwaitingAcceptance: 'waiting for the consumer to accept',
  WaitingForLoadBalancer: 'waiting for the load balancer',
  VClusterNotRegistered: 'no virtual cluster registered',
  Unreachable: 'the virtual cluster cannot be reached',
  ServiceCidrMismatch: 'the virtual cluster’s Service CIDR differs from the host’s',
  KubeconfigUnreadable: 'the stored kubeconfig cannot be read',
  KubeconfigRefused: 'the kubeconfig is refused',
  ServerNotAllowed: 'the virtual cluster’s server is not allowed',
  HostObjectNotOwned: 'a host object of that name is not netbroker’s',
  HostnameClaimed: 'the host name is claimed by another project',
  AnnotationRefused: 'an annotation is refused',
  AnnotationDropped: 'annotations dropped',
  Synced: 'synced',
  Syncing: 'syncing',
};

/** `NotOwned` → `not owned`. */
const split = (word: string): string =>
  word
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/-/g, ' ')
    .toLowerCase();

export const conditionName = (type: string): string => conditionNames[type] ?? split(type).replace(/^./, (c) => c.toUpperCase());

export const reasonInWords = (reason: string): string => reasons[reason] ?? split(reason);

/** A condition as one line: `Egress address: the address pool is exhausted`. */
export function conditionInWords(c: { type: string; status: string; reason: string }): string {
  const mark = c.status === 'True' ? 'yes' : c.status === 'False' ? 'no' : 'not yet';
  return `${conditionName(c.type)}: ${mark}, ${reasonInWords(c.reason)}`;
}
