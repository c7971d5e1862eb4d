import type { PrivateNetworkSpec, Route, RouterErrorReason } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { compile, deliver, kubeOvnVpc, type ProjectPlan } from './compile';
import { addRoutes, linkSides, removeRoutes, validatePeering, validateRoutes } from './validate';
import { snapshot, type World } from './world';

// Table tests of the router's refusals and plans: no I/O. The property tests are in router.property.spec.ts.

const vrack: PrivateNetworkSpec = { name: 'vrack', cidr: '172.20.0.0/24', gateway: '172.20.0.1', tenants: ['t'] };
const base: World = {
  projects: {
    't.a': { cidr: '10.10.0.0/24', attachments: [{ network: 'vrack', address: '172.20.0.10' }] },
    't.b': { cidr: '10.10.1.0/24' },
    't.c': { cidr: '10.10.2.0/24' },
    't.new': {},
  },
  networks: [vrack],
  peerings: [['t.a', 't.b']],
};
const r = (destination: string, nexthop: string): Route => ({ destination, nexthop });

describe('validateRoutes', () => {
  const refusals: Array<[string, Route[], RouterErrorReason, number | undefined, World?]> = [
    ['IPv6 is not supported yet', [r('fd00::/64', 'fd00::1')], 'ipv6-unsupported', 0],
    ['the default route belongs to egress', [r('0.0.0.0/0', '172.20.0.1')], 'default-route', 0],
    ["the project's own CIDR", [r('10.10.0.128/25', '172.20.0.1')], 'overlaps-own-cidr', 0],
    ['a range holding its own CIDR', [r('10.0.0.0/8', '172.20.0.1')], 'overlaps-own-cidr', 0],
    ['an attached private network', [r('172.20.0.0/25', '10.10.0.5')], 'overlaps-connected', 0],
    ["a peer's CIDR (the peering's own route)", [r('10.10.1.0/24', '172.20.0.1')], 'overlaps-peer', 0],
    ["a pending peer's CIDR", [r('10.10.2.0/24', '172.20.0.1')], 'overlaps-peer', 0, { ...base, peerings: [['t.a', 't.c', 'PendingAcceptance']] }],
    ['the pod network', [r('10.244.3.0/24', '172.20.0.1')], 'reserved-range', 0],
    ['the Service network', [r('10.100.0.0/16', '172.20.0.1')], 'reserved-range', 0],
    ['the link pool', [r('198.19.5.0/24', '172.20.0.1')], 'reserved-range', 0],
    ['an MKS preset', [r('10.2.0.0/24', '172.20.0.1')], 'reserved-range', 0],
    ['loopback', [r('127.0.0.0/8', '172.20.0.1')], 'reserved-range', 0],
    ['link-local', [r('169.254.0.0/16', '172.20.0.1')], 'reserved-range', 0],
    ['multicast', [r('224.0.0.0/4', '172.20.0.1')], 'reserved-range', 0],
    ['class E', [r('250.0.0.0/8', '172.20.0.1')], 'reserved-range', 0],
    ['0/8', [r('0.0.0.0/8', '172.20.0.1')], 'reserved-range', 0],
    ['a next hop on no connected network', [r('192.168.50.0/24', '192.168.1.1')], 'nexthop-not-connected', 0],
    ["a next hop on a peer link (transit)", [r('192.168.50.0/24', '198.19.0.2')], 'nexthop-on-peer-link', 0],
    ['the next hop is the network address', [r('192.168.50.0/24', '172.20.0.0')], 'invalid-nexthop', 0],
    ['the next hop is the broadcast address', [r('192.168.50.0/24', '172.20.0.255')], 'invalid-nexthop', 0],
    ["the next hop is the router's own address there", [r('192.168.50.0/24', '172.20.0.10')], 'invalid-nexthop', 0],
    ["the next hop is the project's gateway", [r('192.168.50.0/24', '10.10.0.1')], 'invalid-nexthop', 0],
    ['one destination, two next hops', [r('192.168.50.0/24', '172.20.0.1'), r('192.168.50.0/24', '172.20.0.2')], 'conflicting-route', 1],
    ['the index is of the route at fault', [r('192.168.50.0/24', '172.20.0.1'), r('127.0.0.0/8', '172.20.0.1')], 'reserved-range', 1],
    ['over the quota', [r('192.168.50.0/24', '172.20.0.1'), r('192.168.51.0/24', '172.20.0.1'), r('192.168.52.0/24', '172.20.0.1')], 'route-quota', undefined, { ...base, maxRoutes: 2 }],
  ];
  it.each(refusals)('refuses %s', (_, routes, reason, index, world = base) => {
    const result = validateRoutes(snapshot(world), 't.a', routes);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.reason).toBe(reason);
      expect(result.error.index).toBe(index);
      expect(result.error.message.length).toBeGreaterThan(10);
    }
  });

  it('refuses a project without a CIDR, and an unknown one', () => {
    expect(validateRoutes(snapshot(base), 't.new', [])).toMatchObject({ ok: false, error: { reason: 'project-not-ready' } });
    expect(validateRoutes(snapshot(base), 't.zz', [])).toMatchObject({ ok: false, error: { reason: 'unknown-project' } });
  });

  it("accepts routes via the private network's gateway and via a host of its own network; exact duplicates merge", () => {
    const routes = [r('192.168.50.0/24', '172.20.0.1'), r('192.168.60.0/24', '10.10.0.7'), r('192.168.50.0/24', '172.20.0.1')];
    expect(validateRoutes(snapshot(base), 't.a', routes)).toEqual({ ok: true, value: routes.slice(0, 2) });
  });

  it('counts the quota after duplicates merge (Neutron merges them)', () => {
    const routes = [r('192.168.50.0/24', '172.20.0.1'), r('192.168.50.0/24', '172.20.0.1')];
    expect(validateRoutes(snapshot({ ...base, maxRoutes: 1 }), 't.a', routes).ok).toBe(true);
  });

  it('adds as a union and removes what is listed, a missing route being no error', () => {
    const current = [r('192.168.50.0/24', '172.20.0.1')];
    expect(addRoutes(current, [r('192.168.60.0/24', '172.20.0.1')])).toEqual([...current, r('192.168.60.0/24', '172.20.0.1')]);
    expect(removeRoutes(current, [r('192.168.99.0/24', '172.20.0.1'), r('192.168.50.0/24', '172.20.0.1')])).toEqual([]);
    expect(removeRoutes(current, [r('192.168.50.0/24', '172.20.0.9')])).toEqual(current);
  });
});

