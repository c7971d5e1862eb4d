import type { Facts } from '@netbroker/bus';
import type { VirtualClusterPool } from '@netbroker/controller';
import type { OwnedApplier } from '@netbroker/kube';
import type { LbConfig } from '@netbroker/translate';
import type { ExposerCaches } from '../caches';
import type { Eips } from '../eips';
import type { Exporters } from '../exporters';
import { Cleanup } from './cleanup';
import { Entries } from './entries';
import { ExporterReconciler } from './exporter';
import { ExposureReconciler } from './exposure';
import { StatusWriter } from './status';
import { VirtualEntries } from './virtual-entries';
import type { CountWrite } from './writes';

export type { WriteKind } from './writes';

export interface ExposerParts {
  exporters: Exporters;
  caches: ExposerCaches;
  clusters: VirtualClusterPool;
  /** Writes to the host cluster as netbroker-exposer. */
  host: OwnedApplier;
  eips: Eips;
  events: Facts;
  lb: LbConfig;
  /** Namespace of the entries inside consumers' virtual clusters. */
  entryNamespace: string;
  count: CountWrite;
  now: () => Date;
}

/** The exporter reconciler and the parts it is made of. */
export function exporterReconciler(p: ExposerParts): ExporterReconciler {
  const status = new StatusWriter(p.exporters.buckets.statuses, p.count, p.now);
  const entries = new Entries(p.host, p.caches, p.clusters, new VirtualEntries(p.caches, p.clusters, p.entryNamespace, p.count), p.count);
  const cleanup = new Cleanup({ exporters: p.exporters, caches: p.caches, host: p.host, entries, eips: p.eips, events: p.events, status, count: p.count });
  const exposure = new ExposureReconciler({ exporters: p.exporters, caches: p.caches, host: p.host, eips: p.eips, entries, cleanup, lb: p.lb, count: p.count });
  return new ExporterReconciler({ exporters: p.exporters, caches: p.caches, cleanup, exposure, status });
}
