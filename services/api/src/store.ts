import {
  exposureBuckets,
  ExposureRecord,
  ExposureStatus,
  GrantRecord,
  IdempotencyRecord,
  mappingBuckets,
  MappingRecord,
  MappingStatus,
  PeeringRecord,
  PrivateNetworkRecord,
  ProjectRoutesRecord,
  routerBuckets,
  ProjectRecord,
  ProjectStatus,
  projectBuckets,
  TenantRecord,
  TokenRecord,
  VClusterRecord,
  VClusterStatus,
  syncerBuckets,
} from '@netbroker/contracts';
import { openKv, type JsonKv, type NatsConnection } from '@netbroker/bus';
import type { KV } from '@nats-io/kv';

/** Every bucket the api reads or writes (the provisioner writes `status`; the api only reads it). */
export interface Store {
  tenants: JsonKv<typeof TenantRecord>;
  /** Key: SHA-256 hex of the token. */
  tokens: JsonKv<typeof TokenRecord>;
  projects: JsonKv<typeof ProjectRecord>;
  status: JsonKv<typeof ProjectStatus>;
  vclusters: JsonKv<typeof VClusterRecord>;
  /** Written by the syncer: how the sync of each registration is going. */
  vclusterStatus: JsonKv<typeof VClusterStatus>;
  idempotency: JsonKv<typeof IdempotencyRecord>;
  /** Service mappings, key `<tenant>.<project>.<id>`; the mapper writes `mappingStatus`. */
  mappings: JsonKv<typeof MappingRecord>;
  mappingStatus: JsonKv<typeof MappingStatus>;
  /** Cross-project exposures, key `<tenant>.<project>.<exposure>`; the exposer writes `exposureStatus`. */
  exposures: JsonKv<typeof ExposureRecord>;
  /** Key `<exporterTenant>.<exporterProject>.<exposure>.<consumerTenant>.<consumerProject>`. */
  grants: JsonKv<typeof GrantRecord>;
  exposureStatus: JsonKv<typeof ExposureStatus>;
  /** The router's records (it alone writes them; the api sends it commands): key `<tenant>.<project>`. */
  routes: JsonKv<typeof ProjectRoutesRecord>;
  /** Key: the peering's id. */
  peerings: JsonKv<typeof PeeringRecord>;
  /** Key: the network's name. */
  privateNetworks: JsonKv<typeof PrivateNetworkRecord>;
}

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

export async function openStore(nc: NatsConnection, replicas: number): Promise<Store> {
  const opts = { replicas };
  return {
    tenants: await openKv(nc, projectBuckets.tenants, TenantRecord, opts),
    tokens: await openKv(nc, projectBuckets.tokens, TokenRecord, opts),
    projects: await openKv(nc, projectBuckets.projects, ProjectRecord, opts),
    status: await openKv(nc, projectBuckets.status, ProjectStatus, opts),
    vclusters: await openKv(nc, projectBuckets.vclusters, VClusterRecord, opts),
    vclusterStatus: await openKv(nc, syncerBuckets.status, VClusterStatus, opts),
    mappings: await openKv(nc, mappingBuckets.mappings, MappingRecord, opts),
    mappingStatus: await openKv(nc, mappingBuckets.status, MappingStatus, opts),
    exposures: await openKv(nc, exposureBuckets.exposures, ExposureRecord, opts),
    grants: await openKv(nc, exposureBuckets.grants, GrantRecord, opts),
    exposureStatus: await openKv(nc, exposureBuckets.status, ExposureStatus, opts),
    routes: await openKv(nc, routerBuckets.routes, ProjectRoutesRecord, opts),
    peerings: await openKv(nc, routerBuckets.peerings, PeeringRecord, opts),
    privateNetworks: await openKv(nc, routerBuckets.privateNetworks, PrivateNetworkRecord, opts),
    idempotency: await openKv(nc, projectBuckets.idempotency, IdempotencyRecord, { replicas, history: 1, maxAgeMs: IDEMPOTENCY_TTL_MS }),
  };
}

/** Every key of a bucket under a filter (`acme.>`), without reading values. */
export async function keysOf(bucket: { kv: KV }, filter: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of await bucket.kv.keys(filter)) keys.push(key);
  return keys;
}
