import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  AllocateReply,
  fail,
  ok,
  type Allocation,
  type DeletePoolReply,
  type ListPoolsReply,
  type LookupReply,
  type PoolMap,
  type PoolMapReply,
  type PutPoolReply,
  type ReleaseReply,
  type PoolStatus,
  type Result,
} from './ipam';

const allocation: Allocation = {
  v: 1,
  pool: 'projects',
  cidr: '10.0.0.0/24',
  owner: { tenant: 'acme', project: 'web', purpose: 'cidr' },
  requestId: '6f1c2a7e:cidr',
  allocatedAt: '2025-03-14T09:26:53Z',
};

describe('Result', () => {
  it('is what every ipam reply parses to', () => {
    expectTypeOf<AllocateReply>().toEqualTypeOf<Result<Allocation>>();
    expectTypeOf<ReleaseReply>().toEqualTypeOf<Result<{ released: Allocation[] }>>();
    expectTypeOf<LookupReply>().toEqualTypeOf<Result<{ allocations: Allocation[]; continue?: string | undefined }>>();
    expectTypeOf<PutPoolReply>().toEqualTypeOf<Result<PoolStatus>>();
    expectTypeOf<DeletePoolReply>().toEqualTypeOf<Result<{ deleted: boolean }>>();
    expectTypeOf<ListPoolsReply>().toEqualTypeOf<Result<{ pools: PoolStatus[]; continue?: string | undefined }>>();
    expectTypeOf<PoolMapReply>().toEqualTypeOf<Result<PoolMap>>();
  });

  it.each<[string, Result<Allocation>]>([
    ['a value', ok(allocation)],
    ['a refusal', fail('exhausted', 'pool projects has no free /24')],
  ])('round-trips %s through a reply schema', (_what, result) => {
    expect(AllocateReply.parse(JSON.parse(JSON.stringify(result)))).toStrictEqual(result);
  });
});
