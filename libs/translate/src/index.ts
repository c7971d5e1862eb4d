export { cidrLabelValue, projectNamespace, projectNetworkPolicies, type ProjectContext } from './project';
export {
  isOwnedByVCluster,
  isSyncedFrom,
  ownershipConflict,
  recordedVirtualRef,
  syncContextFor,
  type Manifest,
  type SyncContext,
  type SyncRefusal,
  type SyncRefusalReason,
  type VirtualRef,
} from './sync-context';
export {
  hostExternalName,
  hostServiceFor,
  isLoadBalancerAnnotation,
  virtualServiceBackSync,
  virtualServiceRecreated,
  type ServiceBackSync,
} from './service';
export { hostIngressFor, hostSecretRef, ingressHostnames, ingressStatusBackSync, SECRET_NAME_ANNOTATIONS } from './ingress';
export { hostnameAllowed, hostnameClaimKey, hostnameFromClaimKey, normalizeHostname } from './hostnames';
export { ingressClassOf, ingressClassOffered, isMirroredIngressClass, virtualIngressClassFor } from './ingress-class';
export { hostNetworkPolicyFor, type NetworkPolicyTranslation } from './network-policy';
export {
  isHeadless,
  isWrittenFor,
  mappedEndpointSlice,
  mappedHostService,
  mappedVirtualService,
  mappingAnnotations,
  mappingId,
  mappingLabels,
  mappingMetadata,
  mappingsFromValues,
  splitRef,
  validateMapping,
  SLICE_MANAGER,
  type MappingParse,
  type MappingProblem,
  type ObjectName,
} from './mapping';
export {
  collidingPorts,
  entryEgressPolicy,
  entryObjectNames,
  entrySelector,
  entryService,
  entrySlice,
  ENTRY_SLICE_MANAGER,
  exposureLoadBalancerService,
  exposureObjectNames,
  exposurePolicy,
  exporterEntrySelector,
  exposureSourceName,
  isEntryFor,
  kubeDcEipName,
  loadBalancerRequest,
  peersOf,
  policyPeers,
  resolveSource,
  sharingSupported,
  type LbConfig,
  type LbRequest,
  type ResolvedPort,
  type SourceResolution,
} from './exposure';
