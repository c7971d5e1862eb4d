import {
  AllocateReply,
  DeletePoolReply,
  ipamSubjects,
  ListPoolsReply,
  LookupReply,
  pageLimits,
  poolAllocateSubject,
  PoolMapReply,
  poolMapLimits,
  PutPoolReply,
  ReleaseReply,
  type AllocateRequest,
  type Allocation,
  type IpamErrorReason,
  type ListPoolsRequest,
  type LookupRequest,
  type PoolMap,
  type PoolMapRequest,
  type PoolSpec,
  type PoolStatus,
  type ReleaseRequest,
  type Result,
} from '@netbroker/contracts';
import type { z } from 'zod';
import type { NatsConnection } from './connection';
import { isRequestFailed } from './errors';
import { request } from './rpc';

/**
 * The reasons the address manager refuses a request as asked; `internal` and `reply-too-large` are
 * its own failures, not refusals.
 */
export type IpamRefusal = Exclude<IpamErrorReason, 'internal' | 'reply-too-large'>;

/** The address manager refused the request as asked (the pool is full, the block overlaps…): `reason` says why. */
export class IpamRefusedError extends Error {
  override readonly name = 'IpamRefusedError';
  constructor(
    readonly subject: string,
    readonly reason: IpamRefusal,
    /** The address manager's sentence, naming the offending value. */
    readonly detail: string,
  ) {
    super(`ipam refused (${reason}): ${detail}`);
  }
}

/**
 * The address manager gave no answer: no reply in time, nobody listening, no replica holding the
 * pool within the failover bound (`no-holder`: nothing was done), or it failed inside (`internal`,
 * see its log). Nothing is known to be wrong with the request; it may succeed later.
 */
