import { Counter, Gauge, type Registry } from 'prom-client';
import { writeCounter, type CountWrite } from './writes';

/** The syncer's own figures (besides the runtime's per-controller ones): writes by kind, reconciles, and its registrations. */
export function syncerMetrics(registry: Registry) {
  const reconciles = new Counter({ name: 'netbroker_syncer_reconciles_total', help: 'Object reconciles completed (every kind, every virtual cluster)', registers: [registry] });
  const countWrite: CountWrite = writeCounter(registry);
  return {
    countWrite,
    reconciled: () => reconciles.inc(),
    gauges(read: { synced: () => boolean; vclusters: () => number; leases: () => number }) {
      new Gauge({
        name: 'netbroker_syncer_synced',
        help: '1 once every registration is read and every sync loop of this replica has filled its caches and made a first pass',
        registers: [registry],
        collect() {
          this.set(read.synced() ? 1 : 0);
        },
      });
      new Gauge({ name: 'netbroker_syncer_vclusters', help: 'Virtual clusters being synced by this replica', registers: [registry], collect() { this.set(read.vclusters()); } });
      new Gauge({ name: 'netbroker_syncer_leases', help: 'Registration leases this replica holds', registers: [registry], collect() { this.set(read.leases()); } });
    },
  };
}
