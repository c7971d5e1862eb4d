import {
  AllocateReply,
  DeletePoolReply,
  ipamSubjects,
  ListPoolsReply,
  LookupReply,
  problemStatus,
  ProblemCode,
  PutPoolReply,
  type AllocateRequest,
  type Allocation,
  type IpamError,
  type LookupRequest,
  type PoolSpec,
  type PoolStatus,
} from '@netbroker/contracts';
import { isRequestFailed, request, type NatsConnection } from '@netbroker/bus';
import type { z } from 'zod';
import { problem, ProblemError } from './problems';

type Reply<T> = { ok: true; value: T } | { ok: false; error: IpamError };

/** An ipam refusal as a problem whose code is the ipam reason (`not-allocated` reads as not-found). */
export function ipamProblem(error: IpamError): ProblemError {
  const parsed = ProblemCode.safeParse(error.reason);
  const code = parsed.success && problemStatus[parsed.data] < 500 ? parsed.data : 'not-found';
  return problem(code, error.message);
}

/** The ipam service over NATS request/reply. Not answering: 503 `dependency-unavailable`. */
export class IpamClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs = 5_000,
  ) {}

  private async call<S extends z.ZodType>(subject: string, payload: unknown, schema: S): Promise<z.infer<S>> {
    try {
      return await request(this.nc, subject, payload, schema, { timeoutMs: this.timeoutMs });
    } catch (e) {
      if (isRequestFailed(e)) throw new ProblemError('dependency-unavailable', 'the address manager (ipam) did not answer; retry later', {}, { cause: e });
      throw e;
    }
  }

  allocate(req: AllocateRequest): Promise<Reply<Allocation>> {
    return this.call(ipamSubjects.allocate, req, AllocateReply);
  }

  lookup(req: LookupRequest): Promise<Reply<{ allocations: Allocation[] }>> {
    return this.call(ipamSubjects.lookup, req, LookupReply);
  }

  putPool(pool: PoolSpec): Promise<Reply<PoolStatus>> {
    return this.call(ipamSubjects.putPool, { v: 1, pool }, PutPoolReply);
  }

  deletePool(name: string): Promise<Reply<{ deleted: boolean }>> {
    return this.call(ipamSubjects.deletePool, { v: 1, name }, DeletePoolReply);
  }

  listPools(): Promise<Reply<{ pools: PoolStatus[] }>> {
    return this.call(ipamSubjects.listPools, { v: 1 }, ListPoolsReply);
  }
}

/** The value of an ipam reply, or its refusal thrown as a problem. */
export function okOrThrow<T>(reply: Reply<T>): T {
  if (!reply.ok) throw ipamProblem(reply.error);
  return reply.value;
}
