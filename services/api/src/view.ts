import type { ProjectRecord, ProjectStatus, TenantRecord, TokenRecord } from '@netbroker/contracts';
import { KvSource, type Source } from '@netbroker/controller';
import type { Logger } from '@netbroker/runtime';
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
 * like the other services follow theirs. A read first passes the buckets' read barriers
 * (`KvSource.current()`): an answer never misses a write acknowledged before the request, made
 * by this replica, another replica or another service — a project just created on one api
 * replica is never 404 on another. Writes still go to KV with compare-and-set.
 */
export class ApiView {
  readonly tokens: KvSource<typeof TokenRecord>;
  readonly tenants: KvSource<typeof TenantRecord>;
  readonly projects: KvSource<typeof ProjectRecord>;
  readonly status: KvSource<typeof ProjectStatus>;

  constructor(store: Store, logger: Logger) {
    this.tokens = new KvSource(store.tokens, logger);
    this.tenants = new KvSource(store.tenants, logger);
    this.projects = new KvSource(store.projects, logger);
    this.status = new KvSource(store.status, logger);
  }

  get sources(): Source[] {
    return [this.tokens, this.tenants, this.projects, this.status];
  }

  /** The token's record and its tenant's, as of now. */
  async principal(tokenHash: string): Promise<{ token: TokenRecord; tenant: TenantRecord } | undefined> {
    await Promise.all([this.tokens.current(), this.tenants.current()]);
    const token = this.tokens.get(tokenHash);
    const tenant = token && this.tenants.get(token.tenant);
    return token && tenant ? { token, tenant } : undefined;
  }

  /** A tenant as of now. */
  async tenant(name: string): Promise<TenantRecord | undefined> {
    await this.tenants.current();
    return this.tenants.get(name);
  }

  /** Every tenant name as of now, sorted. */
  async tenantNames(): Promise<string[]> {
    await this.tenants.current();
    return [...this.tenants.keys()].sort();
  }

  /** A tenant's tokens as of now: [hash, record]. */
  async tokensOf(tenant: string): Promise<Array<[string, TokenRecord]>> {
    await this.tokens.current();
    return [...this.tokens.entries()].filter(([, t]) => t.tenant === tenant);
  }

  /** One project of a tenant, as of now. */
  async project(key: string): Promise<ProjectRecord | undefined> {
    await this.projects.current();
    return readable(this.projects, key);
  }

  /** A project's status as of now (the provisioner's, possibly of an earlier project of that name). */
  async statusOf(key: string): Promise<ProjectStatus | undefined> {
    await this.status.current();
    return readable(this.status, key);
  }

  /** The names of a tenant's projects as of now, sorted. */
  async projectNames(tenant: string): Promise<string[]> {
    await this.projects.current();
    const prefix = `${tenant}.`;
    const names: string[] = [];
    for (const key of this.projects.keys()) if (key.startsWith(prefix)) names.push(key.slice(prefix.length));
    return names.sort();
  }
}
