import {
  AllocateRequest,
  DeletePoolRequest,
  fail,
  ipamSubjects,
  ListPoolsRequest,
  LookupRequest,
  poolAllocateSubject,
  PoolMapRequest,
  PutPoolRequest,
  ReleaseRequest,
} from '@netbroker/contracts';
import { serve, type InvalidPayloadError, type NatsConnection } from '@netbroker/bus';
import type { Logger } from '@netbroker/runtime';
import { ReadBarrier, type Clock, type LeaseHolder } from '@netbroker/controller';
import { Forwarder, type ForwardOutcome } from './forward';
import { PoolHolders } from './holder';
import type { Ipam } from './ipam';

const QUEUE = 'ipam';
/** The holders of one pool share its subject: a stale holder still subscribed splits requests, never doubles them. */
const HOLDER_QUEUE = 'ipam-holder';
/** Longest wait for one forwarded allocate before it is asked again (same request id). */
const FORWARD_ATTEMPT_MS = 2_000;

export interface ServeIpamOptions {
  leases: LeaseHolder;
  clock: Clock;
  /** How long an allocate waits for a holder of its pool (a failover) before `unavailable`. */
  holderWaitMs: number;
  counted: (outcome: ForwardOutcome) => void;
  logger: Logger;
}

export interface ServedIpam {
  holders: PoolHolders;
  /** Stops taking requests (public subjects and held pools) and resolves once those taken are answered. */
  stop(): Promise<void>;
}

/**
 * Wires every ipam subject to the service: parse with zod, wait until this replica has seen every
 * write made before the request (a replica never answers from behind what its caller saw),
 * answer, never crash on bad input. Allocations go to the holder of their pool (PoolHolders):
 * this replica when it holds the pool, else forwarded to `cmd.ipam.pool.<pool>.allocate`; dry
 * runs, releases and reads are answered by whichever replica the request reaches.
 */
export function serveIpam(nc: NatsConnection, ipam: Ipam, opts: ServeIpamOptions): ServedIpam {
  const { logger } = opts;
  const barrier = new ReadBarrier(() => ipam.catchUp());
  const inFlight = new Set<Promise<unknown>>();
  const current = <R, A>(handle: (r: R) => A | Promise<A>) => async (r: R): Promise<A> => {
    await barrier.wait();
    return handle(r);
  };
  /** Counts the answers still owed, so a stop waits for them. */
  const tracked = <R, A>(handle: (r: R) => Promise<A>) => (r: R): Promise<A> => {
    const work = handle(r);
    const settled = work.catch(() => undefined).finally(() => inFlight.delete(settled));
    inFlight.add(settled);
    return work;
  };
  const invalid = (e: InvalidPayloadError) => fail('invalid-request', e.problems);
  const failed = (e: unknown) => {
    logger.error({ err: e }, 'ipam request failed');
    return fail('internal', 'the address manager failed on this request; see the ipam log');
  };
  const tooLarge = (bytes: number, max: number) =>
    fail('reply-too-large', `the reply was ${bytes} bytes, more than the max payload of ${max}: ask for smaller pages (limit)`);
  const common = { queue: QUEUE, invalid, failed, tooLarge, log: logger };

  const allocateHere = current((r: AllocateRequest) => ipam.allocate(r));
  const holders = new PoolHolders({
    leases: opts.leases,
    ipam,
    clock: opts.clock,
    logger,
    serve: (pool) => {
      const sub = serve(nc, { ...common, queue: HOLDER_QUEUE, subject: poolAllocateSubject(pool), schema: AllocateRequest, handle: tracked(allocateHere) });
      return { stop: async () => void (await sub.drain()) };
    },
  });
  const forwarder = new Forwarder({
    nc,
    clock: opts.clock,
    boundMs: opts.holderWaitMs,
    attemptTimeoutMs: FORWARD_ATTEMPT_MS,
    holds: (pool) => holders.holds(pool),
    local: allocateHere,
    exists: async (pool) => (await barrier.wait(), ipam.has(pool)),
    counted: opts.counted,
  });
  const allocate = (r: AllocateRequest) => (r.dryRun ? allocateHere(r) : forwarder.allocate(r));

  const subscriptions = [
    serve(nc, { ...common, subject: ipamSubjects.allocate, schema: AllocateRequest, handle: tracked(allocate) }),
    serve(nc, { ...common, subject: ipamSubjects.release, schema: ReleaseRequest, handle: tracked(current((r: ReleaseRequest) => ipam.release(r))) }),
    serve(nc, { ...common, subject: ipamSubjects.lookup, schema: LookupRequest, handle: current((r: LookupRequest) => ipam.lookup(r)) }),
    serve(nc, { ...common, subject: ipamSubjects.putPool, schema: PutPoolRequest, handle: tracked(current((r: PutPoolRequest) => ipam.putPool(r.pool))) }),
    serve(nc, { ...common, subject: ipamSubjects.deletePool, schema: DeletePoolRequest, handle: tracked(current((r: DeletePoolRequest) => ipam.deletePool(r.name))) }),
    serve(nc, { ...common, subject: ipamSubjects.listPools, schema: ListPoolsRequest, handle: current((r: ListPoolsRequest) => ipam.listPoolsPage(r)) }),
    serve(nc, { ...common, subject: ipamSubjects.poolMap, schema: PoolMapRequest, handle: current((r: PoolMapRequest) => ipam.poolMap(r)) }),
  ];
  holders.start();
  return {
    holders,
    stop: async () => {
      await Promise.all([...subscriptions.map((s) => s.drain()), holders.stop()]);
      await Promise.all(inFlight);
    },
  };
}
