import type { V1LabelSelector, V1NetworkPolicy, V1NetworkPolicyPeer } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cidrContains, cidrRange } from './cidr';
import { hostNetworkPolicyFor } from './network-policy';
import type { SyncContext } from './sync-context';

const ctx: SyncContext = {
  tenant: 'acme',
  project: 'shop',
  vcluster: 'vc1',
  hostNamespace: 'acme-shop',
  projectCidr: '10.20.0.0/24',
  allowedIpBlocks: ['192.0.2.0/28', '2001:db8:20::/48'],
};

const MANAGED = 'vcluster.loft.sh/managed-by';
const NS = 'vcluster.loft.sh/namespace';

const policy = (spec: V1NetworkPolicy['spec'], meta: Partial<NonNullable<V1NetworkPolicy['metadata']>> = {}): V1NetworkPolicy => ({
  metadata: { name: 'allow-web', namespace: 'shop', uid: 'uid-1', ...meta },
  spec,
});

/** The host peer a single virtual ingress peer becomes. */
const ingressPeer = (peer: V1NetworkPolicyPeer, context: SyncContext = ctx) => {
  const result = hostNetworkPolicyFor(policy({ podSelector: {}, ingress: [{ _from: [peer] }], policyTypes: ['Ingress'] }), context);
  return result.policy ? result.policy.spec?.ingress?.[0]?._from?.[0] : result.refused;
};

