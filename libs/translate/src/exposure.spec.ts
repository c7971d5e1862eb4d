import type { V1Service } from '@kubernetes/client-node';
import { LbProvider, type ExposedPort, type ExposureRecord, type GrantRecord } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import {
  ENTRY_SLICE_MANAGER,
  entryEgressPolicy,
  entryObjectNames,
  entrySelector,
  entryService,
  entrySlice,
  exposureLoadBalancerService,
  exposureObjectNames,
  exposurePolicy,
  exposureSourceName,
  fitOnEip,
  isEntryFor,
  kubeDcEipName,
  loadBalancerRequest,
  peersOf,
  placeOnEip,
  policyPeers,
  resolveSource,
  sharingSupported,
  type EipFit,
  type EipHolder,
  type EipPlacement,
  type LbConfig,
  type LbRequest,
  type ResolvedPort,
} from './exposure';

// Label and annotation keys are written out (not taken from @netbroker/naming): they are a frozen
// contract with what is already in clusters, and a rename must fail here.

const exposure: ExposureRecord = {
  v: 1,
  tenant: 'acme',
  project: 'web',
  projectUid: '6f1c2a7e-0d5b-4c1e-9a47-3b2f8e9d1c40',
  name: 'postgres',
  service: 'data/postgres',
  ports: [{ port: 5432, protocol: 'TCP' }],
  pool: 'public',
  eipKey: 'postgres',
  entryName: 'postgres-ext',
  createdAt: '2025-03-14T09:26:53Z',
  createdBy: 'alice@acme.example',
};

const grant: GrantRecord = {
  v: 1,
  exporter: { tenant: 'acme', project: 'web', uid: '6f1c2a7e-0d5b-4c1e-9a47-3b2f8e9d1c40' },
  exposure: 'postgres',
  consumer: { tenant: 'globex', project: 'billing', uid: 'a3d9e2b1-7c44-4f0a-8e21-5b6c7d8e9f01' },
  state: 'accepted',
  grantedBy: 'alice@acme.example',
  grantedAt: '2025-03-14T09:30:00Z',
  acceptedBy: 'bob@globex.example',
  acceptedAt: '2025-03-14T10:02:11Z',
};

const exporterLabels = {
  'netbroker.io/managed-by': 'netbroker',
  'netbroker.io/tenant': 'acme',
  'netbroker.io/project': 'web',
  'netbroker.io/component': 'exposure',
  'netbroker.io/exposure': 'postgres',
};

const entryLabels = {
  'netbroker.io/managed-by': 'netbroker',
  'netbroker.io/tenant': 'globex',
  'netbroker.io/project': 'billing',
  'netbroker.io/component': 'exposure-entry',
  'netbroker.io/exporter-tenant': 'acme',
  'netbroker.io/exporter-project': 'web',
  'netbroker.io/exposure': 'postgres',
};

const grantKeyAnnotation = { 'netbroker.io/grant-key': 'acme.web.postgres.globex.billing' };

