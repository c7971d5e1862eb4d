import { Counter, Gauge, type Registry } from 'prom-client';
import type { PoolStatus } from '@netbroker/contracts';
import type { ForwardOutcome } from './forward';
import type { Ipam } from './ipam';

/**
 * Per-pool figures read from the replica's view at scrape time (replicas that agree report the
 * same), the pools this replica holds, the allocations it wrote, and a counter of allocate
 * requests it forwarded to another replica's pool, by outcome; answers the counting function.
 */
export function registerIpamMetrics(registry: Registry, ipam: Ipam, held: () => string[]): (outcome: ForwardOutcome) => void {
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
  new Gauge({
    name: 'netbroker_ipam_pool_held',
    help: 'Pools whose lease this replica holds (1 each): it alone allocates in them',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      this.reset();
      for (const pool of held()) this.set({ pool }, 1);
    },
  });
  new Counter({
    name: 'netbroker_ipam_written_total',
    help: 'Allocations this replica wrote and had accepted, by pool: the holder’s work',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [pool, n] of ipam.written) this.inc({ pool }, n);
    },
  });
  const forwarded = new Counter({
    name: 'netbroker_ipam_forwarded_total',
    help: 'Allocate requests handed to the holder of their pool on another replica, by outcome (answered, unavailable: no holder within the bound, unknown-pool)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return (outcome) => forwarded.inc({ outcome });
}
