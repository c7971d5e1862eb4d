import { AppsV1Api, CoreV1Api, KubernetesObjectApi, type KubernetesObject, type V1Deployment } from '@kubernetes/client-node';
import { binaryPath } from './binaries';
import { kubeConfigFor } from './clients';
import type { KubeNode } from './node';
import type { ClusterInfo } from './servers';
import { restrictedContainer, restrictedPodSecurity, waitForRollout } from './workloads';

/** Where the kubelet points pods' resolv.conf: the 10th address of the service CIDR. */
export function clusterDnsIp(serviceCidr: string): string {
  const parts = serviceCidr.split('/')[0]!.split('.').map(Number);
  parts[3] = parts[3]! + 10;
  return parts.join('.');
}

const NS = 'kube-system';

/**
 * CoreDNS (built by scripts/setup.sh, packed FROM scratch) as the cluster's DNS: a Deployment
 * with its own ServiceAccount and the read-only RBAC its kubernetes plugin needs, and the
 * `kube-dns` Service at the address the kubelet gives pods. Names outside cluster.local get
 * NXDOMAIN from nowhere: there is no upstream (nothing leaves the machine).
 */
export async function installClusterDns(host: ClusterInfo, node: KubeNode): Promise<void> {
  const image = await node.loadImage({ name: 'coredns', files: { '/coredns': binaryPath('coredns') }, entrypoint: ['/coredns'] });
  const kc = kubeConfigFor(host);
  const objects = kc.makeApiClient(KubernetesObjectApi);
  const labels = { 'k8s-app': 'kube-dns' };
  const manifests: KubernetesObject[] = [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: NS } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'netbroker-test:coredns' },
      rules: [
        { apiGroups: [''], resources: ['services', 'endpoints', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'netbroker-test:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'netbroker-test:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: NS }],
    } as KubernetesObject,
    {
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: NS },
      data: { Corefile: '.:5353 {\n  errors\n  health :8080\n  ready :8181\n  kubernetes cluster.local in-addr.arpa\n  cache 5\n}\n' },
    } as KubernetesObject,
    {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-dns', namespace: NS, labels },
      spec: {
        selector: labels, clusterIP: clusterDnsIp(host.serviceCidr),
        ports: [{ name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, targetPort: 5353, protocol: 'TCP' }],
      },
    } as KubernetesObject,
  ];
  for (const m of manifests) await objects.create(m);
  const deployment: V1Deployment = {
    metadata: { name: 'coredns', namespace: NS, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'coredns',
          securityContext: restrictedPodSecurity,
          containers: [restrictedContainer({
            name: 'coredns', image, args: ['-conf', '/etc/coredns/Corefile'],
            volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
            readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 1 },
          })],
          volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
        },
      },
    },
  };
  await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: NS, body: deployment });
  await waitForRollout(host, NS, 'coredns');
  // The Service has an endpoint once the pod is ready; kube-proxy programs it soon after.
  await kc.makeApiClient(CoreV1Api).readNamespacedService({ name: 'kube-dns', namespace: NS });
}
