// Live updates: a refresh every ~2 s while the page is visible (none in a background tab), at
// once when it becomes visible again; never two refreshes at a time. With ETags an unchanged
// list costs a 304 and no re-render.

export const POLL_MS = 2_000;

export class Poller {
  private timer: number | undefined;
  private running = false;
  /** A tick asked for while one ran (after a write): run again when it ends. */
  private again = false;
  private stopped = false;
  private readonly onVisibility = () => {
    if (document.visibilityState === 'visible') void this.tick();
  };

  constructor(
    private readonly refresh: () => Promise<void>,
    private readonly onError: (e: unknown) => void,
    private readonly everyMs = POLL_MS,
  ) {
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  /** Refreshes now (and keeps polling): after a write, or when the view opens. */
  async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    window.clearTimeout(this.timer);
    this.running = true;
    try {
      await this.refresh();
    } catch (e) {
      this.onError(e);
    } finally {
      this.running = false;
      const delay = this.again ? 0 : this.everyMs;
      this.again = false;
      if (!this.stopped && document.visibilityState === 'visible') this.timer = window.setTimeout(() => void this.tick(), delay);
    }
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    document.removeEventListener('visibilitychange', this.onVisibility);
  }
}
