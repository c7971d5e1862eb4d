import type { ExposureStatus } from '@netbroker/contracts';
import type { KvSource } from '@netbroker/controller';
import { sameStatus, type ExposureOutcome } from '@netbroker/translate';
import type { CountWrite } from './writes';

/**
 * Bucket `exposure-status` as its source holds it: a status is written only when it says
 * something new, and waited for, so the next reconcile compares with what it wrote.
 */
export class StatusWriter {
  constructor(
    private readonly statuses: KvSource<typeof ExposureStatus>,
    private readonly count: CountWrite,
    private readonly now: () => Date,
  ) {}

  async write(key: string, o: ExposureOutcome): Promise<void> {
    if (sameStatus(this.statuses.get(key), o)) return;
    const { ready, reason, message, eip, address, loadBalancerService, consumers, policyPeers, virtualEntries } = o;
    const status = { v: 1 as const, ready, reason, message, eip, address, loadBalancerService, consumers, policyPeers, virtualEntries, observedAt: this.now().toISOString() };
    const revision = await this.statuses.bucket.put(key, status);
    this.count('status');
    await this.statuses.waitFor(revision);
  }

  async delete(key: string): Promise<void> {
    if (this.statuses.get(key) === undefined) return;
    await this.statuses.bucket.delete(key);
    this.count('status');
  }
}