describe('validatePeering', () => {
  const refusals: Array<[string, World, string, string, RouterErrorReason, string?]> = [
    ['a project with itself', base, 't.a', 't.a', 'self-peering'],
    ['an unknown accepter', base, 't.a', 'u.x', 'unknown-project'],
    ['a pair already peered', base, 't.a', 't.b', 'duplicate-peering'],
    ['a pair already peered the other way', base, 't.b', 't.a', 'duplicate-peering'],
    ['a pair with a pending request', { ...base, peerings: [['t.c', 't.a', 'PendingAcceptance']] }, 't.a', 't.c', 'duplicate-peering'],
    ['a project not provisioned', base, 't.a', 't.new', 'project-not-ready'],
    ['overlapping CIDRs', { ...base, projects: { ...base.projects, 't.d': { cidr: '10.10.0.0/16' } } }, 't.c', 't.d', 'overlaps-peer'],
    ["the accepter overlapping the requester's other peer", { ...base, projects: { ...base.projects, 't.d': { cidr: '10.10.1.128/25' } } }, 't.a', 't.d', 'overlaps-peer'],
    ["the requester overlapping the accepter's other peer", { ...base, projects: { ...base.projects, 't.d': { cidr: '10.10.1.128/25' } } }, 't.d', 't.a', 'overlaps-peer'],
    ["the accepter overlapping the requester's static route", { ...base, projects: { ...base.projects, 't.a': { ...base.projects!['t.a'], routes: [r('10.10.2.0/23', '172.20.0.1')] } } }, 't.a', 't.c', 'overlaps-peer'],
    ["the accepter overlapping the requester's private network", { ...base, projects: { ...base.projects, 't.d': { cidr: '172.20.0.0/24' } } }, 't.a', 't.d', 'overlaps-peer'],
    ['IPv6 projects', { ...base, projects: { ...base.projects, 't.d': { cidr: 'fd00:1::/64' } } }, 't.c', 't.d', 'ipv6-unsupported'],
    ['over the peering quota', { ...base, maxPeerings: 1 }, 't.a', 't.c', 'peering-quota'],
    ['a link address that is no host of a /30', base, 't.b', 't.c', 'invalid-link-address', '169.254.0.0/30'],
    ['a link address on a /29', base, 't.b', 't.c', 'invalid-link-address', '169.254.0.1/29'],
    ['a link inside a project CIDR', base, 't.b', 't.c', 'invalid-link-address', '10.10.0.5/30'],
    ['a link inside the link pool', base, 't.b', 't.c', 'invalid-link-address', '198.19.200.1/30'],
    ['a link on an existing link', { ...base, peerings: [['t.a', 't.b', 'Active', '169.254.7.0/30']] }, 't.b', 't.c', 'invalid-link-address', '169.254.7.1/31'],
    ['a link in the pod network', base, 't.b', 't.c', 'invalid-link-address', '10.244.0.1/30'],
    ['an IPv6 link', base, 't.b', 't.c', 'invalid-link-address', 'fd00::1/127'],
  ];
  it.each(refusals)('refuses %s', (_, world, requester, accepter, reason, localConnectIP) => {
    const result = validatePeering(snapshot(world), { requester, accepter, ...(localConnectIP ? { localConnectIP } : {}) });
    expect(result).toMatchObject({ ok: false, error: { reason } });
  });

  it('accepts hub and spoke: B peered with A and C, their CIDRs apart', () => {
    expect(validatePeering(snapshot(base), { requester: 't.b', accepter: 't.c' })).toEqual({ ok: true, value: { requesterCidr: '10.10.1.0/24', accepterCidr: '10.10.2.0/24' } });
  });

  it('accepts a link-local localConnectIP (Kube-OVN style) and a /31', () => {
    expect(validatePeering(snapshot(base), { requester: 't.b', accepter: 't.c', localConnectIP: '169.254.0.1/30' }).ok).toBe(true);
    expect(validatePeering(snapshot(base), { requester: 't.b', accepter: 't.c', localConnectIP: '169.254.0.4/31' }).ok).toBe(true);
  });

  it("re-checks a pending peering on acceptance without counting it as its own duplicate", () => {
    const world = snapshot({ ...base, peerings: [['t.b', 't.c', 'PendingAcceptance']] });
    expect(validatePeering(world, { requester: 't.b', accepter: 't.c', id: 'pr-0' }).ok).toBe(true);
  });

  it('derives both sides of a link: /30 hosts, /31 ends, a given requester address', () => {
    expect(linkSides('198.19.0.0/30')).toEqual({ requester: '198.19.0.1/30', accepter: '198.19.0.2/30' });
    expect(linkSides('198.19.0.4/31')).toEqual({ requester: '198.19.0.4/31', accepter: '198.19.0.5/31' });
    expect(linkSides('169.254.0.0/30', '169.254.0.2')).toEqual({ requester: '169.254.0.2/30', accepter: '169.254.0.1/30' });
    expect(linkSides('169.254.0.0/30', '169.254.0.3')).toBeUndefined();
    expect(linkSides('198.19.0.0/29')).toBeUndefined();
  });
});

