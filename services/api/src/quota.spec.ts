import type { Allocation, ProjectRecord } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { addressesOf, blockSize, usageByPool } from './quota';

const allocation = (pool: string, cidr: string, project: string, purpose: string): Allocation => ({
  v: 1,
  pool,
  cidr,
  owner: { tenant: 'acme', project, purpose },
  requestId: `${project}-${purpose}`,
  allocatedAt: '2025-01-01T00:00:00Z',
});
const project = (name: string, spec: Partial<ProjectRecord['spec']> = {}): ProjectRecord => ({
  v: 1,
  tenant: 'acme',
  name,
  uid: name,
  generation: 1,
  createdAt: '2025-01-01T00:00:00Z',
  spec: { egressNetworkType: 'cloud', ...spec },
});

describe('address counting', () => {
  it('counts the addresses of IPv4 and IPv6 blocks', () => {
    expect(addressesOf('10.0.0.0/24')).toBe(256n);
    expect(addressesOf('203.0.113.7/32')).toBe(1n);
    expect(addressesOf('fd00::/64')).toBe(1n << 64n);
    expect(blockSize('ipv4', 16)).toBe(65_536n);
  });
});

describe('usageByPool', () => {
  const common = { projectPool: 'projects', egressPool: (t: string) => `egress-${t}`, family: 'ipv4' as const, defaultBlock: 256n };

  it('counts allocations, and the blocks and egress addresses of projects not allocated yet', () => {
    const usage = usageByPool({
      ...common,
      allocations: [allocation('projects', '10.0.0.0/24', 'web', 'cidr'), allocation('egress-cloud', '198.51.100.1/32', 'web', 'egress')],
      projects: [project('web'), project('db', { prefixLength: 26 }), project('api', { cidr: '10.1.0.0/23', egressNetworkType: 'public' }), project('x')],
    });
    expect(usage.get('projects')).toBe(256n + 64n + 512n + 256n);
    expect(usage.get('egress-cloud')).toBe(1n + 1n + 1n);
    expect(usage.get('egress-public')).toBe(1n);
  });

  it('does not count an allocated project twice', () => {
    const usage = usageByPool({ ...common, allocations: [allocation('projects', '10.0.0.0/22', 'web', 'cidr')], projects: [project('web', { prefixLength: 24 })] });
    expect(usage.get('projects')).toBe(1024n);
  });
});