describe('loadBalancerRequest', () => {
  const v4 = '203.0.113.20';
  const v6 = '2001:db8:20::14';
  type Want = Parameters<typeof loadBalancerRequest>[1];
  const want = (over: Partial<Want> = {}): Want => ({ address: v4, eipKey: 'postgres', network: 'public', ...over });

  it.each<[string, LbConfig, Want, LbRequest]>([
    // plain: only spec.loadBalancerIP; nothing to share with.
    ['plain', { provider: 'plain' }, want(), { annotations: {}, loadBalancerIP: v4 }],
    ['plain with a sharingKey (ignored)', { provider: 'plain' }, want({ sharingKey: 'web' }), { annotations: {}, loadBalancerIP: v4 }],
    ['plain with a loadBalancerClass', { provider: 'plain', loadBalancerClass: 'example.com/edge' }, want(), { annotations: {}, loadBalancerIP: v4, loadBalancerClass: 'example.com/edge' }],
    ['plain, IPv6', { provider: 'plain' }, want({ address: v6 }), { annotations: {}, loadBalancerIP: v6 }],
    // MetalLB.
    ['metallb', { provider: 'metallb' }, want(), { annotations: { 'metallb.io/loadBalancerIPs': v4 } }],
    [
      'metallb with an address pool and a sharingKey',
      { provider: 'metallb', addressPool: 'public' },
      want({ sharingKey: 'web' }),
      { annotations: { 'metallb.io/loadBalancerIPs': v4, 'metallb.io/address-pool': 'public', 'metallb.io/allow-shared-ip': 'web' } },
    ],
    ['metallb with a sharingKey, no pool', { provider: 'metallb' }, want({ sharingKey: 'web' }), { annotations: { 'metallb.io/loadBalancerIPs': v4, 'metallb.io/allow-shared-ip': 'web' } }],
    [
      'metallb with a loadBalancerClass',
      { provider: 'metallb', loadBalancerClass: 'metallb.universe.tf/metallb' },
      want(),
      { annotations: { 'metallb.io/loadBalancerIPs': v4 }, loadBalancerClass: 'metallb.universe.tf/metallb' },
    ],
    ['metallb, IPv6', { provider: 'metallb', addressPool: 'public-v6' }, want({ address: v6 }), { annotations: { 'metallb.io/loadBalancerIPs': v6, 'metallb.io/address-pool': 'public-v6' } }],
    // Cilium LB-IPAM.
    ['cilium', { provider: 'cilium' }, want(), { annotations: { 'lbipam.cilium.io/ips': v4 } }],
    ['cilium with a sharingKey', { provider: 'cilium' }, want({ sharingKey: 'web' }), { annotations: { 'lbipam.cilium.io/ips': v4, 'lbipam.cilium.io/sharing-key': 'web' } }],
    ['cilium, IPv6', { provider: 'cilium' }, want({ address: v6 }), { annotations: { 'lbipam.cilium.io/ips': v6 } }],
    [
      'cilium with a loadBalancerClass',
      { provider: 'cilium', loadBalancerClass: 'io.cilium/bgp-control-plane' },
      want(),
      { annotations: { 'lbipam.cilium.io/ips': v4 }, loadBalancerClass: 'io.cilium/bgp-control-plane' },
    ],
    // kube-vip: no documented sharing key, so the sharingKey writes nothing (the exposer refuses to share with it).
    ['kube-vip', { provider: 'kube-vip' }, want(), { annotations: { 'kube-vip.io/loadbalancerIPs': v4 } }],
    ['kube-vip with a sharingKey', { provider: 'kube-vip' }, want({ sharingKey: 'web' }), { annotations: { 'kube-vip.io/loadbalancerIPs': v4 } }],
    ['kube-vip, IPv6', { provider: 'kube-vip', loadBalancerClass: 'kube-vip.io/kube-vip-class' }, want({ address: v6 }), { annotations: { 'kube-vip.io/loadbalancerIPs': v6 }, loadBalancerClass: 'kube-vip.io/kube-vip-class' }],
    // OpenStack Octavia.
    ['openstack', { provider: 'openstack' }, want(), { annotations: {}, loadBalancerIP: v4 }],
    ['openstack with a class', { provider: 'openstack', openstackClass: 'public-octavia' }, want(), { annotations: { 'loadbalancer.openstack.org/class': 'public-octavia' }, loadBalancerIP: v4 }],
    ['openstack with a sharingKey (ignored)', { provider: 'openstack', openstackClass: 'public-octavia' }, want({ sharingKey: 'web' }), { annotations: { 'loadbalancer.openstack.org/class': 'public-octavia' }, loadBalancerIP: v4 }],
    ['openstack, IPv6', { provider: 'openstack' }, want({ address: v6 }), { annotations: {}, loadBalancerIP: v6 }],
    // OVHcloud: class octavia by default.
    ['ovhcloud', { provider: 'ovhcloud' }, want(), { annotations: { 'loadbalancer.ovhcloud.com/class': 'octavia' }, loadBalancerIP: v4 }],
    [
      'ovhcloud with a class and a flavor',
      { provider: 'ovhcloud', ovhClass: 'iolb', ovhFlavor: 'medium' },
      want(),
      { annotations: { 'loadbalancer.ovhcloud.com/class': 'iolb', 'loadbalancer.ovhcloud.com/flavor': 'medium' }, loadBalancerIP: v4 },
    ],
    [
      'ovhcloud with a flavor and a sharingKey (ignored)',
      { provider: 'ovhcloud', ovhFlavor: 'large' },
      want({ sharingKey: 'web' }),
      { annotations: { 'loadbalancer.ovhcloud.com/class': 'octavia', 'loadbalancer.ovhcloud.com/flavor': 'large' }, loadBalancerIP: v4 },
    ],
    // Kube-DC: binds to the EIp object, never by address.
    [
      'kube-dc on the public network',
      { provider: 'kube-dc' },
      want(),
      { annotations: { 'service.nlb.kube-dc.com/bind-on-eip': 'netbroker-postgres', 'network.kube-dc.com/external-network-type': 'public' } },
    ],
    [
      'kube-dc on the cloud network with a sharingKey (the shared EIp is the sharing)',
      { provider: 'kube-dc' },
      want({ network: 'cloud', eipKey: 'api', sharingKey: 'api' }),
      { annotations: { 'service.nlb.kube-dc.com/bind-on-eip': 'netbroker-api', 'network.kube-dc.com/external-network-type': 'cloud' } },
    ],
    [
      'kube-dc, IPv6, with a loadBalancerClass',
      { provider: 'kube-dc', loadBalancerClass: 'kube-dc.com/nlb' },
      want({ address: v6 }),
      { annotations: { 'service.nlb.kube-dc.com/bind-on-eip': 'netbroker-postgres', 'network.kube-dc.com/external-network-type': 'public' }, loadBalancerClass: 'kube-dc.com/nlb' },
    ],
  ])('%s', (_name, cfg, w, expected) => {
    expect(loadBalancerRequest(cfg, w)).toStrictEqual(expected);
  });

  it.each(LbProvider.options.filter((p) => p !== 'kube-dc'))('%s asks for the address itself', (provider) => {
    const req = loadBalancerRequest({ provider }, want({ address: v6 }));
    expect([req.loadBalancerIP, ...Object.values(req.annotations)]).toContain(v6);
  });

  it.each([
    ['postgres', 'netbroker-postgres'],
    // 73 characters joined: 52, '-', 10 hex of sha256 (computed with sha256sum).
    ['orders-database-primary-replica-for-the-eu-west-region-eip-0001', 'netbroker-orders-database-primary-replica-for-the-eu-7c4169c1b4'],
  ])('names the Kube-DC EIp of %s %s', (eipKey, expected) => {
    expect(kubeDcEipName(eipKey)).toBe(expected);
    expect(loadBalancerRequest({ provider: 'kube-dc' }, want({ eipKey })).annotations['service.nlb.kube-dc.com/bind-on-eip']).toBe(expected);
  });
});

