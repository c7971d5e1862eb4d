import type { VClusterStatus } from '@netbroker/contracts';
import type { JsonKv } from '@netbroker/bus';

/** Writes a registration's status only when it changed (the holder is its only writer). */
export class StatusWriter {
  private readonly last = new Map<string, string>();

  constructor(
    private readonly statuses: JsonKv<typeof VClusterStatus>,
    private readonly holder: string,
  ) {}

  async write(key: string, status: Omit<VClusterStatus, 'v' | 'holder'>): Promise<void> {
    const value: VClusterStatus = { v: 1, holder: this.holder, ...status };
    const text = JSON.stringify(value);
    if (this.last.get(key) === text) return;
    await this.statuses.put(key, value);
    this.last.set(key, text);
  }

  /** Another replica writes it from now on: the next write of ours is not skipped. */
  forget(key: string): void {
    this.last.delete(key);
  }

  async delete(key: string): Promise<void> {
    this.last.delete(key);
    await this.statuses.delete(key);
  }
}
