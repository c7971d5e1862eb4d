import type { Logger } from '@netbroker/runtime';
import { createMetricsRegistry, Shutdown, startOpsServer, type OpsServer, type ReadinessCheck } from '@netbroker/runtime';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { systemClock, type Clock } from './clock';
import { Controller, type ControllerMetrics, type ControllerOptions } from './controller';
import { SharedInformers } from './informers';
import type { Source } from './kv-source';
import type { LeaseHolder } from './lease';

export interface ManagerOptions {
  service: string;
  logger: Logger;
  ops: { host?: string; port: number };
  clock?: Clock;
  /** Registers SIGTERM/SIGINT handling (default true; tests building several managers in one process turn it off). */
  signals?: boolean;
}

function controllerMetrics(registry: Registry, depth: () => Array<[string, number]>): ControllerMetrics {
  const reconciles = new Counter({ name: 'netbroker_controller_reconciles_total', help: 'Reconciles that ended, by controller and outcome (ok, requeue, error)', labelNames: ['controller', 'outcome'], registers: [registry] });
  const seconds = new Histogram({
    name: 'netbroker_controller_reconcile_seconds',
    help: 'Time one reconcile took',
    labelNames: ['controller'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const writes = new Counter({ name: 'netbroker_controller_writes_total', help: 'Writes to an API server or bucket, by controller and kind', labelNames: ['controller', 'kind'], registers: [registry] });
  new Gauge({
    name: 'netbroker_controller_queue_depth',
    help: 'Keys queued and not yet running',
    labelNames: ['controller'],
    registers: [registry],
    collect() {
      for (const [controller, n] of depth()) this.set({ controller }, n);
    },
  });
  return {
    done: (controller, outcome, ms) => {
      reconciles.inc({ controller, outcome });
      seconds.observe({ controller }, ms / 1000);
    },
    write: (controller, kind) => writes.inc({ controller, kind }),
  };
}

/**
 * The runtime of one service process: its sources (informers, bucket followers), its
 * controllers, their leases, the ops server (/healthz, /readyz from every source's sync state and
 * the checks added, /metrics with per-controller figures) and an orderly shutdown: ops server,
 * what `onDrain` added, controllers (running reconciles finish), leases released, sources, then
 * what `onStop` added.
 */
export class Manager {
  readonly registry: Registry;
  readonly informers: SharedInformers;
  readonly clock: Clock;
  readonly logger: Logger;
  private readonly sources: Source[] = [];
  private readonly controllers: Controller[] = [];
  private readonly leaseHolders: LeaseHolder[] = [];
  private readonly checks: Record<string, ReadinessCheck> = {};
  private readonly stoppers: Array<{ name: string; stop: () => unknown }> = [];
  private readonly drainers: Array<{ name: string; stop: () => unknown }> = [];
  /** Per-controller figures, for queues a service runs itself (e.g. one per virtual cluster). */
  readonly metrics: ControllerMetrics;
  private readonly shutdown: Shutdown;
  private ops: OpsServer | undefined;
  private controllersStarted = false;

  constructor(private readonly opts: ManagerOptions) {
    this.logger = opts.logger;
    this.clock = opts.clock ?? systemClock;
    this.registry = createMetricsRegistry(opts.service);
    this.informers = new SharedInformers(opts.logger);
    this.metrics = controllerMetrics(this.registry, () => this.controllers.map((c) => [c.name, c.queue.depth]));
    this.shutdown = new Shutdown({ logger: opts.logger, ...(opts.signals === false ? { signals: [] } : {}) });
    this.shutdown.add('manager', () => this.stopAll());
  }

  /** A source the manager starts, stops and waits for (readiness). */
  source<S extends Source>(source: S): S {
    this.sources.push(source);
    return source;
  }

  /** Leases renewed from start to stop (released on stop, after the controllers). */
  leases(holder: LeaseHolder): LeaseHolder {
    this.leaseHolders.push(holder);
    return holder;
  }

  controller(opts: ControllerOptions): Controller {
    const controller = new Controller(opts, { logger: this.logger, clock: this.clock, metrics: this.metrics });
    this.controllers.push(controller);
    if (this.controllersStarted) controller.start();
    return controller;
  }

  /** A readiness check besides the sources' sync state (e.g. the NATS connection). */
  check(name: string, check: ReadinessCheck): void {
    this.checks[name] = check;
  }

  /**
   * Stopped first, right after the ops server and before the controllers and sources, all at
   * once: what serves requests from the sources (an HTTP server finishing its requests).
   */
  onDrain(name: string, stop: () => unknown): void {
    this.drainers.push({ name, stop });
  }

  /** Stopped after everything the manager runs, last added first (e.g. draining NATS). */
  onStop(name: string, stop: () => unknown): void {
    this.stoppers.push({ name, stop });
  }

  /** Every source has filled its cache and still runs. */
  get synced(): boolean {
    return this.sources.every((s) => s.synced && s.running);
  }

  /**
   * Starts the sources, the leases and the ops server; the controllers start working once every
   * source is synced (their keys wait until then). Resolves once the ops server listens.
   */
  async start(): Promise<void> {
    for (const s of this.sources) await s.start();
    for (const l of this.leaseHolders) await l.start();
    const sourceChecks = Object.fromEntries(this.sources.map((s) => [s.name, () => s.synced && s.running]));
    this.ops = await startOpsServer({ host: this.opts.ops.host, port: this.opts.ops.port, registry: this.registry, readiness: { ...this.checks, ...sourceChecks } });
    void Promise.all(this.sources.map((s) => s.waitForSync())).then(
      () => {
        this.controllersStarted = true;
        this.controllers.forEach((c) => c.start());
      },
      (err: unknown) => this.logger.error({ err }, 'a source ended before it was synced; controllers not started'),
    );
  }

  get opsUrl(): string | undefined {
    return this.ops?.url;
  }

  /** Waits until every source is synced and the controllers have started. */
  async waitForSync(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.waitForSync()));
  }

  stop(): Promise<void> {
    return this.shutdown.run();
  }

  private async stopAll(): Promise<void> {
    const step = async (name: string, stop: () => unknown) => {
      try {
        await stop();
      } catch (err) {
        this.logger.error({ err, component: name }, 'error while stopping');
      }
    };
    await step('ops', () => this.ops?.close());
    await Promise.all(this.drainers.map(({ name, stop }) => step(name, stop)));
    await Promise.all(this.controllers.map((c) => step(`controller ${c.name}`, () => c.stop())));
    await Promise.all(this.leaseHolders.map((l) => step('leases', () => l.stop())));
    await Promise.all(this.sources.map((s) => step(s.name, () => s.stop())));
    for (const { name, stop } of [...this.stoppers].reverse()) await step(name, stop);
  }
}
