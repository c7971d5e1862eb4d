import type { V1Service, V1ServicePort } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isDns1123Label } from '@netbroker/naming';
import { hostExternalName, hostServiceFor, isLoadBalancerAnnotation, requestedClusterIP, virtualServiceBackSync, virtualServiceRecreated } from './service';
import type { SyncContext } from './sync-context';

const ctx: SyncContext = { tenant: 'acme', project: 'shop', vcluster: 'vc1', hostNamespace: 'acme-shop' };

const service = (spec: V1Service['spec'], meta: Partial<NonNullable<V1Service['metadata']>> = {}): V1Service => ({
  metadata: { name: 'web', namespace: 'default', uid: 'uid-1', resourceVersion: '7', ...meta },
  spec,
});

describe('requestedClusterIP', () => {
  const virtual = (spec: V1Service['spec']) => service(spec);
  it.each<[string, V1Service['spec'], V1Service | undefined, string | undefined, string | undefined]>([
    ['no host copy yet: the virtual address', { clusterIP: '10.96.3.4' }, undefined, undefined, '10.96.3.4'],
    ['no host copy, the host refused that address before: none', { clusterIP: '10.96.3.4' }, undefined, '10.96.3.4', undefined],
    ['no host copy, refused another address: the virtual one', { clusterIP: '10.96.3.4' }, undefined, '10.96.9.9', '10.96.3.4'],
    ['a host copy: its address (immutable), whatever the virtual one', { clusterIP: '10.96.3.4' }, service({ clusterIP: '10.96.7.7' }), undefined, '10.96.7.7'],
    ['a host copy without an address yet: none', { clusterIP: '10.96.3.4' }, service({}), undefined, undefined],
    ['headless: none', { clusterIP: 'None' }, undefined, undefined, undefined],
    ['ExternalName: none', { type: 'ExternalName', externalName: 'x.example.com' }, undefined, undefined, undefined],
    ['a virtual Service without an address yet: none', {}, undefined, undefined, undefined],
  ])('%s', (_name, spec, host, refused, expected) => {
    expect(requestedClusterIP(virtual(spec), host, refused)).toBe(expected);
  });

  it('goes into the host manifest, but never for ExternalName', () => {
    expect(hostServiceFor(service({ clusterIP: '10.96.3.4', ports: [{ port: 80 }] }), ctx, '10.96.3.4').spec?.clusterIP).toBe('10.96.3.4');
    expect(hostServiceFor(service({ type: 'ExternalName', externalName: 'x.example.com' }), ctx, '10.96.3.4').spec?.clusterIP).toBeUndefined();
    expect(hostServiceFor(service({ clusterIP: 'None' }), ctx, '10.96.3.4').spec?.clusterIP).toBe('None');
  });
});

describe('hostServiceFor: names', () => {
  it.each([
    ['web', 'default', 'web-x-default-x-vc1'],
    // 63 characters exactly: kept as it is.
    ['a'.repeat(40), 'b'.repeat(14), `${'a'.repeat(40)}-x-${'b'.repeat(14)}-x-vc1`],
    // 66 characters: 52 characters, '-', 10 hex of sha256 of the full name (computed with sha256sum).
    ['checkout-payments-reconciliation-worker', 'production-eu-west', 'checkout-payments-reconciliation-worker-x-production-595a5e8868'],
    // The cut lands inside the namespace.
    ['web', 'n'.repeat(55), `web-x-${'n'.repeat(46)}-903a321240`],
  ])('names %s in %s as %s in the host namespace', (name, namespace, expected) => {
    const host = hostServiceFor(service({ ports: [{ port: 80 }] }, { name, namespace }), ctx);
    expect(host.metadata.name).toBe(expected);
    expect(host.metadata.name.length).toBeLessThanOrEqual(63);
    expect(host.metadata.namespace).toBe('acme-shop');
    expect(host).toMatchObject({ apiVersion: 'v1', kind: 'Service' });
  });

  it('always gives a DNS-1123 label of at most 63 characters for valid virtual names', () => {
    const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    fc.assert(
      fc.property(label, label, label, (name, namespace, vcluster) => {
        const host = hostServiceFor(service({}, { name, namespace }), { ...ctx, vcluster });
        expect(isDns1123Label(host.metadata.name)).toBe(true);
      }),
    );
  });
});