describe('sharingSupported', () => {
  const table: Array<[LbProvider, boolean]> = [
    ['plain', false],
    ['metallb', true],
    ['cilium', true],
    ['kube-vip', false],
    ['openstack', false],
    ['ovhcloud', false],
    ['kube-dc', true],
  ];

  it.each(table)('%s: %s', (provider, expected) => {
    expect(sharingSupported(provider)).toBe(expected);
  });

  it('has a row for every provider', () => {
    expect(table.map(([p]) => p).sort()).toEqual([...LbProvider.options].sort());
  });
});

describe('exposureObjectNames', () => {
  it('names the exporter objects after the exposure', () => {
    expect(exposureObjectNames('postgres')).toStrictEqual({ loadBalancer: 'exposure-postgres', policy: 'netbroker-exposure-postgres' });
  });
});

describe('exposureSourceName', () => {
  it.each<[string, Pick<ExposureRecord, 'tenant' | 'project' | 'service'>, string | undefined, { namespace: string; name: string; virtual: boolean }]>([
    ['a bare name in the host namespace', { tenant: 'acme', project: 'web', service: 'postgres' }, undefined, { namespace: 'acme-web', name: 'postgres', virtual: false }],
    ['a bare name, whatever the vcluster', { tenant: 'acme', project: 'web', service: 'postgres' }, 'vc1', { namespace: 'acme-web', name: 'postgres', virtual: false }],
    ['a virtual name, the vcluster defaulting to the project', { tenant: 'acme', project: 'web', service: 'data/postgres' }, undefined, { namespace: 'acme-web', name: 'postgres-x-data-x-web', virtual: true }],
    ['a virtual name in a named vcluster', { tenant: 'acme', project: 'web', service: 'data/postgres' }, 'vc1', { namespace: 'acme-web', name: 'postgres-x-data-x-vc1', virtual: true }],
    // 64 characters joined: 52, '-', 10 hex of sha256 of the whole (computed with sha256sum).
    [
      'a long virtual name, cut as SafeConcatName does',
      { tenant: 'acme', project: 'checkout', service: 'finance-prod/payments-ledger-reconciliation-service' },
      undefined,
      { namespace: 'acme-checkout', name: 'payments-ledger-reconciliation-service-x-finance-pro-6878b9e1c0', virtual: true },
    ],
    // 61 characters joined: kept as it is.
    [
      'a virtual name just under the limit',
      { tenant: 'acme', project: 'checkout', service: 'order-processing/inventory-reconciliation-worker' },
      undefined,
      { namespace: 'acme-checkout', name: 'inventory-reconciliation-worker-x-order-processing-x-checkout', virtual: true },
    ],
  ])('%s', (_name, e, vcluster, expected) => {
    const out = exposureSourceName(e, vcluster);
    expect(out).toStrictEqual(expected);
    expect(out.name.length).toBeLessThanOrEqual(63);
  });
});

