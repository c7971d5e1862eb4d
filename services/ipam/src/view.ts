import type { Allocation, IpamError, PoolMap, PoolMapRequest, PoolRecord, Result, Utilisation } from '@netbroker/contracts';
import { AddressPool, mapPool, type MapViewer } from '@netbroker/ipam';

/**
 * What every replica agrees on, rebuilt from the two KV buckets.
 *
 * Allocation records are applied in revision order (the order of the KV stream, the same for every
 * replica). A record is *accepted* when it overlaps no accepted record and repeats no accepted
 * request id of its pool; otherwise it is *rejected*: it lost a race to a record with a lower
 * revision, its writer answers nobody with it, and it is deleted. Because the decision only
 * depends on records with lower revisions, every replica reaches the same one.
 */
export class PoolView {
  readonly accepted = new Map<string, { revision: number; allocation: Allocation }>();
  readonly byRequest = new Map<string, string>();
  /** CIDRs of the accepted records by owner tenant (a tenant's map reads only its own). */
  private readonly byTenant = new Map<string, Set<string>>();
  /**
   * The accepted blocks plus the blocks this replica is claiming right now, so that concurrent
   * requests here never pick the same block. `pool` stays exactly the accepted state: acceptance
   * decisions must not depend on one replica's claims.
   */
  private readonly picking: AddressPool;
  private readonly claims = new Set<string>();
  /** Accepted blocks that overlap a claim of ours (which will lose); added once the claim ends. */
  private deferred: string[] = [];

  constructor(
    readonly record: PoolRecord,
    readonly pool: AddressPool,
    picking: AddressPool,
  ) {
    this.picking = picking;
  }

  /** Applies a record; answers whether it was accepted. */
  accept(revision: number, allocation: Allocation): boolean {
    if (this.byRequest.has(allocation.requestId)) return false;
    if (!this.pool.allocateSpecific(allocation.cidr).ok) return false;
    this.accepted.set(allocation.cidr, { revision, allocation });
    this.byRequest.set(allocation.requestId, allocation.cidr);
    const owned = this.byTenant.get(allocation.owner.tenant);
    if (owned) owned.add(allocation.cidr);
    else this.byTenant.set(allocation.owner.tenant, new Set([allocation.cidr]));
    if (!this.claims.has(allocation.cidr) && !this.picking.allocateSpecific(allocation.cidr).ok) this.deferred.push(allocation.cidr);
    return true;
  }

  /** Removes an accepted record whose key was deleted. */
  forget(cidr: string): Allocation | undefined {
    const entry = this.accepted.get(cidr);
    if (!entry) return undefined;
    this.pool.release(cidr);
    this.accepted.delete(cidr);
    this.byRequest.delete(entry.allocation.requestId);
    const owned = this.byTenant.get(entry.allocation.owner.tenant);
    owned?.delete(cidr);
    if (owned?.size === 0) this.byTenant.delete(entry.allocation.owner.tenant);
    if (!this.claims.has(cidr)) {
      const before = this.deferred.length;
      this.deferred = this.deferred.filter((d) => d !== cidr);
      if (this.deferred.length === before) this.picking.release(cidr);
    }
    return entry.allocation;
  }

  /** The accepted allocations of one tenant. */
  ownedBy(tenant: string): Allocation[] {
    return [...(this.byTenant.get(tenant) ?? [])].map((cidr) => this.accepted.get(cidr)!.allocation);
  }

  /** The map of a window of the pool as `viewer` (a tenant) or the admin may see it (see PoolMapRequest). */
  map(name: string, req: Pick<PoolMapRequest, 'cidr' | 'cells' | 'limit' | 'viewer'>): Result<PoolMap> {
    const viewer: MapViewer =
      req.viewer === undefined ? { kind: 'admin', ownerOf: (cidr) => this.accepted.get(cidr)?.allocation.owner } : { kind: 'tenant', own: this.ownedBy(req.viewer) };
    return mapPool(name, this.pool, viewer, { window: req.cidr, cells: req.cells, limit: req.limit });
  }

  /** Picks and holds the next block for a request of this replica, until `unclaim`. */
  claim(want: { cidr?: string; prefixLength?: number }): Result<string> {
    const result =
      want.cidr !== undefined
        ? this.picking.allocateSpecific(want.cidr)
        : this.record.kind === 'address'
          ? this.picking.allocateAddress()
          : this.picking.allocate(want.prefixLength);
    if (result.ok) this.claims.add(result.value);
    return result;
  }

  /** Ends a claim: the block stays held if it was accepted, and is freed otherwise. */
  unclaim(cidr: string): void {
    if (!this.claims.delete(cidr)) return;
    if (this.accepted.has(cidr)) return;
    this.picking.release(cidr);
    const waiting = this.deferred;
    this.deferred = waiting.filter((d) => !this.picking.allocateSpecific(d).ok);
  }

  /** Claims in flight, carried over when the pool is rebuilt. */
  get claimed(): ReadonlySet<string> {
    return this.claims;
  }

  adoptClaims(claims: Iterable<string>): void {
    for (const cidr of claims) if (this.accepted.has(cidr) || this.picking.allocateSpecific(cidr).ok) this.claims.add(cidr);
  }

  utilisation(): Utilisation {
    const u = this.pool.utilisation();
    return {
      total: u.total.toString(),
      used: u.used.toString(),
      reserved: u.reserved.toString(),
      free: u.free.toString(),
      largestFreePrefixLength: u.largestFreePrefixLength,
      freeFragments: u.freeFragments,
      allocations: this.accepted.size,
    };
  }
}

/** Builds the allocator of a pool record, with the host cluster's own CIDRs reserved. */
export function buildPool(record: PoolRecord, hostReserved: string[]): Result<AddressPool> {
  return AddressPool.create({
    prefixes: record.prefixes,
    ranges: record.ranges,
    reserved: [...record.reserved, ...hostReserved],
    presets: record.presets,
    minPrefixLength: record.minPrefixLength,
    maxPrefixLength: record.maxPrefixLength,
    defaultPrefixLength: record.defaultPrefixLength,
  });
}

/**
 * A pool view for `record` holding `allocations` (in revision order), or the reason it cannot:
 * what a pool update must pass before it is written.
 */
export function rebuild(
  record: PoolRecord,
  hostReserved: string[],
  allocations: Array<{ revision: number; allocation: Allocation }>,
): Result<PoolView> {
  const built = buildPool(record, hostReserved);
  const picking = buildPool(record, hostReserved);
  if (!built.ok) return built;
  if (!picking.ok) return picking;
  const view = new PoolView(record, built.value, picking.value);
  for (const { revision, allocation } of allocations) {
    if (!view.accept(revision, allocation)) {
      const error: IpamError = {
        reason: 'pool-in-use',
        message: `allocation ${allocation.cidr} (${allocation.owner.tenant}/${allocation.owner.project ?? '-'}) would not fit the new pool`,
      };
      return { ok: false, error };
    }
  }
  return { ok: true, value: view };
}
