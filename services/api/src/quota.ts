import type { Allocation, EgressNetworkType, ProjectRecord } from '@netbroker/contracts';

export type Family = 'ipv4' | 'ipv6';

export const familyOf = (cidr: string): Family => (cidr.includes(':') ? 'ipv6' : 'ipv4');

/** Addresses in a block of `prefixLength` (a /24 counts 256). */
export const blockSize = (family: Family, prefixLength: number): bigint => 1n << BigInt((family === 'ipv4' ? 32 : 128) - prefixLength);

export function addressesOf(cidr: string): bigint {
  const length = Number(cidr.split('/')[1] ?? (familyOf(cidr) === 'ipv4' ? 32 : 128));
  return blockSize(familyOf(cidr), length);
}

export interface UsageInput {
  /** What ipam holds for the tenant (every pool). */
  allocations: Allocation[];
  /** The tenant's projects: those not allocated yet will hold addresses soon. */
  projects: ProjectRecord[];
  projectPool: string;
  egressPool: (type: EgressNetworkType) => string;
  /** The family and default block of the project pool, for projects that asked for neither. */
  family: Family;
  defaultBlock: bigint;
}

/**
 * Addresses a tenant holds or is about to hold, per pool: every allocation, plus for each project
 * the provisioner has not allocated yet its CIDR block and its egress address.
 */
export function usageByPool({ allocations, projects, projectPool, egressPool, family, defaultBlock }: UsageInput): Map<string, bigint> {
  const usage = new Map<string, bigint>();
  const add = (pool: string, n: bigint) => usage.set(pool, (usage.get(pool) ?? 0n) + n);
  for (const a of allocations) add(a.pool, addressesOf(a.cidr));
  const held = (project: string, purpose: string) => allocations.some((a) => a.owner.project === project && a.owner.purpose === purpose);
  for (const p of projects) {
    if (!held(p.name, 'cidr')) {
      const { cidr, prefixLength } = p.spec;
      add(projectPool, cidr !== undefined ? addressesOf(cidr) : prefixLength !== undefined ? blockSize(family, prefixLength) : defaultBlock);
    }
    if (!held(p.name, 'egress')) add(egressPool(p.spec.egressNetworkType), 1n);
  }
  return usage;
}
