import type { Exposure, Import, Peering, PoolStatus, Project, ProjectRoutes, Tenant } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { age, reasonOf, renderData, renderTable, views } from './output';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const condition = (type: 'CidrAllocated' | 'EgressReady' | 'NamespaceReady' | 'Ready', status: 'True' | 'False' | 'Unknown', reason: string) => ({
  type,
  status,
  reason,
  message: `${type} ${reason}`,
  lastTransitionTime: '2025-06-01T11:59:00Z',
});

const ready: Project = {
  name: 'web',
  tenant: 'acme',
  uid: 'u1',
  generation: 1,
  createdAt: '2025-06-01T11:55:00Z',
  spec: { egressNetworkType: 'cloud' },
  status: {
    phase: 'Ready',
    namespace: 'acme-web',
    cidr: '10.0.0.0/24',
    egressIp: '198.51.100.10',
    conditions: [condition('CidrAllocated', 'True', 'Allocated'), condition('EgressReady', 'True', 'Allocated'), condition('NamespaceReady', 'True', 'Applied'), condition('Ready', 'True', 'Ready')],
  },
};
const failed: Project = {
  ...ready,
  name: 'pub2',
  createdAt: '2025-05-29T12:00:00Z',
  status: { phase: 'Failed', cidr: '10.0.1.0/24', conditions: [condition('CidrAllocated', 'True', 'Allocated'), condition('EgressReady', 'False', 'Exhausted'), condition('Ready', 'False', 'NotReady')] },
};
const peering: Peering = {
  id: 'pr-0123456789ab',
  requester: { tenant: 'acme', project: 'web' },
  accepter: { tenant: 'beta', project: 'db' },
  state: 'PendingAcceptance',
  conditions: [],
  createdAt: '2025-06-01T11:59:30Z',
  createdBy: 'tenant:acme',
};

describe('tables', () => {
  it('shows projects one per row, columns padded, the reason a project is not Ready', () => {
    expect(renderTable(views.projects({ items: [ready, failed] }, NOW))).toBe(
      [
        'NAME   PHASE    CIDR          EGRESS IP       NAMESPACE   REASON                   AGE',
        'web    Ready    10.0.0.0/24   198.51.100.10   acme-web                             5m',
        'pub2   Failed   10.0.1.0/24                               EgressReady: Exhausted   3d',
        '',
      ].join('\n'),
    );
  });

  it('shows a project being deleted as such', () => {
    const deleting = { ...ready, deletionRequestedAt: '2025-06-01T11:59:00Z' };
    expect(views.project(deleting, NOW).rows[0]![1]).toBe('Ready (deleting)');
  });

  it('shows peerings with both sides as tenant/project', () => {
    expect(renderTable(views.peering(peering, NOW))).toBe(
      ['ID                REQUESTER   ACCEPTER   STATE               LINK   AGE', 'pr-0123456789ab   acme/web    beta/db    PendingAcceptance          30s', ''].join('\n'),
    );
  });

  it('shows routes and attachments of the same answer', () => {
    const routes: ProjectRoutes = { routes: [{ destination: '172.20.0.0/16', nexthop: '192.168.100.1' }], attachments: [{ network: 'vrack', address: '192.168.100.2' }] };
    expect(renderTable(views.routes(routes))).toBe('DESTINATION     NEXTHOP\n172.20.0.0/16   192.168.100.1\n');
    expect(renderTable(views.attachments(routes))).toBe('NETWORK   ADDRESS\nvrack     192.168.100.2\n');
  });

  it('prints hostile text on one line, without escape sequences', () => {
    const table = renderTable({ header: ['NAME', 'DESCRIPTION'], rows: [['n', 'evil\u001b[2J\r\nline\u202eseen']] });
    expect(table).toBe('NAME   DESCRIPTION\nn      evil [2J line seen\n');
    expect(table.split('\n').filter((line) => /\p{Cc}/u.test(line))).toEqual([]);
  });

  it('pads by code points, not UTF-16 units', () => {
    expect(renderTable({ header: ['A', 'B'], rows: [['🦀', 'x']] })).toBe('A   B\n🦀   x\n');
  });
});

const exposure: Exposure = {
  name: 'pg',
  service: 'default/postgres',
  ports: [
    { port: 5432, protocol: 'TCP' },
    { port: 53, protocol: 'UDP' },
  ],
  pool: 'cloud',
  eipKey: 'pg',
  entryName: 'pg-ext',
  createdAt: '2025-06-01T11:58:00Z',
  grants: [
    { project: 'acme/api', state: 'accepted', grantedAt: '2025-06-01T11:58:00Z', acceptedAt: '2025-06-01T11:58:00Z' },
    { project: 'beta/analytics', state: 'pending', grantedAt: '2025-06-01T11:59:00Z' },
  ],
  status: { ready: false, reason: 'Pending', message: 'the exposer has not reconciled this exposure yet', consumers: [], policyPeers: [] },
};

