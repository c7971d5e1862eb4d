import { describe, expect, it } from 'vitest';
import { givenLink, validateAttachment, validateDetach, validatePrivateNetwork } from './validate';
import { snapshot } from './world';

const vrack = { name: 'vrack', cidr: '192.168.50.0/29', gateway: '192.168.50.1', tenants: ['t'] };
const base = {
  projects: { 't.a': { cidr: '10.1.0.0/24' }, 't.b': { cidr: '10.2.0.0/24', attachments: [{ network: 'vrack', address: '192.168.50.2' }] }, 'u.c': { cidr: '10.3.0.0/24' } },
  networks: [vrack],
};
const reason = (r: { ok: boolean; error?: { reason: string } }) => (r.ok ? 'ok' : r.error!.reason);

describe('validateAttachment', () => {
  it.each([
    ['the first free host (gateway and .2 taken)', 't.a', 'vrack', 't', undefined, { ok: true, value: { network: 'vrack', address: '192.168.50.3' } }],
    ['a given free host', 't.a', 'vrack', 't', '192.168.50.6', { ok: true, value: { network: 'vrack', address: '192.168.50.6' } }],
  ])('%s', (_what, key, network, tenant, address, want) => {
    expect(validateAttachment(snapshot(base), key, network, tenant, address)).toEqual(want);
  });

  it.each([
    ['another tenant', 'u.c', 'vrack', 'u', undefined, 'private-network-not-allowed'],
    ['an unknown network', 't.a', 'nope', 't', undefined, 'unknown-private-network'],
    ['the gateway', 't.a', 'vrack', 't', '192.168.50.1', 'invalid-attachment-address'],
    ["another router's address", 't.a', 'vrack', 't', '192.168.50.2', 'invalid-attachment-address'],
    ['the broadcast address', 't.a', 'vrack', 't', '192.168.50.7', 'invalid-attachment-address'],
    ['outside the network', 't.a', 'vrack', 't', '192.168.51.2', 'invalid-attachment-address'],
  ])('refuses %s', (_what, key, network, tenant, address, want) => {
    expect(reason(validateAttachment(snapshot(base), key, network, tenant, address))).toBe(want);
  });

  it('refuses a network when no host is left', () => {
    const full = { ...base, networks: [{ ...vrack, cidr: '192.168.50.0/30' }] };
    expect(reason(validateAttachment(snapshot(full), 't.a', 'vrack', 't'))).toBe('private-network-full');
  });

  it('refuses a network overlapping a peer', () => {
    const w = { projects: { 't.a': { cidr: '10.1.0.0/24' }, 't.p': { cidr: '192.168.50.0/28' } }, networks: [vrack], peerings: [['t.a', 't.p'] as [string, string]] };
    expect(reason(validateAttachment(snapshot(w), 't.a', 'vrack', 't'))).toBe('overlaps-peer');
  });
});

describe('validateDetach', () => {
  it('refuses while a route goes through the network, allows it after', () => {
    const w = { ...base, projects: { ...base.projects, 't.b': { ...base.projects['t.b'], routes: [{ destination: '172.20.0.0/16', nexthop: '192.168.50.1' }] } } };
    expect(reason(validateDetach(snapshot(w), 't.b', 'vrack'))).toBe('private-network-in-use');
    expect(reason(validateDetach(snapshot(base), 't.b', 'vrack'))).toBe('ok');
  });
});

describe('validatePrivateNetwork', () => {
  it.each([
    ['a valid network', { ...vrack, name: 'other', cidr: '192.168.60.0/24', gateway: '192.168.60.1' }, 'ok'],
    ['a gateway outside it', { ...vrack, name: 'other', cidr: '192.168.60.0/24', gateway: '192.168.61.1' }, 'invalid-private-network'],
    ['overlapping a project', { ...vrack, name: 'other', cidr: '10.1.0.0/16', gateway: '10.1.0.1' }, 'invalid-private-network'],
    ['overlapping another network', { ...vrack, name: 'other', cidr: '192.168.50.0/24', gateway: '192.168.50.254' }, 'invalid-private-network'],
    ['a reserved range', { ...vrack, name: 'other', cidr: '127.1.0.0/16', gateway: '127.1.0.1' }, 'reserved-range'],
    ['IPv6', { ...vrack, name: 'other', cidr: 'fd00::/64', gateway: 'fd00::1' }, 'ipv6-unsupported'],
    ['dropping a tenant with attached projects', { ...vrack, tenants: [] }, 'private-network-in-use'],
    ['shrinking past an attachment', { ...vrack, cidr: '192.168.50.0/31', gateway: '192.168.50.0' }, 'private-network-in-use'],
  ])('%s: %s', (_what, spec, want) => {
    expect(reason(validatePrivateNetwork(snapshot(base), spec))).toBe(want);
  });
});

describe('givenLink', () => {
  it.each([
    ['169.254.0.1/30', { cidr: '169.254.0.0/30', requester: '169.254.0.1/30', accepter: '169.254.0.2/30' }],
    ['169.254.0.3/31', { cidr: '169.254.0.2/31', requester: '169.254.0.3/31', accepter: '169.254.0.2/31' }],
    ['169.254.0.0/30', undefined],
    ['169.254.0.1/29', undefined],
    ['fd00::1/127', undefined],
  ])('%s', (text, want) => expect(givenLink(text)).toEqual(want));
});
