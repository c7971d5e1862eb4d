import { AllocateReply, ipamSubjects, LookupReply, ReleaseReply, type Allocation, type ExposureRecord, type IpamError } from '@netbroker/contracts';
import { isRequestFailed, request, type NatsConnection } from '@netbroker/bus';
import { TransientError } from '@netbroker/kube';
import type { z } from 'zod';

/** The ipam owner purpose of exposure EIPs. */
export const EIP_PURPOSE = 'exposure';

/** Exposures of a project with one `eipKey` share an EIP: one request id per key. */
export const eipRequestId = (e: Pick<ExposureRecord, 'projectUid' | 'eipKey'>) => `${e.projectUid}:eip:${e.eipKey}`;

/** EIPs of exposures, through the ipam service (idempotent per request id). */
export class Eips {
  constructor(
    private readonly nc: NatsConnection,
    private readonly pools: Record<ExposureRecord['pool'], string>,
  ) {}

  private async call<S extends z.ZodType>(subject: string, body: unknown, schema: S): Promise<z.infer<S>> {
    try {
      return await request(this.nc, subject, body, schema);
    } catch (e) {
      if (isRequestFailed(e)) throw new TransientError(`ipam: ${e.message}`, { cause: e });
      throw e;
    }
  }

  async allocate(e: ExposureRecord): Promise<{ ok: true; address: string } | { ok: false; error: IpamError }> {
    const pool = this.pools[e.pool];
    const reply: AllocateReply = await this.call(
      ipamSubjects.allocate,
      { v: 1, requestId: eipRequestId(e), pool, owner: { tenant: e.tenant, project: e.project, purpose: EIP_PURPOSE } },
      AllocateReply,
    );
    return reply.ok ? { ok: true, address: reply.value.cidr.split('/')[0]! } : { ok: false, error: reply.error };
  }

  /** Every exposure EIP the project holds. */
  async held(tenant: string, project: string): Promise<Allocation[]> {
    const reply: LookupReply = await this.call(ipamSubjects.lookup, { v: 1, owner: { tenant, project, purpose: EIP_PURPOSE } }, LookupReply);
    if (!reply.ok) throw new TransientError(`ipam lookup: ${reply.error.message}`);
    return reply.value.allocations;
  }

  async release(allocation: Pick<Allocation, 'pool' | 'cidr'>): Promise<void> {
    const reply: ReleaseReply = await this.call(ipamSubjects.release, { v: 1, pool: allocation.pool, cidr: allocation.cidr }, ReleaseReply);
    if (!reply.ok) throw new TransientError(`ipam release: ${reply.error.message}`);
  }
}
