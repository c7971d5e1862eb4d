export { binaryPath, cacheDir, pinnedVersions, repoRoot, schemathesisPath, type ServerBinary } from './binaries';
export { connectNats, kubeConfigFor, kubeconfigFile } from './clients';
export { eventually, type EventuallyOptions } from './eventually';
export { countingListener, freePort, type CountingListener } from './ports';
export { ManagedProcess, ServerExitedError, isServerExited, type ExitInfo } from './process';
export { startEtcd, startKubeApiserver, startNats, type ClusterInfo } from './servers';
export { startStack, type Stack, type StackInfo, type StackOptions } from './stack';
export { metricValue, startService, type ServiceProcess, type StartServiceOptions } from './services';
export { LoadBalancerStandIn, requestedAddress } from './load-balancer';