describe('hostNetworkPolicyFor: the policy', () => {
  it.each<[string, V1LabelSelector, V1LabelSelector]>([
    ['an empty podSelector selects every pod of the virtual namespace', {}, { matchLabels: { [NS]: 'shop', [MANAGED]: 'vc1' } }],
    ['labels are kept', { matchLabels: { app: 'web' } }, { matchLabels: { app: 'web', [NS]: 'shop', [MANAGED]: 'vc1' } }],
    [
      'expressions are kept',
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] },
      { matchLabels: { [NS]: 'shop', [MANAGED]: 'vc1' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] },
    ],
    [
      'vcluster labels cannot be overridden',
      { matchLabels: { [NS]: 'kube-system', [MANAGED]: 'other' } },
      { matchLabels: { [NS]: 'shop', [MANAGED]: 'vc1' } },
    ],
  ])('scopes the podSelector: %s', (_case, podSelector, expected) => {
    expect(hostNetworkPolicyFor(policy({ podSelector, policyTypes: ['Ingress'] }), ctx).policy?.spec?.podSelector).toEqual(expected);
  });

  it('names and owns the host policy, copying ports and policy types', () => {
    const virtual = policy(
      {
        podSelector: { matchLabels: { app: 'db' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ _from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
        egress: [{ to: [{ ipBlock: { cidr: '10.20.0.0/25' } }], ports: [{ protocol: 'UDP', port: 53, endPort: 54 }] }],
      },
      { labels: { team: 'db' }, annotations: { 'example.com/note': 'x' } },
    );
    expect(hostNetworkPolicyFor(virtual, ctx)).toEqual({
      policy: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name: 'allow-web-x-shop-x-vc1',
          namespace: 'acme-shop',
          labels: {
            team: 'db',
            'netbroker.io/managed-by': 'netbroker',
            'netbroker.io/tenant': 'acme',
            'netbroker.io/project': 'shop',
            'netbroker.io/vcluster': 'vc1',
          },
          annotations: {
            'example.com/note': 'x',
            'netbroker.io/virtual-name': 'allow-web',
            'netbroker.io/virtual-namespace': 'shop',
            'netbroker.io/virtual-uid': 'uid-1',
            'netbroker.io/virtual-kind': 'NetworkPolicy',
            'netbroker.io/vcluster': 'vc1',
          },
        },
        spec: {
          podSelector: { matchLabels: { app: 'db', [NS]: 'shop', [MANAGED]: 'vc1' } },
          policyTypes: ['Ingress', 'Egress'],
          ingress: [{ _from: [{ podSelector: { matchLabels: { app: 'web', [NS]: 'shop', [MANAGED]: 'vc1' } } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
          egress: [{ to: [{ ipBlock: { cidr: '10.20.0.0/25' } }], ports: [{ protocol: 'UDP', port: 53, endPort: 54 }] }],
        },
      },
    });
  });

  it('keeps a deny-all policy without rules as it is', () => {
    const result = hostNetworkPolicyFor(policy({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] }), ctx);
    expect(result.policy?.spec).toEqual({ podSelector: { matchLabels: { [NS]: 'shop', [MANAGED]: 'vc1' } }, policyTypes: ['Ingress', 'Egress'] });
  });

  it('cuts a long dotted name like every synced object', () => {
    const result = hostNetworkPolicyFor(policy({ podSelector: {} }, { name: `${'a'.repeat(51)}.b`, namespace: 'default' }), ctx);
    expect(result.policy?.metadata.name).toBe(`${'a'.repeat(51)}-5c6208713d`);
  });
});

describe('hostNetworkPolicyFor: peers', () => {
  it.each<[string, V1NetworkPolicyPeer, V1NetworkPolicyPeer]>([
    ['a podSelector stays in the policy namespace', { podSelector: { matchLabels: { app: 'web' } } }, { podSelector: { matchLabels: { app: 'web', [NS]: 'shop', [MANAGED]: 'vc1' } } }],
    ['an empty podSelector is every pod of the policy namespace', { podSelector: {} }, { podSelector: { matchLabels: { [NS]: 'shop', [MANAGED]: 'vc1' } } }],
    [
      'a namespace by name',
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } } },
      { podSelector: { matchLabels: { [NS]: 'frontend', [MANAGED]: 'vc1' } } },
    ],
    [
      'a namespace by name with pods',
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } }, podSelector: { matchLabels: { app: 'web' } } },
      { podSelector: { matchLabels: { app: 'web', [NS]: 'frontend', [MANAGED]: 'vc1' } } },
    ],
    ['every namespace is every pod of the virtual cluster', { namespaceSelector: {} }, { podSelector: { matchLabels: { [MANAGED]: 'vc1' } } }],
    [
      'namespaces by name expression',
      { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] } },
      { podSelector: { matchLabels: { [MANAGED]: 'vc1' }, matchExpressions: [{ key: NS, operator: 'NotIn', values: ['kube-system'] }] } },
    ],
    ['an ipBlock inside the project CIDR', { ipBlock: { cidr: '10.20.0.128/25', except: ['10.20.0.130/32'] } }, { ipBlock: { cidr: '10.20.0.128/25', except: ['10.20.0.130/32'] } }],
    ['the project CIDR itself', { ipBlock: { cidr: '10.20.0.0/24' } }, { ipBlock: { cidr: '10.20.0.0/24' } }],
    ['an ipBlock inside an allowed block', { ipBlock: { cidr: '192.0.2.8/29' } }, { ipBlock: { cidr: '192.0.2.8/29' } }],
    ['an IPv6 ipBlock inside an allowed block', { ipBlock: { cidr: '2001:db8:20:1::/64' } }, { ipBlock: { cidr: '2001:db8:20:1::/64' } }],
  ])('translates %s', (_case, peer, expected) => {
    expect(ingressPeer(peer)).toEqual(expected);
  });

  it.each<[string, V1NetworkPolicyPeer, SyncContext, string]>([
    ['the whole internet', { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }, ctx, 'IpBlockOutsideProject'],
    ['a block larger than the project', { ipBlock: { cidr: '10.20.0.0/23' } }, ctx, 'IpBlockOutsideProject'],
    ['another project', { ipBlock: { cidr: '10.20.1.0/24' } }, ctx, 'IpBlockOutsideProject'],
    ['a block straddling an allowed one', { ipBlock: { cidr: '192.0.2.0/27' } }, ctx, 'IpBlockOutsideProject'],
    ['an IPv6 block outside', { ipBlock: { cidr: '2001:db8:21::/64' } }, ctx, 'IpBlockOutsideProject'],
    ['any block when nothing is permitted', { ipBlock: { cidr: '10.20.0.0/32' } }, { ...ctx, projectCidr: undefined, allowedIpBlocks: [] }, 'IpBlockOutsideProject'],
    ['a malformed block', { ipBlock: { cidr: '10.20.0/24' } }, ctx, 'InvalidIpBlock'],
    ['namespaces by another label', { namespaceSelector: { matchLabels: { team: 'frontend' } } }, ctx, 'NamespaceSelectorUntranslatable'],
    [
      'namespaces by name and another label',
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend', env: 'prod' } } },
      ctx,
      'NamespaceSelectorUntranslatable',
    ],
    [
      'namespaces by another label expression',
      { namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'Exists' }] } },
      ctx,
      'NamespaceSelectorUntranslatable',
    ],
  ])('refuses %s', (_case, peer, context, reason) => {
    expect(ingressPeer(peer, context)).toMatchObject({ reason });
  });

  it('says which peer was refused and what is allowed', () => {
    const virtual = policy({ podSelector: {}, egress: [{ to: [{ podSelector: {} }] }, { to: [{ podSelector: {} }, { ipBlock: { cidr: '0.0.0.0/0' } }] }] });
    expect(hostNetworkPolicyFor(virtual, ctx)).toEqual({
      refused: {
        reason: 'IpBlockOutsideProject',
        message: "egress[1].to[1]: ipBlock 0.0.0.0/0 is outside the project's address space (allowed: 10.20.0.0/24, 192.0.2.0/28, 2001:db8:20::/48)",
      },
    });
  });

  it.each([
    ['with a project CIDR and allowed blocks', ctx, ['10.20.0.0/24', '192.0.2.0/28', '2001:db8:20::/48']],
    ['with nothing permitted', { ...ctx, projectCidr: undefined, allowedIpBlocks: undefined }, []],
  ])('turns a rule without peers into every peer the project may name, %s', (_case, context, blocks) => {
    const virtual = policy({ podSelector: {}, ingress: [{ ports: [{ port: 80 }] }], egress: [{ to: [] }], policyTypes: ['Ingress', 'Egress'] });
    const peers = [{ podSelector: { matchLabels: { [MANAGED]: 'vc1' } } }, ...blocks.map((cidr) => ({ ipBlock: { cidr } }))];
    expect(hostNetworkPolicyFor(virtual, context).policy?.spec).toMatchObject({
      ingress: [{ _from: peers, ports: [{ port: 80 }] }],
      egress: [{ to: peers }],
    });
  });
});

describe('cidrContains', () => {
  it('holds exactly when every address of the inner block is in the outer one', () => {
    const v4 = fc.tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 32 }));
    const text = ([n, len]: [number, number]) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${len}`;
    fc.assert(
      fc.property(v4, v4, (a, b) => {
        const [outer, inner] = [cidrRange(text(a)), cidrRange(text(b))];
        if (!outer || !inner) throw new Error('valid CIDRs must parse');
        const expected = inner.start >= outer.start && inner.end <= outer.end;
        expect(cidrContains(outer, inner)).toBe(expected);
        expect(cidrContains(outer, outer)).toBe(true);
      }),
    );
  });
});
