import type { ProjectRecord, ProjectStatus, TenantRecord, TokenRecord } from '@netbroker/contracts';
import { KvSource } from '@netbroker/controller';
import type { Logger } from '@netbroker/runtime';
import { Histogram, type Registry } from 'prom-client';
import type { z } from 'zod';
import type { Store } from './store';

/** The key's value; an error (an internal one: 500 with a correlation id) when its last record is unreadable. */
export function readable<S extends z.ZodType>(source: KvSource<S>, key: string): z.infer<S> | undefined {
  const problem = source.unreadable(key);
  if (problem !== undefined) throw new Error(`${source.name}/${key}: the record does not match its schema`, { cause: problem });
  return source.get(key);
}

/**
 * What the api answers reads from: the buckets every request touches (tokens and tenants, for
 * authentication) and those of a project's GET (projects, their status), followed into memory
 * like the other services follow theirs. Every request first passes `current()`, the four
 * buckets' read barriers at once: what it reads after that misses no write acknowledged before
 * the request, made by this replica, another replica or another service — a project just
 * created on one api replica is never 404 on another. Writes still go to KV with compare-and-set.
 */
export class ApiView {
  readonly tokens: KvSource<typeof TokenRecord>;
  readonly tenants: KvSource<typeof TenantRecord>;
  readonly projects: KvSource<typeof ProjectRecord>;
  readonly status: KvSource<typeof ProjectStatus>;

  private readonly barrierSeconds: Histogram | undefined;

  constructor(store: Store, logger: Logger, registry?: Registry) {
    this.barrierSeconds = registry
      ? new Histogram({
          name: 'netbroker_api_read_barrier_seconds',
          help: "Time a request waited for the view to catch up with the buckets' last revisions",
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
          registers: [registry],
        })
      : undefined;
    this.tokens = new KvSource(store.tokens, logger);
    this.tenants = new KvSource(store.tenants, logger);
    this.projects = new KvSource(store.projects, logger);
    this.status = new KvSource(store.status, logger);
  }

  /** Resolves once every bucket of the view holds every write acknowledged before the call. */
  async current(): Promise<void> {
    const end = this.barrierSeconds?.startTimer();
    await Promise.all(this.sources.map((s) => s.current()));
    end?.();
  }

  get sources(): Array<KvSource<z.ZodType>> {
    return [this.tokens, this.tenants, this.projects, this.status];
  }

  /** The token's record and its tenant's, as of the request's barrier. */
  principal(tokenHash: string): { token: TokenRecord; tenant: TenantRecord } | undefined {
    const token = this.tokens.get(tokenHash);
    const tenant = token && this.tenants.get(token.tenant);
    return token && tenant ? { token, tenant } : undefined;
  }

  /** A tenant as of the request's barrier. */
  tenant(name: string): TenantRecord | undefined {
    return this.tenants.get(name);
  }

  /** Every tenant name as of the request's barrier, sorted. */
  tenantNames(): string[] {
    return [...this.tenants.keys()].sort();
  }

  /** A tenant's tokens as of the request's barrier: [hash, record]. */
  tokensOf(tenant: string): Array<[string, TokenRecord]> {
    return [...this.tokens.entries()].filter(([, t]) => t.tenant === tenant);
  }

  /** One project of a tenant, as of the request's barrier. */
  project(key: string): ProjectRecord | undefined {
    return readable(this.projects, key);
  }

  /** A project's status as of the request's barrier (the provisioner's, possibly of an earlier project of that name). */
  statusOf(key: string): ProjectStatus | undefined {
    return readable(this.status, key);
  }

  /** The names of a tenant's projects as of the request's barrier, sorted. */
  projectNames(tenant: string): string[] {
    const prefix = `${tenant}.`;
    const names: string[] = [];
    for (const key of this.projects.keys()) if (key.startsWith(prefix)) names.push(key.slice(prefix.length));
    return names.sort();
  }
}