describe('resolveSource', () => {
  const source = (spec: V1Service['spec']): V1Service => ({ metadata: { name: 'postgres-x-data-x-web', namespace: 'acme-web' }, spec });
  const pg = source({
    type: 'ClusterIP',
    selector: { app: 'postgres', role: 'primary' },
    ports: [
      { name: 'pg', port: 5432, protocol: 'TCP', targetPort: 5433 },
      { name: 'metrics', port: 9187, targetPort: 'metrics' },
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 1053 },
    ],
  });
  const e = (ports: Array<Required<ExposedPort>>) => ({ service: 'data/postgres', ports });

  it.each<[string, Array<Required<ExposedPort>>, ResolvedPort[]]>([
    ['a numeric targetPort, copied', [{ port: 5432, protocol: 'TCP' }], [{ name: 'tcp-5432', port: 5432, protocol: 'TCP', targetPort: 5433 }]],
    ['a named targetPort, kept as a string (protocol defaulting to TCP)', [{ port: 9187, protocol: 'TCP' }], [{ name: 'tcp-9187', port: 9187, protocol: 'TCP', targetPort: 'metrics' }]],
    ['no targetPort: the port', [{ port: 53, protocol: 'UDP' }], [{ name: 'udp-53', port: 53, protocol: 'UDP', targetPort: 53 }]],
    ['the port of the right protocol', [{ port: 53, protocol: 'TCP' }], [{ name: 'tcp-53', port: 53, protocol: 'TCP', targetPort: 1053 }]],
    [
      'several, in the order of the exposure',
      [
        { port: 9187, protocol: 'TCP' },
        { port: 53, protocol: 'UDP' },
        { port: 5432, protocol: 'TCP' },
      ],
      [
        { name: 'tcp-9187', port: 9187, protocol: 'TCP', targetPort: 'metrics' },
        { name: 'udp-53', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'tcp-5432', port: 5432, protocol: 'TCP', targetPort: 5433 },
      ],
    ],
  ])('resolves %s', (_name, ports, expected) => {
    expect(resolveSource(e(ports), pg)).toStrictEqual({ ok: true, selector: { app: 'postgres', role: 'primary' }, ports: expected });
  });

  it.each<[string, Array<Required<ExposedPort>>, string]>([
    ['a port the Service lacks', [{ port: 6432, protocol: 'TCP' }], '6432/TCP'],
    ['a protocol mismatch (UDP asked, TCP served)', [{ port: 5432, protocol: 'UDP' }], '5432/UDP'],
    ['a protocol mismatch (SCTP asked, TCP by default)', [{ port: 9187, protocol: 'SCTP' }], '9187/SCTP'],
    [
      'every missing port, found ones left out',
      [
        { port: 6432, protocol: 'TCP' },
        { port: 5432, protocol: 'TCP' },
        { port: 5432, protocol: 'UDP' },
      ],
      '6432/TCP, 5432/UDP',
    ],
  ])('refuses %s with PortNotFound', (_name, ports, missing) => {
    expect(resolveSource(e(ports), pg)).toStrictEqual({ ok: false, reason: 'PortNotFound', message: `Service data/postgres has no port ${missing}` });
  });

  it('refuses a Service with no ports with PortNotFound', () => {
    expect(resolveSource(e([{ port: 5432, protocol: 'TCP' }]), source({ selector: { app: 'postgres' } }))).toStrictEqual({
      ok: false,
      reason: 'PortNotFound',
      message: 'Service data/postgres has no port 5432/TCP',
    });
  });

  it.each<[string, V1Service]>([
    ['an ExternalName Service', source({ type: 'ExternalName', externalName: 'db.example.com', ports: [{ port: 5432 }] })],
    ['an ExternalName Service even with a selector', source({ type: 'ExternalName', externalName: 'db.example.com', selector: { app: 'postgres' }, ports: [{ port: 5432 }] })],
    ['a selectorless Service', source({ type: 'ClusterIP', ports: [{ port: 5432 }] })],
    ['an empty selector', source({ type: 'ClusterIP', selector: {}, ports: [{ port: 5432 }] })],
    ['a Service with no spec', { metadata: { name: 'postgres' } }],
  ])('refuses %s with SourceHasNoSelector', (_name, svc) => {
    const result = resolveSource(e([{ port: 5432, protocol: 'TCP' }]), svc);
    expect(result).toStrictEqual({ ok: false, reason: 'SourceHasNoSelector', message: expect.stringMatching(/^Service data\/postgres selects no pods/) });
  });
});