describe('hostServiceFor: metadata', () => {
  const virtual = service(
    { ports: [{ port: 80 }] },
    {
      labels: { app: 'web', 'netbroker.io/tenant': 'other', 'x.netbroker.io/evil': '1' },
      annotations: {
        'prometheus.io/scrape': 'true',
        'netbroker.io/owner': 'syncer',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
      },
    },
  );

  it('copies tenant labels and adds ownership labels, never letting a tenant set netbroker keys', () => {
    expect(hostServiceFor(virtual, ctx).metadata.labels).toEqual({
      app: 'web',
      'netbroker.io/managed-by': 'netbroker',
      'netbroker.io/tenant': 'acme',
      'netbroker.io/project': 'shop',
      'netbroker.io/vcluster': 'vc1',
    });
  });

  it('records the virtual object in annotations and drops netbroker keys and kubectl last-applied', () => {
    expect(hostServiceFor(virtual, ctx).metadata.annotations).toEqual({
      'prometheus.io/scrape': 'true',
      'netbroker.io/virtual-name': 'web',
      'netbroker.io/virtual-namespace': 'default',
      'netbroker.io/virtual-uid': 'uid-1',
      'netbroker.io/virtual-kind': 'Service',
      'netbroker.io/vcluster': 'vc1',
    });
  });

  it('writes no server-set metadata', () => {
    expect(Object.keys(hostServiceFor(virtual, ctx).metadata).sort()).toEqual(['annotations', 'labels', 'name', 'namespace']);
  });

  it('gives deep-equal output for equal input and leaves the input untouched', () => {
    const before = structuredClone(virtual);
    const a = hostServiceFor(virtual, ctx);
    a.spec?.ports?.push({ port: 1 });
    expect(hostServiceFor(structuredClone(virtual), ctx)).toEqual(hostServiceFor(virtual, ctx));
    expect(virtual).toEqual(before);
  });
});

describe('hostServiceFor: spec', () => {
  it.each([
    ['a selector', { app: 'web' }, { app: 'web', 'vcluster.loft.sh/managed-by': 'vc1', 'vcluster.loft.sh/namespace': 'default' }],
    ['no selector (selectorless stays selectorless)', undefined, undefined],
    ['an empty selector (selectorless)', {}, undefined],
    [
      'a selector trying to reach another virtual cluster',
      { app: 'web', 'vcluster.loft.sh/managed-by': 'other', 'vcluster.loft.sh/namespace': 'kube-system' },
      { app: 'web', 'vcluster.loft.sh/managed-by': 'vc1', 'vcluster.loft.sh/namespace': 'default' },
    ],
  ])('scopes %s to the pods vcluster synced from the namespace', (_case, selector, expected) => {
    expect(hostServiceFor(service({ selector, ports: [{ port: 80 }] }), ctx).spec?.selector).toEqual(expected);
  });

  it.each([
    ['a ClusterIP', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] }, undefined],
    ['a dual-stack ClusterIP', { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00::a'] }, undefined],
    ['headless', { clusterIP: 'None', clusterIPs: ['None'] }, 'None'],
  ])('leaves %s to the host (headless kept)', (_case, ips, expected) => {
    const host = hostServiceFor(service({ ...ips, ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', selector: { app: 'web' } }), ctx);
    expect(host.spec?.clusterIP).toBe(expected);
    expect(host.spec).not.toHaveProperty('clusterIPs');
    expect(host.spec).not.toHaveProperty('ipFamilies');
    expect(host.spec).not.toHaveProperty('ipFamilyPolicy');
  });

  it('strips every nodePort and keeps the rest of each port', () => {
    const ports: V1ServicePort[] = [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30080, appProtocol: 'http' },
      { name: 'dns', port: 53, targetPort: 1053, protocol: 'UDP', nodePort: 30053 },
    ];
    expect(hostServiceFor(service({ type: 'NodePort', ports }), ctx).spec?.ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: 'http' },
      { name: 'dns', port: 53, targetPort: 1053, protocol: 'UDP' },
    ]);
  });

  it('copies type, session affinity and traffic policies, and drops load-balancer and address fields', () => {
    const spec: V1Service['spec'] = {
      type: 'LoadBalancer',
      ports: [{ port: 443 }],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      externalTrafficPolicy: 'Local',
      internalTrafficPolicy: 'Local',
      publishNotReadyAddresses: true,
      trafficDistribution: 'PreferClose',
      loadBalancerIP: '203.0.113.7',
      loadBalancerSourceRanges: ['0.0.0.0/0'],
      loadBalancerClass: 'metallb',
      externalIPs: ['198.51.100.1'],
      healthCheckNodePort: 31000,
      allocateLoadBalancerNodePorts: false,
    };
    expect(hostServiceFor(service(spec), ctx).spec).toEqual({
      type: 'LoadBalancer',
      ports: [{ port: 443 }],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      externalTrafficPolicy: 'Local',
      internalTrafficPolicy: 'Local',
      publishNotReadyAddresses: true,
      trafficDistribution: 'PreferClose',
    });
  });
});

