export { OwnedApplier, isOwnedBy, withOwnership, type ObjectRef } from './apply';
export { FieldApplier, type FieldsOutcome } from './fields';
export { APPLIED_HASH, applyIfChanged, canonicalJson, isSubset, withAppliedHash } from './apply-if-changed';
export { KEEP_ALIVE, loadKubeConfig, PooledKubeConfig } from './config';
export { addressRefusal, checkServer, matchesSuffix, parseCidr, parsePolicyEntries, type ServerPolicy, type ServerRefusal } from './server-policy';
export { inClusterApiUrl, tenantAccessEnv, tenantAccessForService, tenantAccessFrom, TenantAccessEnv, type Infrastructure } from './tenant-access';
export {
  isServerRefused,
  openRegisteredCluster,
  openTenantKubeConfig,
  type RegisteredOpen,
  SERVER_REFUSED_MESSAGE,
  ServerRefusedError,
  type Resolve,
  TenantKubeConfig,
  type TenantAccess,
  type TenantOpen,
  type TenantOpenFailure,
} from './tenant-client';
export {
  describeProblems,
  KUBECONFIG_MAX_BYTES,
  sanitizeKubeconfig,
  type KubeconfigProblem,
  type KubeconfigReason,
  type TenantCredentials,
} from './tenant-kubeconfig';
export {
  NotOwnedError,
  TerminalError,
  TransientError,
  classify,
  invalidFields,
  isNotFound,
  isNotOwned,
  isTerminal,
  isTransient,
  orUndefined,
  statusCode,
} from './errors';
export { Informer, type InformerOptions } from './informer';
export { LIST_PAGE, listResource, resourcePath, type Resource } from './list';
