import { ApiextensionsV1Api, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { eventually } from '@netbroker/testing';

// Kube-OVN's `Vpc` (kubeovn.io/v1, cluster-scoped), written from its documented fields: enough
// of the schema for the router's backend to be tested against a real API server. Like Kube-OVN's
// own CRD, the lists carry no list-type markers: server-side apply treats each as one field.

const str = { type: 'string' } as const;
export const VPC_CRD: V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'vpcs.kubeovn.io' },
  spec: {
    group: 'kubeovn.io',
    names: { kind: 'Vpc', listKind: 'VpcList', plural: 'vpcs', singular: 'vpc' },
    scope: 'Cluster',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  namespaces: { type: 'array', items: str },
                  defaultSubnet: str,
                  enableExternal: { type: 'boolean' },
                  enableBfd: { type: 'boolean' },
                  vpcPeerings: { type: 'array', items: { type: 'object', properties: { remoteVpc: str, localConnectIP: str } } },
                  staticRoutes: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: { policy: { type: 'string', enum: ['policySrc', 'policyDst'] }, cidr: str, nextHopIP: str, ecmpMode: str, bfdId: str, routeTable: str },
                    },
                  },
                },
              },
              status: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
            },
          },
        },
      },
    ],
  },
};

/** Installs the Vpc CRD (if absent) and waits until the API server serves it. */
export async function installVpcCrd(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  await api.createCustomResourceDefinition({ body: VPC_CRD }).catch((e: unknown) => {
    if ((e as { code?: number }).code !== 409) throw e;
  });
  await eventually(async () => {
    const crd = await api.readCustomResourceDefinition({ name: VPC_CRD.metadata!.name! });
    if (!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) throw new Error('the Vpc CRD is not established yet');
  }, { timeoutMs: 30_000 });
}
