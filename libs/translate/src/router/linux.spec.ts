import { describe, expect, it } from 'vitest';
import { compile } from './compile';
import { linuxSpecs, nftRuleset, routerNamespaceName, type LinuxNaming } from './linux';
import { snapshot } from './world';

const naming: LinuxNaming = {
  routerNamespace: routerNamespaceName,
  projectSegment: (key) => ({ bridge: `br-${key.split('.')[1]}` }),
  privateNetworkSegment: (n) => ({ netns: 'pn', bridge: `br-${n}` }),
};
const plan = compile(
  snapshot({
    projects: { 't.a': { cidr: '10.10.0.0/24', attachments: [{ network: 'vrack', address: '172.20.0.10' }], routes: [{ destination: '192.168.50.0/24', nexthop: '172.20.0.1' }] }, 't.b': { cidr: '10.10.1.0/24' } },
    networks: [{ name: 'vrack', cidr: '172.20.0.0/24', gateway: '172.20.0.1', tenants: ['t'] }],
    peerings: [['t.b', 't.a']],
  }),
);
const [a, b] = linuxSpecs(plan, naming);

describe('the Linux specs of a plan', () => {
  it('gives each router a lan veth into its project bridge with the gateway address, and attachments into the private network', () => {
    expect(a!.netns).toBe(routerNamespaceName('t.a'));
    expect(a!.veths.map((v) => [v.name, v.address, v.peerNetns, v.bridge])).toEqual([
      ['lan', '10.10.0.1/24', undefined, 'br-a'],
      [expect.stringMatching(/^nbn[0-9a-f]{10}$/), '172.20.0.10/24', 'pn', 'br-vrack'],
      [expect.stringMatching(/^nbl[0-9a-f]{10}$/), '198.19.0.2/30', routerNamespaceName('t.b'), undefined],
    ]);
  });

  it('creates a peering veth once, on the side whose key sorts first, with both addresses', () => {
    const link = a!.veths.find((v) => v.name.startsWith('nbl'))!;
    expect(link.peerAddress).toBe('198.19.0.1/30');
    expect(b!.veths.filter((v) => v.name.startsWith('nbl'))).toEqual([]);
    expect(b!.routes).toEqual([{ destination: '10.10.0.0/24', via: '198.19.0.2', dev: link.name }]);
  });

  it('keeps every device name within IFNAMSIZ (15) and every router namespace name fixed per project', () => {
    for (const spec of [a!, b!]) for (const v of spec.veths) expect([v.name.length, v.peer.length].every((n) => n <= 15)).toBe(true);
    expect(routerNamespaceName('t.a')).toBe(routerNamespaceName('t.a'));
    expect(routerNamespaceName('t.a')).not.toBe(routerNamespaceName('t.b'));
  });

  it('writes one table, replaced whole, dropping what the plan does not allow', () => {
    const ruleset = nftRuleset(plan.projects[0]!);
    expect(ruleset.split('\n').slice(0, 3)).toEqual(['table inet netbroker', 'delete table inet netbroker', 'table inet netbroker {']);
    expect(ruleset).toContain('policy drop;');
    expect(ruleset).toContain('iifname "lan" ip saddr 10.10.0.0/24 ip daddr { 10.10.1.0/24, 172.20.0.0/24, 192.168.50.0/24 } counter accept');
    expect(ruleset).toMatch(/iifname "nbl[0-9a-f]{10}" ip saddr 10\.10\.1\.0\/24 ip daddr 10\.10\.0\.0\/24 counter accept/);
    expect(ruleset).toMatch(/iifname "nbn[0-9a-f]{10}" ip saddr \{ 172\.20\.0\.0\/24, 192\.168\.50\.0\/24 \} ip daddr 10\.10\.0\.0\/24 counter accept/);
    expect(ruleset.trimEnd().split('\n').slice(-3)).toEqual(['    counter drop comment "not in the plan"', '  }', '}']);
  });
});
