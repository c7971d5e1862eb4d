import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { MappingRecord } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { mappedEndpointSlice, mappedHostService, mappedVirtualService, mappingId, mappingsFromValues, validateMapping } from './mapping';
import type { SyncContext } from './sync-context';

const hostNs = 'acme-web';

describe('validateMapping', () => {
  it.each([
    ['fromHost with ns/name', 'fromHost', 'shared/db', 'data/db', { ok: true, mappings: [{ direction: 'fromHost', from: 'shared/db', to: 'data/db' }] }],
    ['fromHost with a bare name in the host namespace', 'fromHost', 'db', 'data/db', { ok: true, mappings: [{ direction: 'fromHost', from: 'acme-web/db', to: 'data/db' }] }],
    ['fromVirtual with ns/name to a bare name', 'fromVirtual', 'default/api', 'api-public', { ok: true, mappings: [{ direction: 'fromVirtual', from: 'default/api', to: 'api-public' }] }],
  ] as const)('accepts %s', (_name, direction, from, to, expected) => {
    expect(validateMapping({ direction, from, to }, hostNs)).toEqual(expected);
  });

  it.each([
    ['a fromHost target without a namespace', 'fromHost', 'db', 'db', 'to', /must be namespace\/name/],
    ['a fromVirtual source without a namespace', 'fromVirtual', 'api', 'api', 'from', /must be namespace\/name/],
    ['a fromVirtual target with a namespace', 'fromVirtual', 'default/api', 'other/api', 'to', /bare Service name/],
    ['two slashes', 'fromHost', 'a/b/c', 'x/y', 'from', /more than one/],
    ['upper case', 'fromHost', 'Shared/db', 'x/y', 'from', /DNS-1123/],
    ['an empty part', 'fromHost', '/db', 'x/y', 'from', /DNS-1123/],
    ['a non-string', 'fromHost', 42, 'x/y', 'from', /non-empty string/],
  ] as const)('refuses %s', (_name, direction, from, to, path, message) => {
    const result = validateMapping({ direction, from, to }, hostNs);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toEqual([{ path, message: expect.stringMatching(message) }]);
  });
});

describe('mappingsFromValues', () => {
  it('reads mapServices in YAML', () => {
    const yaml = `mapServices:\n  fromHost:\n    - from: db\n      to: data/db\n  fromVirtual:\n    - from: default/api\n      to: api-public\n`;
    expect(mappingsFromValues(yaml, hostNs)).toEqual({
      ok: true,
      mappings: [
        { direction: 'fromHost', from: 'acme-web/db', to: 'data/db' },
        { direction: 'fromVirtual', from: 'default/api', to: 'api-public' },
      ],
    });
  });

  it('reads networking.replicateServices in JSON, toHost as fromVirtual', () => {
    const json = JSON.stringify({ networking: { replicateServices: { fromHost: [{ from: 'shared/db', to: 'x/db' }], toHost: [{ from: 'x/api', to: 'api' }] } } });
    expect(mappingsFromValues(json, hostNs)).toEqual({
      ok: true,
      mappings: [
        { direction: 'fromHost', from: 'shared/db', to: 'x/db' },
        { direction: 'fromVirtual', from: 'x/api', to: 'api' },
      ],
    });
  });

  it.each([
    ['text that is not YAML', 'mapServices: [', 'values'],
    ['a scalar', '42', 'values'],
    ['no entries', 'mapServices: {}', 'values'],
    ['another vcluster setting', 'sync:\n  toHost: {}\n', 'values.sync'],
    ['an unknown list', 'mapServices:\n  toHost: []\n', 'values.mapServices.toHost'],
    ['a list that is an object', 'mapServices:\n  fromHost: {from: a, to: b/c}\n', 'values.mapServices.fromHost'],
    ['an invalid target with its index', 'mapServices:\n  fromHost:\n    - {from: a, to: b/c}\n    - {from: a, to: b}\n', 'values.mapServices.fromHost[1].to'],
    ['an unknown field of an entry', 'mapServices:\n  fromHost:\n    - {from: a, to: b/c, port: 80}\n', 'values.mapServices.fromHost[0].port'],
    ['another networking setting', 'networking:\n  advanced: {}\n', 'values.networking.advanced'],
  ])('refuses %s', (_name, text, path) => {
    const result = mappingsFromValues(text, hostNs);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => e.path)).toContain(path);
  });
});

describe('mappingId', () => {
  it('is deterministic and differs by direction, source or target', () => {
    const a = { direction: 'fromHost', from: 'a/b', to: 'c/d' } as const;
    expect(mappingId(a)).toBe(mappingId({ ...a }));
    expect(mappingId(a)).toMatch(/^m[0-9a-f]{16}$/);
    expect(new Set([mappingId(a), mappingId({ ...a, to: 'c/e' }), mappingId({ ...a, from: 'a/c' }), mappingId({ ...a, direction: 'fromVirtual' })]).size).toBe(4);
  });
});

