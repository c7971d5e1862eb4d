export { OwnedApplier, isOwnedBy, withOwnership, type ObjectRef } from './apply';
export { APPLIED_HASH, applyIfChanged, isSubset, withAppliedHash } from './apply-if-changed';
export { kubeConfigFromString, loadKubeConfig } from './config';
export {
  NotOwnedError,
  TerminalError,
  TransientError,
  classify,
  isNotFound,
  isNotOwned,
  isTerminal,
  isTransient,
  orUndefined,
  statusCode,
} from './errors';
export { WorkQueue, type ReconcileResult, type WorkQueueOptions } from './work-queue';
export { Informer, type InformerOptions } from './informer';
