export { annotations, labels, MANAGED_BY, PREFIX } from './labels';
export { hostName, hostNamespace, isDns1123Label, isDns1123Subdomain, safeConcatName } from './names';
