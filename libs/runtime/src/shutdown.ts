import type { Logger } from 'pino';

export type Stopper = () => Promise<void> | void;

export interface ShutdownOptions {
  logger: Logger;
  /** After this long the process exits even if a stopper hangs. */
  timeoutMs?: number;
  signals?: NodeJS.Signals[];
  exit?: (code: number) => void;
}

/**
 * Runs the registered stoppers in reverse order (last started, first stopped) on SIGTERM/SIGINT,
 * then exits. A second signal during shutdown exits at once.
 */
export class Shutdown {
  private readonly stoppers: Array<{ name: string; stop: Stopper }> = [];
  private running: Promise<void> | undefined;

  constructor(private readonly opts: ShutdownOptions) {
    for (const signal of opts.signals ?? ['SIGTERM', 'SIGINT']) {
      process.on(signal, () => {
        if (this.running) {
          opts.logger.warn({ signal }, 'second signal during shutdown: exiting now');
          this.exit(1);
          return;
        }
        opts.logger.info({ signal }, 'shutting down');
        void this.run().then(() => this.exit(0));
      });
    }
  }

  add(name: string, stop: Stopper): void {
    this.stoppers.push({ name, stop });
  }

  /** Stops everything once; later calls wait for the same shutdown. */
  run(): Promise<void> {
    this.running ??= this.stopAll();
    return this.running;
  }

  private async stopAll(): Promise<void> {
    const timeout = setTimeout(() => {
      this.opts.logger.error({ timeoutMs: this.opts.timeoutMs ?? 10_000 }, 'shutdown timed out');
      this.exit(1);
    }, this.opts.timeoutMs ?? 10_000);
    timeout.unref();
    for (const { name, stop } of [...this.stoppers].reverse()) {
      try {
        await stop();
      } catch (e) {
        this.opts.logger.error({ err: e, component: name }, 'error while stopping');
      }
    }
    clearTimeout(timeout);
  }

  private exit(code: number): void {
    (this.opts.exit ?? process.exit)(code);
  }
}
