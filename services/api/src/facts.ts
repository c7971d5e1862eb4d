import type { EventPublisher } from '@netbroker/bus';
import type { Logger } from '@netbroker/runtime';

/**
 * Facts on the EVENTS stream, each with a message id so a repeat is stored once. The KV record
 * written before is the truth and controllers follow it; a fact that cannot be published is
 * logged as lost, and the request that caused it still succeeds.
 */
export class Facts {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
  ) {}

  async publish(subject: string, payload: unknown, msgId: string): Promise<void> {
    try {
      await this.publisher.publish(subject, payload, msgId);
    } catch (e) {
      this.logger.error({ err: e, subject, msgId }, 'fact not published');
    }
  }
}
