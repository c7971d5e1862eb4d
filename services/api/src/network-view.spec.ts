import type { PeeringRecord, ProjectRecord } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { networkOf, routesView } from './network-view';
import { PeeringIndex } from './view';

const peering = (id: string, requester: [string, string], accepter: [string, string], state: PeeringRecord['state'] = 'Active'): PeeringRecord => ({
  v: 1,
  id,
  requester: { tenant: requester[0], project: requester[1] },
  accepter: { tenant: accepter[0], project: accepter[1] },
  state,
  conditions: [],
  createdAt: '2025-01-01T00:00:00Z',
  createdBy: `tenant:${requester[0]}`,
});

const put = (p: PeeringRecord) => ({ op: 'put' as const, key: p.id, revision: 1, value: p });

describe('PeeringIndex', () => {
  it('finds the peerings of a project and of a tenant, on either side', () => {
    const index = new PeeringIndex();
    index.apply(put(peering('pr-000000000002', ['a', 'web'], ['b', 'db'])));
    index.apply(put(peering('pr-000000000001', ['a', 'web'], ['a', 'api'])));
    expect(index.ofProject('a.web')).toEqual(['pr-000000000001', 'pr-000000000002']);
    expect(index.ofProject('b.db')).toEqual(['pr-000000000002']);
    expect(index.ofTenant('a')).toEqual(['pr-000000000001', 'pr-000000000002']);
    expect(index.ofTenant('b')).toEqual(['pr-000000000002']);
    expect(index.ofTenant('c')).toEqual([]);
  });

  it('forgets a deleted peering, and a rewritten one is indexed once', () => {
    const index = new PeeringIndex();
    index.apply(put(peering('pr-000000000001', ['a', 'web'], ['b', 'db'], 'PendingAcceptance')));
    index.apply(put(peering('pr-000000000001', ['a', 'web'], ['b', 'db'], 'Programming')));
    expect(index.ofTenant('b')).toEqual(['pr-000000000001']);
    index.apply({ op: 'delete', key: 'pr-000000000001', revision: 3 });
    expect(index.ofTenant('a')).toEqual([]);
    expect(index.ofProject('b.db')).toEqual([]);
  });
});

describe('the network of a project', () => {
  const project = { tenant: 'a', name: 'web' } as ProjectRecord;

  it('is empty lists before the router wrote anything', () => {
    expect(routesView(undefined)).toEqual({ routes: [], attachments: [] });
    expect(networkOf({ routesOf: () => undefined, peeringsOfProject: () => [] }, project)).toEqual({ routes: 0, attachments: [], peerings: [] });
  });

  it('counts the routes and names each peer as tenant/project, whichever side the project is', () => {
    const network = networkOf(
      {
        routesOf: () => ({
          v: 1,
          tenant: 'a',
          project: 'web',
          routes: [
            { destination: '192.168.1.0/24', nexthop: '10.0.0.5' },
            { destination: '192.168.2.0/24', nexthop: '10.0.0.5' },
          ],
          attachments: [{ network: 'vrack', address: '192.168.100.2' }],
          updatedAt: '2025-01-01T00:00:00Z',
          updatedBy: 'tenant:a',
        }),
        peeringsOfProject: () => [peering('pr-000000000001', ['a', 'web'], ['b', 'db']), peering('pr-000000000002', ['a', 'api'], ['a', 'web'], 'Programming')],
      },
      project,
    );
    expect(network).toEqual({
      routes: 2,
      attachments: [{ network: 'vrack', address: '192.168.100.2' }],
      peerings: [
        { id: 'pr-000000000001', peer: 'b/db', state: 'Active' },
        { id: 'pr-000000000002', peer: 'a/api', state: 'Programming' },
      ],
    });
  });
});
