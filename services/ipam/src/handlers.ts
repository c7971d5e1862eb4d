import {
  AllocateRequest,
  DeletePoolRequest,
  fail,
  ipamSubjects,
  ListPoolsRequest,
  LookupRequest,
  PutPoolRequest,
  ReleaseRequest,
} from '@netbroker/contracts';
import { serve, type InvalidPayloadError, type NatsConnection } from '@netbroker/bus';
import type { Logger } from '@netbroker/runtime';
import type { Subscription } from '@nats-io/transport-node';
import { ReadBarrier } from '@netbroker/controller';
import type { Ipam } from './ipam';

const QUEUE = 'ipam';

/**
 * Wires every ipam subject to the service: parse with zod, wait until this replica has seen every
 * write made before the request (a replica never answers from behind what its caller saw),
 * answer, never crash on bad input.
 */
export function serveIpam(nc: NatsConnection, ipam: Ipam, logger: Logger): Subscription[] {
  const barrier = new ReadBarrier(() => ipam.catchUp());
  const current = <R, A>(handle: (r: R) => A | Promise<A>) => async (r: R): Promise<A> => {
    await barrier.wait();
    return handle(r);
  };
  const invalid = (e: InvalidPayloadError) => fail('invalid-request', e.problems);
  const failed = (e: unknown) => {
    logger.error({ err: e }, 'ipam request failed');
    return fail('internal', 'the address manager failed on this request; see the ipam log');
  };
  const tooLarge = (bytes: number, max: number) =>
    fail('reply-too-large', `the reply was ${bytes} bytes, more than the max payload of ${max}: ask for smaller pages (limit)`);
  const common = { queue: QUEUE, invalid, failed, tooLarge, log: logger };
  return [
    serve(nc, { ...common, subject: ipamSubjects.allocate, schema: AllocateRequest, handle: current((r: AllocateRequest) => ipam.allocate(r)) }),
    serve(nc, { ...common, subject: ipamSubjects.release, schema: ReleaseRequest, handle: current((r: ReleaseRequest) => ipam.release(r)) }),
    serve(nc, { ...common, subject: ipamSubjects.lookup, schema: LookupRequest, handle: current((r: LookupRequest) => ipam.lookup(r)) }),
    serve(nc, { ...common, subject: ipamSubjects.putPool, schema: PutPoolRequest, handle: current((r: PutPoolRequest) => ipam.putPool(r.pool)) }),
    serve(nc, { ...common, subject: ipamSubjects.deletePool, schema: DeletePoolRequest, handle: current((r: DeletePoolRequest) => ipam.deletePool(r.name)) }),
    serve(nc, { ...common, subject: ipamSubjects.listPools, schema: ListPoolsRequest, handle: current((r: ListPoolsRequest) => ipam.listPoolsPage(r)) }),
  ];
}
