import type { Facts, IpamClient } from '@netbroker/bus';
import type { TenantAccess } from '@netbroker/kube';
import type { Logger } from '@netbroker/runtime';
import type { ApiConfig } from './config';
import type { Idempotency } from './idempotency';
import type { RateLimiter } from './rate-limit';
import type { RouterClient } from './router-client';
import type { Store } from './store';
import type { ApiView } from './view';

/** Everything a route needs, built once in main.ts and passed down. */
export interface ApiDeps {
  config: ApiConfig;
  logger: Logger;
  store: Store;
  /** Tokens, tenants, projects and their status followed into memory: what reads are answered from. */
  view: ApiView;
  ipam: IpamClient;
  /** Routes, attachments, peerings and private networks are written by the router: the api sends it commands. */
  router: RouterClient;
  facts: Facts;
  idempotency: Idempotency;
  limiter: RateLimiter;
  encryptionKey: Buffer;
  /** Which kubeconfigs and virtual cluster servers registrations may use (the services check again). */
  access: TenantAccess;
  now: () => Date;
}
