import { Counter, type Registry } from 'prom-client';

/** Every write the syncer makes, by side and operation: a restart in sync must add none. */
export type WriteKind = 'host-apply' | 'host-delete' | 'virtual-status' | 'virtual-ports' | 'virtual-recreate' | 'virtual-event';
export type CountWrite = (kind: WriteKind) => void;

export function writeCounter(registry: Registry): CountWrite {
  const counter = new Counter({
    name: 'netbroker_syncer_writes_total',
    help: 'Writes made to the host or a virtual API server',
    labelNames: ['kind'],
    registers: [registry],
  });
  return (kind) => counter.inc({ kind });
}
