import type { V1Namespace, V1NetworkPolicy, V1NetworkPolicyPeer } from '@kubernetes/client-node';
import { annotations, hostNamespace, labels } from '@netbroker/naming';

export interface ProjectContext {
  tenant: string;
  project: string;
  uid: string;
  egressNetworkType: string;
  cidr?: string;
  egressIp?: string;
  /** Destinations that are not "the internet": other projects and the platform's private ranges. */
  internalCidrs: string[];
  /** Where cluster DNS runs, to allow egress to it. */
  dns: { namespace: string; podLabels: Record<string, string> };
}

type Manifest<T> = T & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

const projectLabels = (ctx: ProjectContext) => ({ [labels.tenant]: ctx.tenant, [labels.project]: ctx.project });

/** Label values cannot hold `/`: 10.0.3.0/24 becomes 10.0.3.0_24 (and `:` of IPv6 becomes `.`). */
export const cidrLabelValue = (cidr: string): string => cidr.replace('/', '_').replace(/:/g, '.');

/** The project's host namespace: tenant, project and CIDR as labels, allocations as annotations. */
export function projectNamespace(ctx: ProjectContext): Manifest<V1Namespace> {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: hostNamespace(ctx.tenant, ctx.project),
      labels: { ...projectLabels(ctx), ...(ctx.cidr ? { [`${labels.project}-cidr`]: cidrLabelValue(ctx.cidr) } : {}) },
      annotations: {
        [annotations.projectUid]: ctx.uid,
        [annotations.egressNetworkType]: ctx.egressNetworkType,
        ...(ctx.cidr ? { [annotations.cidr]: ctx.cidr } : {}),
        ...(ctx.egressIp ? { [annotations.egressIp]: ctx.egressIp } : {}),
      },
    },
  };
}

function policy(ctx: ProjectContext, name: string, spec: V1NetworkPolicy['spec']): Manifest<V1NetworkPolicy> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: hostNamespace(ctx.tenant, ctx.project), labels: { ...projectLabels(ctx), [labels.component]: 'isolation' } },
    spec,
  };
}

const samePods: V1NetworkPolicyPeer = { podSelector: {} };

/**
 * Default isolation (Kube-DC model): deny everything, then allow traffic inside the project, DNS,
 * and egress to the internet (never to internal ranges, so never to another project).
 */
export function projectNetworkPolicies(ctx: ProjectContext): Array<Manifest<V1NetworkPolicy>> {
  const v4Internal = ctx.internalCidrs.filter((c) => !c.includes(':'));
  const v6Internal = ctx.internalCidrs.filter((c) => c.includes(':'));
  const dnsPeer: V1NetworkPolicyPeer = {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ctx.dns.namespace } },
    podSelector: { matchLabels: ctx.dns.podLabels },
  };
  return [
    policy(ctx, 'netbroker-default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    policy(ctx, 'netbroker-allow-same-project', {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ _from: [samePods] }],
      egress: [{ to: [samePods] }],
    }),
    policy(ctx, 'netbroker-allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [dnsPeer], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
    }),
    policy(ctx, 'netbroker-allow-internet-egress', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            { ipBlock: { cidr: '0.0.0.0/0', except: v4Internal } },
            { ipBlock: { cidr: '::/0', except: v6Internal } },
          ],
        },
      ],
    }),
  ];
}