describe('hostServiceFor: annotations', () => {
  it.each([
    ['prometheus.io/scrape', true],
    ['cert-manager.io/cluster-issuer', true],
    ['example.com/loadBalancerIPs', false],
    ['example.com/load-balancer-id', false],
    ['metallb.io/loadBalancerIPs', false],
    ['metallb.universe.tf/address-pool', false],
    ['metallb.io/allow-shared-ip', false],
    ['lbipam.cilium.io/ips', false],
    ['lbipam.cilium.io/sharing-key', false],
    ['io.cilium/lb-ipam-ips', false],
    ['kube-vip.io/loadbalancerIPs', false],
    ['service.beta.kubernetes.io/aws-load-balancer-type', false],
    ['service.kubernetes.io/topology-mode', false],
    ['loadbalancer.openstack.org/class', false],
    ['loadbalancer.ovhcloud.com/flavor', false],
    ['service.nlb.kube-dc.com/bind-on-eip', false],
    ['network.kube-dc.com/external-network-type', false],
    ['netbroker.io/owner', false],
  ])('passes %s through: %s', (key, kept) => {
    const host = hostServiceFor(service({ ports: [{ port: 80 }] }, { annotations: { [key]: 'x' } }), ctx);
    expect(host.metadata.annotations[key] === 'x').toBe(kept);
    expect(isLoadBalancerAnnotation(key)).toBe(!kept && !key.startsWith('netbroker.io/'));
  });
});

describe('hostServiceFor: ExternalName', () => {
  const withNamespaces: SyncContext = { ...ctx, virtualNamespaces: ['default', 'data'] };
  it.each([
    ['db.data.svc.cluster.local', ctx, 'db-x-data-x-vc1.acme-shop.svc.cluster.local'],
    ['db.data.svc.cluster.local.', ctx, 'db-x-data-x-vc1.acme-shop.svc.cluster.local.'],
    ['db.data.svc', ctx, 'db-x-data-x-vc1.acme-shop.svc.cluster.local'],
    ['DB.Data.SVC.cluster.local', ctx, 'db-x-data-x-vc1.acme-shop.svc.cluster.local'],
    ['db.data', withNamespaces, 'db-x-data-x-vc1.acme-shop.svc.cluster.local'],
    // Two labels that are not a known virtual namespace: a real domain, kept.
    ['example.com', withNamespaces, 'example.com'],
    ['db.data', ctx, 'db.data'],
    ['api.example.com', withNamespaces, 'api.example.com'],
    ['db.data.svc.cluster.example', ctx, 'db.data.svc.cluster.example'],
    ['a.db.data.svc.cluster.local', ctx, 'a.db.data.svc.cluster.local'],
    ['db.data.svc.cluster.local.evil.com', ctx, 'db.data.svc.cluster.local.evil.com'],
  ])('rewrites %s to %s', (externalName, context, expected) => {
    expect(hostExternalName(externalName, context)).toBe(expected);
    const host = hostServiceFor(service({ type: 'ExternalName', externalName }, { name: 'alias' }), context);
    expect(host.spec).toEqual({ type: 'ExternalName', externalName: expected });
  });

  it('rewrites to the cut host name when the target name is long', () => {
    expect(hostExternalName('checkout-payments-reconciliation-worker.production-eu-west.svc', ctx)).toBe(
      'checkout-payments-reconciliation-worker-x-production-595a5e8868.acme-shop.svc.cluster.local',
    );
  });
});

