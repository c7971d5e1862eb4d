export { annotations, labels, MANAGED_BY, PREFIX } from './labels';
export { hostName, hostNamespace, isDns1123Label, safeConcatName } from './names';