describe('fitOnEip', () => {
  const p = (port: number, protocol: ExposedPort['protocol'] = 'TCP'): ExposedPort => ({ port, protocol });
  const on = (name: string, ports: ExposedPort[], pool: EipHolder['pool'] = 'public'): EipHolder => ({ name, eipKey: 'shared', pool, ports });

  it.each<[string, { ports: ExposedPort[]; pool?: EipHolder['pool'] }, EipHolder[], EipFit]>([
    ['an EIP nobody holds yet', { ports: [p(5432)] }, [], { ok: true }],
    ['disjoint ports', { ports: [p(80), p(443)] }, [on('db', [p(5432), p(6379)])], { ok: true }],
    ['the same port, another protocol', { ports: [p(53, 'UDP')] }, [on('dns', [p(53)])], { ok: true }],
    ['the same port, SCTP and TCP', { ports: [p(3868, 'SCTP')] }, [on('diameter', [p(3868)])], { ok: true }],
    ['the pool of the holders', { ports: [p(80)], pool: 'public' }, [on('db', [p(5432)])], { ok: true }],
    [
      'the same port and protocol',
      { ports: [p(5432)] },
      [on('postgres', [p(5432)])],
      { ok: false, reason: 'port-collision', message: 'on the shared EIP: 5432/TCP is exposed by postgres' },
    ],
    [
      'several ports, each named with its holder, in the order asked',
      { ports: [p(443), p(80), p(53, 'UDP'), p(8080)] },
      [on('web', [p(80), p(443)]), on('dns', [p(53, 'UDP')])],
      { ok: false, reason: 'port-collision', message: 'on the shared EIP: 443/TCP is exposed by web, 80/TCP is exposed by web, 53/UDP is exposed by dns' },
    ],
    [
      'a port two holders expose: the oldest is named',
      { ports: [p(9187)] },
      [on('pg', [p(9187)]), on('pg-metrics', [p(9187)])],
      { ok: false, reason: 'port-collision', message: 'on the shared EIP: 9187/TCP is exposed by pg' },
    ],
    [
      'another pool than the holders (before any port)',
      { ports: [p(5432)], pool: 'cloud' },
      [on('postgres', [p(5432)], 'public')],
      { ok: false, reason: 'pool-mismatch', message: 'pool cloud differs from public, the pool of the shared EIP' },
    ],
  ])('%s', (_name, candidate, holders, expected) => {
    expect(fitOnEip(candidate, holders)).toStrictEqual(expected);
  });

  it('finds a collision whichever of the two came first', () => {
    const a = on('a', [p(443), p(80), p(53, 'UDP')]);
    const b = on('b', [p(53, 'UDP'), p(8443)]);
    expect(fitOnEip(a, [b]).ok).toBe(false);
    expect(fitOnEip(b, [a]).ok).toBe(false);
  });
});

describe('placeOnEip', () => {
  const p = (port: number): ExposedPort => ({ port, protocol: 'TCP' });
  const existing: EipHolder[] = [
    { name: 'postgres', eipKey: 'postgres', pool: 'public', ports: [p(5432)] },
    { name: 'pg-metrics', eipKey: 'postgres', pool: 'public', ports: [p(9187)] },
    { name: 'redis', eipKey: 'redis', pool: 'cloud', ports: [p(6379)] },
  ];
  type Want = Parameters<typeof placeOnEip>[0];

  it.each<[string, Want, EipPlacement]>([
    ['its own EIP, in the project\'s pool', { name: 'web', ports: [p(443)] }, { ok: true, eipKey: 'web', pool: 'cloud' }],
    ['its own EIP, in the pool asked for', { name: 'web', ports: [p(443)], pool: 'public' }, { ok: true, eipKey: 'web', pool: 'public' }],
    ['its own EIP, whatever port others use elsewhere', { name: 'web', ports: [p(5432)] }, { ok: true, eipKey: 'web', pool: 'cloud' }],
    ['the EIP of shareWith, in that EIP\'s pool', { name: 'pg-tls', ports: [p(8443)], shareWith: 'pg-metrics' }, { ok: true, eipKey: 'postgres', pool: 'public' }],
    ['the EIP of shareWith, the same pool asked for', { name: 'pg-tls', ports: [p(8443)], shareWith: 'postgres', pool: 'public' }, { ok: true, eipKey: 'postgres', pool: 'public' }],
    [
      'shareWith naming no exposure of the project',
      { name: 'x', ports: [p(1)], shareWith: 'mysql' },
      { ok: false, reason: 'unknown-reference', message: 'shareWith: the project has no exposure mysql' },
    ],
    [
      'a port of any exposure on the shared EIP',
      { name: 'pg-tls', ports: [p(8443), p(9187)], shareWith: 'postgres' },
      { ok: false, reason: 'port-collision', message: 'on the shared EIP: 9187/TCP is exposed by pg-metrics' },
    ],
    [
      'another pool than the shared EIP\'s',
      { name: 'x', ports: [p(2)], shareWith: 'postgres', pool: 'cloud' },
      { ok: false, reason: 'pool-mismatch', message: 'pool cloud differs from public, the pool of the shared EIP' },
    ],
  ])('%s', (_name, want, expected) => {
    expect(placeOnEip(want, existing, 'cloud')).toStrictEqual(expected);
  });
});