describe('virtualServiceBackSync', () => {
  const lb = { ingress: [{ ip: '203.0.113.7' }] };
  it.each([
    ['the host has an address the virtual Service lacks', undefined, lb, { loadBalancer: lb }],
    ['the addresses differ', { ingress: [{ ip: '203.0.113.8' }] }, lb, { loadBalancer: lb }],
    ['the host lost its address', lb, {}, { loadBalancer: {} }],
    ['they agree', lb, { ingress: [{ ip: '203.0.113.7' }] }, undefined],
    ['neither has one', {}, { ingress: [] }, undefined],
  ])('copies the LoadBalancer status when %s', (_case, virtualLb, hostLb, expected) => {
    const virtual: V1Service = { ...service({ type: 'LoadBalancer', clusterIP: '10.96.0.5' }), status: { loadBalancer: virtualLb } };
    const host: V1Service = { spec: { type: 'LoadBalancer', clusterIP: '10.96.0.5' }, status: { loadBalancer: hostLb } };
    expect(virtualServiceBackSync(virtual, host).statusPatch).toEqual(expected);
  });

  it.each([
    [
      'by name',
      [{ name: 'http', port: 80, nodePort: 30001 }],
      [{ name: 'http', port: 8080, nodePort: 31080 }],
      [{ name: 'http', port: 80, nodePort: 31080 }],
    ],
    [
      'by port and protocol when unnamed',
      [{ port: 53, protocol: 'UDP' }, { port: 53 }],
      [
        { port: 53, protocol: 'TCP', nodePort: 30054 },
        { port: 53, protocol: 'UDP', nodePort: 30053 },
      ],
      [
        { port: 53, protocol: 'UDP', nodePort: 30053 },
        { port: 53, nodePort: 30054 },
      ],
    ],
    ['not at all when they agree', [{ name: 'http', port: 80, nodePort: 31080 }], [{ name: 'http', port: 80, nodePort: 31080 }], undefined],
    ['not at all when the host has none yet', [{ name: 'http', port: 80, nodePort: 30001 }], [{ name: 'http', port: 80 }], undefined],
  ])('copies host nodePorts %s', (_case, virtualPorts: V1ServicePort[], hostPorts: V1ServicePort[], expected) => {
    const virtual = service({ type: 'NodePort', clusterIP: '10.96.0.5', ports: virtualPorts });
    const host: V1Service = { spec: { type: 'NodePort', clusterIP: '10.96.0.5', ports: hostPorts } };
    expect(virtualServiceBackSync(virtual, host).nodePorts).toEqual(expected);
  });

  it('copies no nodePorts to a ClusterIP Service', () => {
    const virtual = service({ type: 'ClusterIP', clusterIP: '10.96.0.5', ports: [{ port: 80 }] });
    const host: V1Service = { spec: { type: 'NodePort', clusterIP: '10.96.0.5', ports: [{ port: 80, nodePort: 30080 }] } };
    expect(virtualServiceBackSync(virtual, host)).toEqual({});
  });

  it.each([
    ['the ClusterIPs differ', { clusterIP: '10.96.0.5' }, { clusterIP: '10.96.3.9' }, '10.96.3.9'],
    ['they agree', { clusterIP: '10.96.3.9' }, { clusterIP: '10.96.3.9' }, undefined],
    ['the host has none yet', { clusterIP: '10.96.0.5' }, {}, undefined],
    ['both are headless', { clusterIP: 'None' }, { clusterIP: 'None' }, undefined],
    ['the virtual Service is headless', { clusterIP: 'None' }, { clusterIP: '10.96.3.9' }, undefined],
    ['it is an ExternalName', { type: 'ExternalName', externalName: 'example.com' }, { clusterIP: '' }, undefined],
  ])('re-creates the virtual Service when %s', (_case, virtualSpec, hostSpec, expected) => {
    expect(virtualServiceBackSync(service(virtualSpec), { spec: hostSpec }).recreateWithClusterIP).toBe(expected);
  });

  it('builds the re-created virtual Service with the host ClusterIP and nodePorts and no server fields', () => {
    const virtual: V1Service = {
      metadata: {
        name: 'web',
        namespace: 'default',
        uid: 'uid-1',
        resourceVersion: '7',
        creationTimestamp: new Date(0),
        managedFields: [{ manager: 'kubectl' }],
        labels: { app: 'web' },
      },
      spec: { type: 'NodePort', clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'], ipFamilies: ['IPv4'], selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30001 }] },
      status: { loadBalancer: {} },
    };
    const host: V1Service = { spec: { type: 'NodePort', clusterIP: '10.96.3.9', ports: [{ port: 80, nodePort: 31080 }] } };
    expect(virtualServiceRecreated(virtual, host)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
      spec: { type: 'NodePort', clusterIP: '10.96.3.9', clusterIPs: ['10.96.3.9'], selector: { app: 'web' }, ports: [{ port: 80, nodePort: 31080 }] },
    });
  });
});