describe('tables of what projects share, and of the admin', () => {
  it("shows an exposure's grants in one cell, and the reason while it is not ready", () => {
    expect(renderTable(views.exposure(exposure, NOW))).toBe(
      [
        'NAME   SERVICE            PORTS             POOL    ADDRESS   GRANTS                                       READY   REASON    AGE',
        'pg     default/postgres   5432/TCP,53/UDP   cloud             acme/api(accepted),beta/analytics(pending)   no      Pending   2m',
        '',
      ].join('\n'),
    );
  });

  it('shows grants one per row, of every exposure or of one', () => {
    const other = { ...exposure, name: 'redis', grants: [{ project: 'acme/web', state: 'accepted' as const, grantedAt: '2025-06-01T11:00:00Z', acceptedAt: '2025-06-01T11:30:00Z' }] };
    expect(views.grants({ items: [exposure, other] }, NOW).rows).toEqual([
      ['pg', 'acme/api', 'accepted', '2m', '2m'],
      ['pg', 'beta/analytics', 'pending', '60s', ''],
      ['redis', 'acme/web', 'accepted', '60m', '30m'],
    ]);
    expect(views.exposureGrants(exposure, NOW).header).toEqual(['EXPOSURE', 'CONSUMER', 'STATE', 'GRANTED', 'ACCEPTED']);
  });

  it('names an import as accept and decline take it: tenant/project/exposure', () => {
    const offer: Import = {
      exporter: 'beta/db',
      exposure: 'postgres',
      state: 'pending',
      entryName: 'postgres-ext',
      ports: [{ port: 5432, protocol: 'TCP' }],
      ready: false,
      reason: 'AwaitingAcceptance',
      message: 'accept with POST …',
      grantedAt: '2025-06-01T11:59:00Z',
    };
    expect(renderTable(views.imports({ items: [offer] }))).toBe(
      ['IMPORT             STATE     ENTRY          PORTS      ADDRESS   READY   REASON', 'beta/db/postgres   pending   postgres-ext   5432/TCP             no      AwaitingAcceptance', ''].join('\n'),
    );
  });

  it('shows tenants, tokens (never a token) and pools with their utilisation', () => {
    const tenant: Tenant = { name: 'acme', displayName: 'ACME Corp', uid: 'u', createdAt: '2025-06-01T10:00:00Z', quotas: { maxProjects: 20, maxAddressesPerPool: {} }, hostnameSuffixes: [], importNamespaces: [] };
    expect(views.tenant(tenant, NOW).rows).toEqual([['acme', 'ACME Corp', '20', '', '2h']]);
    expect(views.tokens({ items: [{ id: 'tok_0123456789abcdef', name: 'ci', createdAt: '2025-06-01T11:00:00Z' }] }, NOW).rows).toEqual([['tok_0123456789abcdef', 'ci', '60m']]);
    const pool: PoolStatus = {
      pool: { v: 1, name: 'egress', kind: 'address', prefixes: ['100.64.0.0/24'], ranges: [{ start: '203.0.113.10', end: '203.0.113.20' }], reserved: [], presets: [] },
      utilisation: { total: '267', used: '3', reserved: '0', free: '264', largestFreePrefixLength: 25, freeFragments: 4, allocations: 3 },
    };
    expect(renderTable(views.pools({ items: [pool] }))).toBe(
      ['NAME     KIND      SPACE                                     USED   RESERVED   FREE   ALLOCATIONS', 'egress   address   100.64.0.0/24,203.0.113.10-203.0.113.20   3      0          264    3', ''].join('\n'),
    );
  });

  it("shows a private network's tenants only in the admin's view", () => {
    const network = { name: 'vrack', cidr: '192.168.100.0/24', gateway: '192.168.100.1', description: 'VLAN 100' };
    expect(views.tenantPrivateNetwork(network).header).toEqual(['NAME', 'CIDR', 'GATEWAY', 'DESCRIPTION']);
    expect(views.adminPrivateNetworks({ items: [{ ...network, tenants: ['acme', 'beta'] }] }).rows).toEqual([['vrack', '192.168.100.0/24', '192.168.100.1', 'acme,beta', 'VLAN 100']]);
  });
});

describe('json and yaml', () => {
  it('prints the answer as it came', () => {
    expect(renderData({ items: [{ name: 'web' }] }, 'json')).toBe('{\n  "items": [\n    {\n      "name": "web"\n    }\n  ]\n}\n');
    expect(renderData({ items: [{ name: 'web', cidr: '10.0.0.0/24' }] }, 'yaml')).toBe('items:\n  - name: web\n    cidr: 10.0.0.0/24\n');
  });
});

describe('age and reason', () => {
  it.each([
    ['2025-06-01T11:59:59Z', '1s'],
    ['2025-06-01T11:58:01Z', '119s'],
    ['2025-06-01T11:50:00Z', '10m'],
    ['2025-06-01T09:00:00Z', '3h'],
    ['2025-05-01T12:00:00Z', '31d'],
    ['2025-06-01T12:00:05Z', '0s'],
    ['yesterday', '-'],
  ])('%s is %s old', (since, expected) => {
    expect(age(since, NOW)).toBe(expected);
  });

  it('names the first failed condition, else the first pending one, else nothing', () => {
    expect(reasonOf(failed.status.conditions)).toBe('EgressReady: Exhausted');
    expect(reasonOf([condition('CidrAllocated', 'True', 'Allocated'), condition('EgressReady', 'Unknown', 'Pending'), condition('Ready', 'False', 'NotReady')])).toBe('EgressReady: Pending');
    expect(reasonOf(ready.status.conditions)).toBe('');
  });
});