describe('exposureLoadBalancerService', () => {
  const resolved = {
    selector: { app: 'postgres', 'vcluster.loft.sh/namespace': 'data' },
    ports: [
      { name: 'tcp-5432', port: 5432, protocol: 'TCP', targetPort: 5433 },
      { name: 'tcp-9187', port: 9187, protocol: 'TCP', targetPort: 'metrics' },
    ],
  };

  it('writes a LoadBalancer on the request, with the ownership metadata (MetalLB)', () => {
    const request = loadBalancerRequest({ provider: 'metallb', addressPool: 'public' }, { address: '203.0.113.20', eipKey: 'postgres', network: 'public', sharingKey: 'postgres' });
    expect(exposureLoadBalancerService(exposure, resolved, request)).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'exposure-postgres',
        namespace: 'acme-web',
        labels: exporterLabels,
        annotations: {
          'netbroker.io/exposure-key': 'acme.web.postgres',
          'metallb.io/loadBalancerIPs': '203.0.113.20',
          'metallb.io/address-pool': 'public',
          'metallb.io/allow-shared-ip': 'postgres',
        },
      },
      spec: {
        type: 'LoadBalancer',
        selector: { app: 'postgres', 'vcluster.loft.sh/namespace': 'data' },
        ports: [
          { name: 'tcp-5432', port: 5432, protocol: 'TCP', targetPort: 5433 },
          { name: 'tcp-9187', port: 9187, protocol: 'TCP', targetPort: 'metrics' },
        ],
        externalTrafficPolicy: 'Local',
      },
    });
  });

  it.each<[string, LbRequest, Record<string, string>, Record<string, unknown>]>([
    ['plain: loadBalancerIP, no extra annotation', { annotations: {}, loadBalancerIP: '203.0.113.20' }, {}, { loadBalancerIP: '203.0.113.20' }],
    [
      'OpenStack with a class: loadBalancerIP and loadBalancerClass',
      { annotations: { 'loadbalancer.openstack.org/class': 'public-octavia' }, loadBalancerIP: '203.0.113.20', loadBalancerClass: 'openstack.org/octavia' },
      { 'loadbalancer.openstack.org/class': 'public-octavia' },
      { loadBalancerIP: '203.0.113.20', loadBalancerClass: 'openstack.org/octavia' },
    ],
    [
      'Kube-DC: no loadBalancerIP',
      { annotations: { 'service.nlb.kube-dc.com/bind-on-eip': 'netbroker-postgres', 'network.kube-dc.com/external-network-type': 'public' } },
      { 'service.nlb.kube-dc.com/bind-on-eip': 'netbroker-postgres', 'network.kube-dc.com/external-network-type': 'public' },
      {},
    ],
  ])('%s', (_name, request, extraAnnotations, extraSpec) => {
    const svc = exposureLoadBalancerService(exposure, resolved, request);
    // Exactly netbroker's annotations: nothing of the source Service (the function never sees its metadata).
    expect(svc.metadata.annotations).toStrictEqual({ 'netbroker.io/exposure-key': 'acme.web.postgres', ...extraAnnotations });
    expect(svc.metadata.labels).toStrictEqual(exporterLabels);
    expect(svc.spec).toStrictEqual({ type: 'LoadBalancer', selector: resolved.selector, ports: resolved.ports, externalTrafficPolicy: 'Local', ...extraSpec });
  });

  it('does not alias the request annotations', () => {
    const request: LbRequest = { annotations: { 'lbipam.cilium.io/ips': '203.0.113.20' } };
    const svc = exposureLoadBalancerService(exposure, resolved, request);
    svc.metadata.annotations['lbipam.cilium.io/sharing-key'] = 'x';
    expect(request.annotations).toStrictEqual({ 'lbipam.cilium.io/ips': '203.0.113.20' });
  });
});

describe('policyPeers', () => {
  it.each<[string, Array<{ cidr?: string; egressIp?: string }>, string[]]>([
    ['no consumers', [], []],
    ['an egress IPv4 as /32', [{ egressIp: '198.51.100.7' }], ['198.51.100.7/32']],
    ['an egress IPv6 as /128', [{ egressIp: '2001:db8:7::1' }], ['2001:db8:7::1/128']],
    ['a CIDR kept', [{ cidr: '10.20.0.0/16' }], ['10.20.0.0/16']],
    ['both of one consumer', [{ cidr: '10.20.0.0/16', egressIp: '198.51.100.7' }], ['10.20.0.0/16', '198.51.100.7/32']],
    [
      'duplicates once',
      [{ cidr: '10.20.0.0/16', egressIp: '198.51.100.7' }, { egressIp: '198.51.100.7' }, { cidr: '10.20.0.0/16' }],
      ['10.20.0.0/16', '198.51.100.7/32'],
    ],
    [
      'sorted',
      [{ egressIp: '203.0.113.9' }, { cidr: '10.30.0.0/16', egressIp: '198.51.100.7' }, { egressIp: '2001:db8:7::1' }, { cidr: '10.20.0.0/16' }],
      ['10.20.0.0/16', '10.30.0.0/16', '198.51.100.7/32', '2001:db8:7::1/128', '203.0.113.9/32'],
    ],
    ['a consumer with neither', [{}, { cidr: '', egressIp: '' }], []],
  ])('%s', (_name, consumers, expected) => {
    expect(policyPeers(consumers)).toStrictEqual(expected);
  });
});

