import type { V1IPBlock, V1LabelSelector, V1NetworkPolicy, V1NetworkPolicyPeer } from '@kubernetes/client-node';
import { labels } from '@netbroker/naming';
import { cidrContains, cidrRange } from './cidr';
import {
  hostMetadata,
  isRefusal,
  refusal,
  tenantAnnotations,
  tenantLabels,
  virtualRefOf,
  type Manifest,
  type SyncContext,
  type SyncRefusal,
} from './sync-context';
import { compact } from './values';

// NetworkPolicies, virtual -> host (opt-in). Every pod of a virtual cluster runs in the one host
// namespace, so "namespace" in the virtual cluster becomes the pod label vcluster writes.

/** The label every namespace carries with its own name: the only namespace label pods also carry (translated). */
const NAMESPACE_NAME = 'kubernetes.io/metadata.name';

export type NetworkPolicyTranslation = { policy: Manifest<V1NetworkPolicy>; refused?: undefined } | { policy?: undefined; refused: SyncRefusal };

/** A pod selector restricted to this virtual cluster's pods, and further by `scope` (a namespace selection). */
function scopedSelector(selector: V1LabelSelector | undefined, scope: V1LabelSelector, ctx: SyncContext): V1LabelSelector {
  const expressions = [...(selector?.matchExpressions ?? []), ...(scope.matchExpressions ?? [])];
  return compact({
    matchLabels: { ...selector?.matchLabels, ...scope.matchLabels, [labels.vclusterManagedBy]: ctx.vcluster },
    matchExpressions: expressions.length > 0 ? expressions : undefined,
  });
}

const inNamespace = (namespace: string): V1LabelSelector => ({ matchLabels: { [labels.vclusterNamespace]: namespace } });

/**
 * A namespaceSelector as a selector on vcluster's namespace pod label. Only `kubernetes.io/metadata.name`
 * can be translated (pods do not carry their namespace's other labels); `{}` means every namespace.
 */
function namespaceScope(selector: V1LabelSelector, where: string): V1LabelSelector | SyncRefusal {
  const names = Object.entries(selector.matchLabels ?? {});
  const keys = [...names.map(([key]) => key), ...(selector.matchExpressions ?? []).map((e) => e.key)];
  const other = [...new Set(keys.filter((key) => key !== NAMESPACE_NAME))];
  if (other.length > 0) {
    const message = `${where}: namespaceSelector on ${other.join(', ')} cannot be translated; select namespaces by ${NAMESPACE_NAME} only`;
    return refusal('NamespaceSelectorUntranslatable', message);
  }
  return compact({
    matchLabels: names.length > 0 ? Object.fromEntries(names.map(([, value]) => [labels.vclusterNamespace, value])) : undefined,
    matchExpressions: selector.matchExpressions?.map((e) => ({ ...e, key: labels.vclusterNamespace })),
  });
}

/** The CIDRs a tenant may name: its project's, and those the admin allows. */
const permittedBlocks = (ctx: SyncContext): string[] => [...(ctx.projectCidr ? [ctx.projectCidr] : []), ...(ctx.allowedIpBlocks ?? [])];

function hostIpBlockPeer(block: V1IPBlock, ctx: SyncContext, where: string): V1NetworkPolicyPeer | SyncRefusal {
  const range = cidrRange(block.cidr);
  if (!range) return refusal('InvalidIpBlock', `${where}: ipBlock ${block.cidr} is not a CIDR`);
  const permitted = permittedBlocks(ctx);
  if (permitted.some((cidr) => { const p = cidrRange(cidr); return p !== undefined && cidrContains(p, range); })) return { ipBlock: block };
  const allowed = permitted.length > 0 ? permitted.join(', ') : 'none';
  return refusal('IpBlockOutsideProject', `${where}: ipBlock ${block.cidr} is outside the project's address space (allowed: ${allowed})`);
}

function hostPeer(peer: V1NetworkPolicyPeer, namespace: string, ctx: SyncContext, where: string): V1NetworkPolicyPeer | SyncRefusal {
  if (peer.ipBlock) return hostIpBlockPeer(peer.ipBlock, ctx, where);
  const scope = peer.namespaceSelector ? namespaceScope(peer.namespaceSelector, where) : inNamespace(namespace);
  return isRefusal(scope) ? scope : { podSelector: scopedSelector(peer.podSelector, scope, ctx) };
}

/**
 * A rule without peers allows every peer; on the host that would reach past the project (other
 * projects, internal ranges), so it becomes every peer the tenant could name: all pods of this
 * virtual cluster and the permitted CIDRs.
 */
const everyPermittedPeer = (ctx: SyncContext): V1NetworkPolicyPeer[] => [
  { podSelector: { matchLabels: { [labels.vclusterManagedBy]: ctx.vcluster } } },
  ...permittedBlocks(ctx).map((cidr) => ({ ipBlock: { cidr } })),
];

function hostPeers(peers: V1NetworkPolicyPeer[] | undefined, namespace: string, ctx: SyncContext, where: string): V1NetworkPolicyPeer[] | SyncRefusal {
  if (!peers || peers.length === 0) return everyPermittedPeer(ctx);
  const out: V1NetworkPolicyPeer[] = [];
  for (const [i, peer] of peers.entries()) {
    const translated = hostPeer(peer, namespace, ctx, `${where}[${i}]`);
    if (isRefusal(translated)) return translated;
    out.push(translated);
  }
  return out;
}

type PeerKey = '_from' | 'to';

function hostRules<K extends PeerKey, R extends Partial<Record<K, V1NetworkPolicyPeer[]>>>(
  rules: R[] | undefined,
  key: K,
  where: string,
  namespace: string,
  ctx: SyncContext,
): R[] | SyncRefusal | undefined {
  if (!rules) return undefined;
  const out: R[] = [];
  for (const [i, rule] of rules.entries()) {
    const peers = hostPeers(rule[key], namespace, ctx, `${where}[${i}].${key === '_from' ? 'from' : 'to'}`);
    if (isRefusal(peers)) return peers;
    out.push({ ...rule, [key]: peers });
  }
  return out;
}

/**
 * The host NetworkPolicy for a virtual one: pod selectors scoped to this virtual cluster and
 * namespace, namespaceSelectors turned into pod-label selectors, `ipBlock` peers only inside the
 * project's CIDR or the admin's allowed blocks; ports and policy types copied. Or why not.
 */
export function hostNetworkPolicyFor(virtual: V1NetworkPolicy, ctx: SyncContext): NetworkPolicyTranslation {
  const ref = virtualRefOf(virtual, 'NetworkPolicy');
  const spec = structuredClone(virtual.spec ?? {});
  const ingress = hostRules(spec.ingress, '_from', 'ingress', ref.namespace, ctx);
  const egress = hostRules(spec.egress, 'to', 'egress', ref.namespace, ctx);
  if (isRefusal(ingress)) return { refused: ingress };
  if (isRefusal(egress)) return { refused: egress };
  const policy: Manifest<V1NetworkPolicy> = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: hostMetadata(ref, ctx, tenantLabels(virtual), tenantAnnotations(virtual)),
    spec: compact({
      podSelector: scopedSelector(spec.podSelector, inNamespace(ref.namespace), ctx),
      policyTypes: spec.policyTypes,
      ingress,
      egress,
    }),
  };
  return { policy };
}