const record = (direction: 'fromHost' | 'fromVirtual', from: string, to: string): MappingRecord => ({
  v: 1,
  tenant: 'acme',
  project: 'web',
  projectUid: 'u1',
  id: 'm1',
  spec: { direction, from, to },
  createdAt: '2026-01-01T00:00:00Z',
});
const source = (spec: V1Service['spec']): V1Service => ({ metadata: { name: 'db', namespace: 'shared', uid: 's1' }, spec });

describe('mappedVirtualService', () => {
  const m = record('fromHost', 'shared/db', 'data/db');

  it('has a ClusterIP of its own for a ClusterIP source, no selector, the source ports', () => {
    const svc = mappedVirtualService(source({ clusterIP: '10.96.0.9', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, targetPort: 15432 }] }), m);
    expect(svc.metadata).toMatchObject({ name: 'db', namespace: 'data', labels: { 'netbroker.io/mapping': 'm1', 'netbroker.io/tenant': 'acme' } });
    expect(svc.metadata.annotations['netbroker.io/mapping-key']).toBe('acme.web.m1');
    expect(svc.spec).toEqual({ type: 'ClusterIP', ports: [{ name: 'pg', port: 5432, protocol: 'TCP', targetPort: 5432 }] });
  });

  it('is headless only when the source is', () => {
    expect(mappedVirtualService(source({ clusterIP: 'None', ports: [{ port: 80 }] }), m).spec?.clusterIP).toBe('None');
  });

  it('is a LoadBalancer without node ports for a LoadBalancer source', () => {
    expect(mappedVirtualService(source({ type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [{ port: 80, nodePort: 30080 }] }), m).spec).toEqual({
      type: 'LoadBalancer',
      allocateLoadBalancerNodePorts: false,
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    });
  });
});

describe('mappedEndpointSlice', () => {
  const m = record('fromHost', 'shared/db', 'data/db');

  it('points at the host ClusterIP on the service ports', () => {
    const slice = mappedEndpointSlice(source({ clusterIP: '10.96.0.9', ports: [{ name: 'pg', port: 5432, targetPort: 15432 }] }), [], m);
    expect(slice.metadata.labels).toMatchObject({ 'kubernetes.io/service-name': 'db', 'endpointslice.kubernetes.io/managed-by': 'mapper.netbroker.io' });
    expect(slice.metadata.name).toBe('db-netbroker');
    expect(slice.addressType).toBe('IPv4');
    expect(slice.endpoints).toEqual([{ addresses: ['10.96.0.9'], conditions: { ready: true } }]);
    expect(slice.ports).toEqual([{ name: 'pg', port: 5432, protocol: 'TCP' }]);
  });

  it("copies a headless source's endpoints and ports", () => {
    const slices: V1EndpointSlice[] = [
      { metadata: { name: 'db-b' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.1.0.2'], conditions: { ready: false } }], ports: [{ name: 'pg', port: 15432 }] },
      { metadata: { name: 'db-a' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.1.0.1'], conditions: { ready: true } }], ports: [{ name: 'pg', port: 15432 }] },
      { metadata: { name: 'db-c' }, addressType: 'IPv6', endpoints: [{ addresses: ['fd00::1'] }] },
    ];
    const slice = mappedEndpointSlice(source({ clusterIP: 'None', ports: [{ port: 5432 }] }), slices, m);
    expect(slice.endpoints.map((e) => [e.addresses, e.conditions?.ready])).toEqual([
      [['10.1.0.1'], true],
      [['10.1.0.2'], false],
    ]);
    expect(slice.ports).toEqual([{ name: 'pg', port: 15432, protocol: 'TCP' }]);
  });
});

describe('mappedHostService', () => {
  const ctx: SyncContext = { tenant: 'acme', project: 'web', vcluster: 'vc', hostNamespace: 'acme-web' };

  it('selects the synced pods, keeps its own ClusterIP and is not marked as synced', () => {
    const virtual: V1Service = {
      metadata: { name: 'api', namespace: 'default', uid: 'v1' },
      spec: { type: 'LoadBalancer', clusterIP: '10.96.3.3', selector: { app: 'api' }, externalTrafficPolicy: 'Local', ports: [{ port: 80, targetPort: 8080, nodePort: 30001 }] },
    };
    const svc = mappedHostService(virtual, record('fromVirtual', 'default/api', 'api-public'), ctx);
    expect(svc.metadata).toMatchObject({ name: 'api-public', namespace: 'acme-web' });
    expect(svc.metadata.labels['netbroker.io/vcluster']).toBeUndefined();
    expect(svc.spec).toEqual({
      type: 'ClusterIP',
      selector: { app: 'api', 'vcluster.loft.sh/managed-by': 'vc', 'vcluster.loft.sh/namespace': 'default' },
      ports: [{ port: 80, targetPort: 8080 }],
    });
  });
});