describe('exposurePolicy', () => {
  const resolved = {
    selector: { app: 'postgres' },
    ports: [
      { name: 'tcp-5432', port: 5432, protocol: 'TCP', targetPort: 5433 },
      { name: 'tcp-9187', port: 9187, protocol: 'TCP', targetPort: 'metrics' },
    ],
  };
  const metadata = {
    name: 'netbroker-exposure-postgres',
    namespace: 'acme-web',
    labels: exporterLabels,
    annotations: { 'netbroker.io/exposure-key': 'acme.web.postgres' },
  };

  it('admits nobody without peers', () => {
    expect(exposurePolicy(exposure, resolved, [])).toStrictEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata,
      spec: { podSelector: { matchLabels: { app: 'postgres' } }, policyTypes: ['Ingress'] },
    });
  });

  it('admits exactly the peers on the pods’ ports', () => {
    expect(exposurePolicy(exposure, resolved, ['10.20.0.0/16', '198.51.100.7/32', '2001:db8:7::1/128'])).toStrictEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata,
      spec: {
        podSelector: { matchLabels: { app: 'postgres' } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            _from: [{ ipBlock: { cidr: '10.20.0.0/16' } }, { ipBlock: { cidr: '198.51.100.7/32' } }, { ipBlock: { cidr: '2001:db8:7::1/128' } }],
            ports: [
              { protocol: 'TCP', port: 5433 },
              { protocol: 'TCP', port: 'metrics' },
            ],
          },
        ],
      },
    });
  });

  it.each<[string, Array<{ cidr?: string; egressIp?: string }>]>([
    ['no consumers', []],
    ['one egress IP', [{ egressIp: '198.51.100.7' }]],
    ['several consumers, some shared', [{ cidr: '10.30.0.0/16', egressIp: '203.0.113.9' }, { egressIp: '198.51.100.7' }, { cidr: '10.30.0.0/16' }, { egressIp: '2001:db8:7::1' }]],
  ])('peersOf reads back the peers: %s', (_name, consumers) => {
    const peers = policyPeers(consumers);
    expect(peersOf(exposurePolicy(exposure, resolved, peers))).toStrictEqual(peers);
  });

  it('peersOf of no policy is no peers', () => {
    expect(peersOf(undefined)).toStrictEqual([]);
    expect(peersOf({ spec: { podSelector: {} } })).toStrictEqual([]);
  });

  it('peersOf ignores selector peers and sorts', () => {
    expect(
      peersOf({
        spec: {
          podSelector: {},
          ingress: [{ _from: [{ ipBlock: { cidr: '203.0.113.9/32' } }, { podSelector: {} }] }, { _from: [{ ipBlock: { cidr: '10.20.0.0/16' } }] }, {}],
        },
      }),
    ).toStrictEqual(['10.20.0.0/16', '203.0.113.9/32']);
  });
});