describe('compile', () => {
  const world = snapshot({
    ...base,
    projects: { ...base.projects, 't.a': { ...base.projects!['t.a'], routes: [r('192.168.50.0/24', '172.20.0.1'), r('192.168.60.0/24', '10.10.0.7')] } },
    peerings: [['t.a', 't.b'], ['t.b', 't.c'], ['t.a', 't.c', 'PendingAcceptance']],
  });
  const plan = compile(world);
  const of = (key: string) => plan.projects.find((p) => p.key === key)!;

  it('plans links and derived routes for programmed peerings only, and skips projects without a CIDR', () => {
    expect(plan.projects.map((p) => p.key)).toEqual(['t.a', 't.b', 't.c']);
    expect(of('t.a').links).toEqual([{ peering: 'pr-0', peer: 't.b', peerCidr: '10.10.1.0/24', local: '198.19.0.1/30', remote: '198.19.0.2' }]);
    expect(of('t.b').links.map((l) => [l.peer, l.local, l.remote])).toEqual([['t.a', '198.19.0.2/30', '198.19.0.1'], ['t.c', '198.19.0.5/30', '198.19.0.6']]);
    expect(of('t.a').routes).toEqual([
      { destination: '10.10.1.0/24', via: '198.19.0.2', device: { kind: 'link', peering: 'pr-0' }, origin: 'peer' },
      { destination: '192.168.50.0/24', via: '172.20.0.1', device: { kind: 'network', network: 'vrack' }, origin: 'static' },
      { destination: '192.168.60.0/24', via: '10.10.0.7', device: { kind: 'lan' }, origin: 'static' },
    ]);
  });

  it('lets a peer in only from its CIDR to our own: no transit either way', () => {
    expect(of('t.b').forward).toEqual([
      { from: { kind: 'lan' }, sources: ['10.10.1.0/24'], destinations: ['10.10.0.0/24', '10.10.2.0/24'] },
      { from: { kind: 'link', peering: 'pr-0' }, sources: ['10.10.0.0/24'], destinations: ['10.10.1.0/24'] },
      { from: { kind: 'link', peering: 'pr-1' }, sources: ['10.10.2.0/24'], destinations: ['10.10.1.0/24'] },
    ]);
  });

  it('writes the Kube-OVN Vpc fields of both sides: mirror-image peerings, policyDst routes, never an empty localConnectIP', () => {
    const byKey = new Map(plan.projects.map((p) => [p.key, p] as const));
    const vpc = (p: ProjectPlan) => kubeOvnVpc(p, (t, n) => `${t}-${n}`, byKey);
    expect(vpc(of('t.a'))).toEqual({
      vpcPeerings: [{ remoteVpc: 't-b', localConnectIP: '198.19.0.1/30' }],
      staticRoutes: [
        { policy: 'policyDst', cidr: '10.10.1.0/24', nextHopIP: '198.19.0.2' },
        { policy: 'policyDst', cidr: '192.168.50.0/24', nextHopIP: '172.20.0.1' },
        { policy: 'policyDst', cidr: '192.168.60.0/24', nextHopIP: '10.10.0.7' },
      ],
    });
    expect(vpc(of('t.b')).vpcPeerings).toEqual([
      { remoteVpc: 't-a', localConnectIP: '198.19.0.2/30' },
      { remoteVpc: 't-c', localConnectIP: '198.19.0.5/30' },
    ]);
  });

  it('delivers A to its peer B and B to C, never A to C, even with a route to C forced into A by hand', () => {
    expect(deliver(plan, 't.a', '10.10.0.5', '10.10.1.9')).toEqual({ to: 'project', key: 't.b' });
    expect(deliver(plan, 't.b', '10.10.1.9', '10.10.2.9')).toEqual({ to: 'project', key: 't.c' });
    expect(deliver(plan, 't.a', '10.10.0.5', '10.10.2.9')).toMatchObject({ to: 'dropped', at: 't.a' });
    const forced = [{ at: 't.a', destination: '10.10.2.0/24', via: '198.19.0.2', device: { kind: 'link' as const, peering: 'pr-0' } }];
    // A's own rule would stop it first; with that guard also forced open, B's rule still drops the transit.
    const open = { ...plan, projects: plan.projects.map((p) => (p.key === 't.a' ? { ...p, forward: [{ ...p.forward[0]!, destinations: ['10.10.2.0/24', ...p.forward[0]!.destinations] }, ...p.forward.slice(1)] } : p)) };
    expect(deliver(open, 't.a', '10.10.0.5', '10.10.2.9', forced)).toMatchObject({ to: 'dropped', at: 't.b' });
    expect(deliver(plan, 't.a', '10.10.0.5', '192.168.50.3')).toEqual({ to: 'next-hop', at: 't.a', device: { kind: 'network', network: 'vrack' }, via: '172.20.0.1' });
    expect(deliver(plan, 't.b', '10.10.1.5', '192.168.50.3')).toMatchObject({ to: 'dropped', at: 't.b' });
  });
});
