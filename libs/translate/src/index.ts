export { cidrLabelValue, projectNamespace, projectNetworkPolicies, type ProjectContext } from './project';
