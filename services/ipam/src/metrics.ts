import { Gauge, type Registry } from 'prom-client';
import type { PoolStatus } from '@netbroker/contracts';
import type { Ipam } from './ipam';

/** Per-pool figures read from the replica's view at scrape time: replicas that agree report the same. */
export function registerIpamMetrics(registry: Registry, ipam: Ipam): void {
  const poolGauge = (name: string, help: string, value: (p: PoolStatus) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool'],
      registers: [registry],
      collect() {
        this.reset();
        for (const p of ipam.listPools()) this.set({ pool: p.pool.name }, value(p));
      },
    });
  poolGauge('netbroker_ipam_allocations', 'Live allocations per pool in this replica’s view', (p) => p.utilisation.allocations);
  poolGauge('netbroker_ipam_free_addresses', 'Free addresses per pool', (p) => Number(p.utilisation.free));
  poolGauge('netbroker_ipam_free_fragments', 'Free blocks per pool (fragmentation)', (p) => p.utilisation.freeFragments);
}
