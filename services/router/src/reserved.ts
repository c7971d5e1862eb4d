import type { PoolRecord } from '@netbroker/contracts';
import { formatCidr, intervalToCidrs, parseAddress, presets } from '@netbroker/ipam';
import type { ReservedRange } from '@netbroker/translate';

// The install's reserved ranges, from the config and the ipam's pools: no static route may point
// into them, no given link may use them. Pure.

export interface ReservedConfig {
  hostPodCidrs: readonly string[];
  hostServiceCidrs: readonly string[];
  reservedCidrs: readonly string[];
  linkPool: string;
}

const isIpv4Cidr = (cidr: string) => /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr);

/** An address pool's unaligned range as CIDRs (IPv4 only; anything unreadable is skipped). */
function rangeCidrs(start: string, end: string): string[] {
  const from = parseAddress(start);
  const to = parseAddress(end);
  if (!from.ok || !to.ok || from.value.family !== 'ipv4' || to.value.family !== 'ipv4' || to.value.value < from.value.value) return [];
  return intervalToCidrs({ family: 'ipv4', start: from.value.value, end: to.value.value }).map(formatCidr);
}

/**
 * Host pod and Service CIDRs, the operator's extra ranges, every address pool (EIPs), the link
 * pool, and the presets any pool names. Project prefix pools are not reserved: peers live there.
 */
export function reservedRanges(config: ReservedConfig, pools: Iterable<PoolRecord>): ReservedRange[] {
  const out: ReservedRange[] = [
    ...config.hostPodCidrs.map((cidr) => ({ name: 'host pod CIDR', cidr })),
    ...config.hostServiceCidrs.map((cidr) => ({ name: 'host Service CIDR', cidr })),
    ...config.reservedCidrs.map((cidr) => ({ name: 'reserved by the operator', cidr })),
  ];
  const presetNames = new Set<string>();
  for (const pool of pools) {
    pool.presets.forEach((p) => presetNames.add(p));
    if (pool.kind !== 'address' && pool.name !== config.linkPool) continue;
    const name = pool.name === config.linkPool ? `link pool ${pool.name}` : `EIP pool ${pool.name}`;
    for (const cidr of pool.prefixes) out.push({ name, cidr });
    for (const r of pool.ranges) for (const cidr of rangeCidrs(r.start, r.end)) out.push({ name, cidr });
  }
  for (const preset of [...presetNames].sort()) for (const cidr of presets[preset as keyof typeof presets]) out.push({ name: `preset ${preset}`, cidr });
  return out.filter((r) => isIpv4Cidr(r.cidr));
}