export class IpamUnavailableError extends Error {
  override readonly name = 'IpamUnavailableError';
  constructor(
    readonly subject: string,
    readonly kind: 'timeout' | 'no-responders' | 'no-holder' | 'internal',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The answer was larger than the server's max payload and the address manager said so instead
 * (reason `reply-too-large`). Asking again the same way fails the same way: a bug of the caller's
 * page size or of the reply's shape, not of the request's content.
 */
export class IpamReplyTooLargeError extends Error {
  override readonly name = 'IpamReplyTooLargeError';
  constructor(
    readonly subject: string,
    readonly detail: string,
  ) {
    super(`ipam could not answer ${subject}: ${detail}`);
  }
}

/** A refusal; with reasons, one of these. */
export const isIpamRefused = (e: unknown, ...reasons: IpamRefusal[]): e is IpamRefusedError =>
  e instanceof IpamRefusedError && (reasons.length === 0 || reasons.includes(e.reason));
export const isIpamUnavailable = (e: unknown): e is IpamUnavailableError => e instanceof IpamUnavailableError;
export const isIpamReplyTooLarge = (e: unknown): e is IpamReplyTooLargeError => e instanceof IpamReplyTooLargeError;

/** One page of a list, and the token of the next when there is one. */
export interface Page<T> {
  items: T[];
  continue?: string;
}

/**
 * Every item of a paged list, page after page until one comes without `continue`. A server that
 * answers a token it was just given (it would loop forever) is an error, not an endless walk.
 */
export async function walkPages<T>(page: (after: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let after: string | undefined;
  do {
    const next = await page(after);
    items.push(...next.items);
    if (next.continue !== undefined && next.continue === after) throw new Error(`a list page answered the token it was asked with (${after}): not advancing`);
    after = next.continue;
  } while (after !== undefined);
  return items;
}

export interface IpamClientOptions {
  /** How long one request waits for its reply (default 5 s). */
  timeoutMs?: number;
  /** Records per page when `lookup` and `listPools` walk every page (default and most: pageLimits.max). */
  pageSize?: number;
}

/**
 * The ipam service over NATS request/reply (subjects and schemas in contracts): every method
 * answers the value, or throws IpamRefusedError (a refusal, with its reason) or
 * IpamUnavailableError (no answer); a reply that breaks the contract is InvalidPayloadError.
 */
export class IpamClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: IpamClientOptions = {},
  ) {}

  /**
   * An allocation; the same `requestId` always answers the same one. Asked straight of the pool's
   * holder (`cmd.ipam.pool.<pool>.allocate`, no hop through another replica); when nobody serves
   * that subject (a failover, a pool just created or unknown) asked on `cmd.ipam.address.allocate`,
   * where a replica waits for a holder within its bound. Dry runs go there at once: any replica
   * answers them.
   */
  async allocate(req: Omit<AllocateRequest, 'v'>): Promise<Allocation> {
    const payload = { v: 1, ...req };
    if (!req.dryRun) {
      try {
        return await this.call(poolAllocateSubject(req.pool), payload, AllocateReply, ipamSubjects.allocate);
      } catch (e) {
        if (!(isIpamUnavailable(e) && e.kind === 'no-responders')) throw e;
      }
    }
    return this.call(ipamSubjects.allocate, payload, AllocateReply);
  }

  /** Releases one allocation (`pool` + `cidr`) or every one of an owner; answers what was released. */
  async release(req: Omit<ReleaseRequest, 'v'>): Promise<Allocation[]> {
    return (await this.call(ipamSubjects.release, { v: 1, ...req }, ReleaseReply)).released;
  }

  /**
   * Every allocation matching `pool` and/or `owner`, by pool then address: walks all pages (see
   * LookupRequest for what a walk sees of allocations made meanwhile).
   */
  lookup(req: Omit<LookupRequest, 'v' | 'limit' | 'continue'>): Promise<Allocation[]> {
    return this.walk((after, limit) => this.lookupPage({ ...req, limit, ...(after !== undefined ? { continue: after } : {}) }));
  }

  /** One page of allocations; `continue` is present when more follow. */
  async lookupPage(req: Omit<LookupRequest, 'v'>): Promise<Page<Allocation>> {
    const page = await this.call(ipamSubjects.lookup, { v: 1, ...req }, LookupReply);
    return { items: page.allocations, ...(page.continue !== undefined ? { continue: page.continue } : {}) };
  }

  /** Creates or replaces a pool. */
  putPool(pool: PoolSpec): Promise<PoolStatus> {
    return this.call(ipamSubjects.putPool, { v: 1, pool }, PutPoolReply);
  }

  /** False when there was no such pool. */
  async deletePool(name: string): Promise<boolean> {
    return (await this.call(ipamSubjects.deletePool, { v: 1, name }, DeletePoolReply)).deleted;
  }

  /** Every pool with its utilisation, by name: walks all pages. */
  listPools(): Promise<PoolStatus[]> {
    return this.walk((after, limit) => this.listPoolsPage({ limit, ...(after !== undefined ? { continue: after } : {}) }));
  }

  /**
   * Every page, `pageSize` records at a time; a page too large for the server's max payload is
   * asked again at half the size (down to one record) rather than failing the walk.
   */
  private walk<T>(read: (after: string | undefined, limit: number) => Promise<Page<T>>): Promise<T[]> {
    let limit = Math.min(this.opts.pageSize ?? pageLimits.max, pageLimits.max);
    return walkPages(async (after) => {
      for (;;) {
        try {
          return await read(after, limit);
        } catch (e) {
          if (!isIpamReplyTooLarge(e) || limit === 1) throw e;
          limit = Math.ceil(limit / 2);
        }
      }
    });
  }

  /**
   * The map of a window of a pool (see PoolMapRequest): with `viewer`, as that tenant may see it.
   * A map too large for the server's max payload is asked again with half the blocks (down to
   * none): `truncated` then says more exist.
   */
  async poolMap(req: Omit<PoolMapRequest, 'v'>): Promise<PoolMap> {
    let limit = req.limit ?? poolMapLimits.default;
    for (;;) {
      try {
        return await this.call(ipamSubjects.poolMap, { v: 1, ...req, limit }, PoolMapReply);
      } catch (e) {
        if (!isIpamReplyTooLarge(e) || limit === 0) throw e;
        limit = Math.floor(limit / 2);
      }
    }
  }

  /** One page of pools; `continue` is present when more follow. */
  async listPoolsPage(req: Omit<ListPoolsRequest, 'v'> = {}): Promise<Page<PoolStatus>> {
    const page = await this.call(ipamSubjects.listPools, { v: 1, ...req }, ListPoolsReply);
    return { items: page.pools, ...(page.continue !== undefined ? { continue: page.continue } : {}) };
  }

  /** Asks `subject`; errors name `as` (the public subject a pool subject stands for). */
  private async call<T>(subject: string, payload: unknown, schema: z.ZodType<Result<T>>, as = subject): Promise<T> {
    let reply: Result<T>;
    try {
      reply = await request(this.nc, subject, payload, schema, { timeoutMs: this.opts.timeoutMs });
    } catch (e) {
      if (isRequestFailed(e)) throw new IpamUnavailableError(as, e.kind, `ipam: ${e.message}`, { cause: e });
      throw e;
    }
    return valueOf(as, reply);
  }
}

/** The value of a reply, or its error thrown as IpamRefusedError / IpamUnavailableError. */
export function valueOf<T>(subject: string, reply: Result<T>): T {
  if (reply.ok) return reply.value;
  const { reason, message } = reply.error;
  if (reason === 'internal' && reply.error.unavailable) throw new IpamUnavailableError(subject, 'no-holder', `ipam: ${message}`);
  if (reason === 'internal') throw new IpamUnavailableError(subject, 'internal', `ipam failed on ${subject}: ${message}`);
  if (reason === 'reply-too-large') throw new IpamReplyTooLargeError(subject, message);
  throw new IpamRefusedError(subject, reason, message);
}