describe('consumer entries', () => {
  const ns = 'globex-billing';
  const twoPorts: ExposureRecord = {
    ...exposure,
    ports: [
      { port: 5432, protocol: 'TCP' },
      { port: 53, protocol: 'UDP' },
    ],
  };

  it('entryService is a selectorless ClusterIP with the exposed ports', () => {
    expect(entryService(twoPorts, grant, ns)).toStrictEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'postgres-ext', namespace: ns, labels: entryLabels, annotations: grantKeyAnnotation },
      spec: {
        type: 'ClusterIP',
        ports: [
          { name: 'tcp-5432', port: 5432, protocol: 'TCP', targetPort: 5432 },
          { name: 'udp-53', port: 53, protocol: 'UDP', targetPort: 53 },
        ],
      },
    });
  });

  it("entryService inside a virtual cluster takes the host entry's ClusterIP, and only then sets one", () => {
    expect(entryService(twoPorts, grant, 'default', '10.96.7.9').spec).toStrictEqual({ ...entryService(twoPorts, grant, 'default').spec, clusterIP: '10.96.7.9' });
    expect(entryService(twoPorts, grant, 'default').spec).not.toHaveProperty('clusterIP');
  });

  it.each([
    ['IPv4', '203.0.113.20'],
    ['IPv6', '2001:db8:20::14'],
  ] as const)('entrySlice holds the %s address, ready', (addressType, address) => {
    expect(entrySlice(twoPorts, grant, ns, address)).toStrictEqual({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'postgres-ext-netbroker',
        namespace: ns,
        labels: { ...entryLabels, 'kubernetes.io/service-name': 'postgres-ext', 'endpointslice.kubernetes.io/managed-by': 'exposer.netbroker.io' },
        annotations: grantKeyAnnotation,
      },
      addressType,
      endpoints: [{ addresses: [address], conditions: { ready: true } }],
      ports: [
        { name: 'tcp-5432', port: 5432, protocol: 'TCP' },
        { name: 'udp-53', port: 53, protocol: 'UDP' },
      ],
    });
    expect(ENTRY_SLICE_MANAGER).toBe('exposer.netbroker.io');
  });

  it('entrySlice port names match the entry Service port names', () => {
    const svcPorts = entryService(twoPorts, grant, ns).spec?.ports?.map((p) => p.name);
    expect(entrySlice(twoPorts, grant, ns, '203.0.113.20').ports?.map((p) => p.name)).toStrictEqual(svcPorts);
  });

  it.each([
    ['IPv4 as /32', '203.0.113.20', '203.0.113.20/32'],
    ['IPv6 as /128', '2001:db8:20::14', '2001:db8:20::14/128'],
  ])('entryEgressPolicy admits egress only to the address, %s, on the ports', (_name, address, cidr) => {
    expect(entryEgressPolicy(twoPorts, grant, ns, address)).toStrictEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'netbroker-ext-postgres-ext', namespace: ns, labels: entryLabels, annotations: grantKeyAnnotation },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ ipBlock: { cidr } }],
            ports: [
              { protocol: 'TCP', port: 5432 },
              { protocol: 'UDP', port: 53 },
            ],
          },
        ],
      },
    });
  });

  it.each([
    ['postgres-ext', { service: 'postgres-ext', slice: 'postgres-ext-netbroker', policy: 'netbroker-ext-postgres-ext' }],
    // 63 characters: the Service keeps it, the others are cut (golden values computed with sha256sum).
    [
      'orders-database-primary-replica-for-the-eu-west-region-ext-0001',
      {
        service: 'orders-database-primary-replica-for-the-eu-west-region-ext-0001',
        slice: 'orders-database-primary-replica-for-the-eu-west-regi-adaad42232',
        policy: 'netbroker-ext-orders-database-primary-replica-for-th-0b2ccfa82b',
      },
    ],
  ])('entryObjectNames of %s', (entryName, expected) => {
    const names = entryObjectNames(entryName);
    expect(names).toStrictEqual(expected);
    for (const n of Object.values(names)) expect(n.length).toBeLessThanOrEqual(63);
  });

  it('entry objects of a 63-character entry name carry names of at most 63 characters', () => {
    const long = { ...exposure, entryName: 'orders-database-primary-replica-for-the-eu-west-region-ext-0001' };
    const names = [entryService(long, grant, ns), entrySlice(long, grant, ns, '203.0.113.20'), entryEgressPolicy(long, grant, ns, '203.0.113.20')].map((o) => o.metadata.name);
    expect(names.every((n) => n.length <= 63)).toBe(true);
    expect(new Set(names).size).toBe(3);
  });

  it.each<[string, GrantRecord, boolean]>([
    ['its grant', grant, true],
    ['its grant, read back pending', { ...grant, state: 'pending', acceptedAt: undefined, acceptedBy: undefined }, true],
    ['another consumer', { ...grant, consumer: { tenant: 'globex', project: 'payroll' } }, false],
    ['another tenant of the same project name', { ...grant, consumer: { tenant: 'initech', project: 'billing' } }, false],
    ['another exposure of the exporter', { ...grant, exposure: 'redis' }, false],
    ['another exporter', { ...grant, exporter: { tenant: 'acme', project: 'api', uid: 'u' } }, false],
  ])('isEntryFor: an entry written for the grant, asked about %s: %s', (_name, asked, expected) => {
    for (const obj of [entryService(exposure, grant, ns), entrySlice(exposure, grant, ns, '203.0.113.20'), entryEgressPolicy(exposure, grant, ns, '203.0.113.20')]) {
      expect(isEntryFor(obj, asked)).toBe(expected);
    }
  });

  it.each([
    ['nothing', undefined],
    ['no metadata', {}],
    ['no annotations', { metadata: {} }],
    ['a tenant object of the same name', { metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } }],
  ])('isEntryFor is false for %s', (_name, obj) => {
    expect(isEntryFor(obj, grant)).toBe(false);
  });

  it('entrySelector selects the entries of one exposure', () => {
    expect(entrySelector(exposure)).toBe('netbroker.io/exporter-tenant=acme,netbroker.io/exporter-project=web,netbroker.io/exposure=postgres');
    // Every entry object carries the labels the selector names.
    const labelsOf = entrySlice(exposure, grant, ns, '203.0.113.20').metadata.labels;
    for (const term of entrySelector(exposure).split(',')) {
      const [k, v] = term.split('=');
      expect(labelsOf[k ?? '']).toBe(v);
    }
  });
});
