import { Counter, type Registry } from 'prom-client';

/** Every write the exposer makes to an API server: a resync of exposures in place must add none. */
export type WriteKind = 'host-apply' | 'host-delete' | 'virtual-apply' | 'virtual-delete';
export type CountWrite = (kind: WriteKind) => void;

export function writeCounter(registry: Registry): CountWrite {
  const counter = new Counter({ name: 'netbroker_exposer_writes_total', help: 'Writes made to the host or a virtual API server', labelNames: ['kind'], registers: [registry] });
  return (kind) => counter.inc({ kind });
}
