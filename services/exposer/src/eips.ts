import type { Allocation, ExposureRecord, IpamError } from '@netbroker/contracts';
import { isIpamRefused, type IpamClient } from '@netbroker/bus';

/** The ipam owner purpose of exposure EIPs. */
export const EIP_PURPOSE = 'exposure';

/** Exposures of a project with one `eipKey` share an EIP: one request id per key. */
export const eipRequestId = (e: Pick<ExposureRecord, 'projectUid' | 'eipKey'>) => `${e.projectUid}:eip:${e.eipKey}`;

/**
 * EIPs of exposures, through the ipam client (idempotent per request id). A refused allocation is
 * an outcome; every other failure (ipam not answering, a refused lookup or release) is thrown, and
 * the reconcile is retried.
 */
export class Eips {
  constructor(
    private readonly ipam: IpamClient,
    private readonly pools: Record<ExposureRecord['pool'], string>,
  ) {}

  async allocate(e: ExposureRecord): Promise<{ ok: true; address: string } | { ok: false; error: IpamError }> {
    const pool = this.pools[e.pool];
    try {
      const allocation = await this.ipam.allocate({ requestId: eipRequestId(e), pool, owner: { tenant: e.tenant, project: e.project, purpose: EIP_PURPOSE } });
      return { ok: true, address: allocation.cidr.split('/')[0]! };
    } catch (err) {
      if (isIpamRefused(err)) return { ok: false, error: { reason: err.reason, message: err.detail } };
      throw err;
    }
  }

  /** Every exposure EIP the project holds. */
  held(tenant: string, project: string): Promise<Allocation[]> {
    return this.ipam.lookup({ owner: { tenant, project, purpose: EIP_PURPOSE } });
  }

  async release(allocation: Pick<Allocation, 'pool' | 'cidr'>): Promise<void> {
    await this.ipam.release({ pool: allocation.pool, cidr: allocation.cidr });
  }
}
