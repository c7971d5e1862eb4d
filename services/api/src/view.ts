import { projectKey, type PeeringRecord, type PrivateNetworkRecord, type ProjectRecord, type ProjectRoutesRecord, type ProjectStatus, type TenantRecord, type TokenRecord } from '@netbroker/contracts';
import type { KvChange } from '@netbroker/bus';
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
 * authentication), those of a project's GET (projects, their status) and the router's records
 * (routes, peerings, private networks: a project's GET shows its network), followed into memory
 * like the other services follow theirs. `current()` is the buckets' read barriers at once:
 * what is read after it misses no write acknowledged before it, made by this replica, another
 * replica or another service.
 *
 * Writes take a barrier first (a quota, a compare-and-set decide on exact data) and another before
 * they answer (what they stored is in the view when the caller sees the answer: read your
 * writes). GETs are served with bounded staleness (`recent`): from memory when a barrier
 * confirmed the view within the bound, else after one. An answer a GET would give
 * as missing (404, an unknown token) is confirmed by a barrier started after the request came
 * (`confirmedSince`): a project just created on one replica is never 404 on another.
 */
export class ApiView {
  readonly tokens: KvSource<typeof TokenRecord>;
  readonly tenants: KvSource<typeof TenantRecord>;
  readonly projects: KvSource<typeof ProjectRecord>;
  readonly status: KvSource<typeof ProjectStatus>;
  /** Written by the router only (the api sends it commands). */
  readonly routes: KvSource<typeof ProjectRoutesRecord>;
  readonly peerings: KvSource<typeof PeeringRecord>;
  readonly privateNetworks: KvSource<typeof PrivateNetworkRecord>;
  /** Peering ids by side: project key, and tenant. */
  private readonly peeringIndex = new PeeringIndex();

  private readonly barrierSeconds: Histogram | undefined;
  /** performance.now() when the newest completed barrier was asked for: the view holds every write acknowledged before it. */
  private confirmedAt = -Infinity;

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
    this.routes = new KvSource(store.routes, logger);
    this.peerings = new KvSource(store.peerings, logger);
    this.privateNetworks = new KvSource(store.privateNetworks, logger);
    this.peerings.onChange((change) => this.peeringIndex.apply(change));
  }

  /** Resolves once every bucket of the view holds every write acknowledged before the call. */
  async current(): Promise<void> {
    const asked = performance.now();
    const end = this.barrierSeconds?.startTimer();
    await Promise.all(this.sources.map((s) => s.current()));
    end?.();
    this.confirmedAt = Math.max(this.confirmedAt, asked);
  }

  /**
   * For a read: resolves at once when a barrier confirmed the view less than `boundMs` ago, else
   * once a new barrier has (0: always a barrier).
   */
  async recent(boundMs: number): Promise<void> {
    if (performance.now() - this.confirmedAt < boundMs) return;
    await this.current();
  }

  /** Whether a barrier asked for at or after `t` (a performance.now()) has completed. */
  confirmedSince(t: number): boolean {
    return this.confirmedAt >= t;
  }

  get sources(): Array<KvSource<z.ZodType>> {
    return [this.tokens, this.tenants, this.projects, this.status, this.routes, this.peerings, this.privateNetworks];
  }

  /** The token's record and its tenant's, as the view has it (see the class). */
  principal(tokenHash: string): { token: TokenRecord; tenant: TenantRecord } | undefined {
    const token = this.tokens.get(tokenHash);
    const tenant = token && this.tenants.get(token.tenant);
    return token && tenant ? { token, tenant } : undefined;
  }

  /** A tenant as the view has it (see the class). */
  tenant(name: string): TenantRecord | undefined {
    return this.tenants.get(name);
  }

  /** Every tenant name as the view has it (see the class), sorted. */
  tenantNames(): string[] {
    return [...this.tenants.keys()].sort();
  }

  /** A tenant's tokens as the view has it (see the class): [hash, record]. */
  tokensOf(tenant: string): Array<[string, TokenRecord]> {
    return [...this.tokens.entries()].filter(([, t]) => t.tenant === tenant);
  }

  /** One project of a tenant, as the view has it (see the class). */
  project(key: string): ProjectRecord | undefined {
    return readable(this.projects, key);
  }

  /** A project's status as the view has it (see the class) (the provisioner's, possibly of an earlier project of that name). */
  statusOf(key: string): ProjectStatus | undefined {
    return readable(this.status, key);
  }

  /** The names of a tenant's projects as the view has it (see the class), sorted. */
  projectNames(tenant: string): string[] {
    const prefix = `${tenant}.`;
    const names: string[] = [];
    for (const key of this.projects.keys()) if (key.startsWith(prefix)) names.push(key.slice(prefix.length));
    return names.sort();
  }

  /** A project's routes and attachments as the view has it (see the class); undefined: none yet. */
  routesOf(tenant: string, project: string): ProjectRoutesRecord | undefined {
    return readable(this.routes, projectKey(tenant, project));
  }

  /** One peering as the view has it (see the class). */
  peering(id: string): PeeringRecord | undefined {
    return readable(this.peerings, id);
  }

  /** The peerings a project is a side of, by id. */
  peeringsOfProject(tenant: string, project: string): PeeringRecord[] {
    return this.peeringIndex.ofProject(projectKey(tenant, project)).flatMap((id) => this.peering(id) ?? []);
  }

  /** The ids of the peerings a tenant is a side of, sorted. */
  peeringIdsOfTenant(tenant: string): string[] {
    return this.peeringIndex.ofTenant(tenant);
  }

  /** One private network as the view has it (see the class). */
  privateNetwork(name: string): PrivateNetworkRecord | undefined {
    return readable(this.privateNetworks, name);
  }

  /** Every private network name as the view has it, sorted. */
  privateNetworkNames(): string[] {
    return [...this.privateNetworks.keys()].sort();
  }
}

/** Which peerings each project and tenant is a side of, kept from the bucket's changes. */
export class PeeringIndex {
  private readonly sides = new Map<string, { projects: string[]; tenants: string[] }>();
  private readonly byProject = new Map<string, Set<string>>();
  private readonly byTenant = new Map<string, Set<string>>();

  apply(change: KvChange<PeeringRecord>): void {
    const id = change.key;
    const before = this.sides.get(id);
    if (before) {
      before.projects.forEach((k) => remove(this.byProject, k, id));
      before.tenants.forEach((t) => remove(this.byTenant, t, id));
      this.sides.delete(id);
    }
    if (change.op !== 'put') return;
    const { requester: r, accepter: a } = change.value;
    const after = { projects: [projectKey(r.tenant, r.project), projectKey(a.tenant, a.project)], tenants: [r.tenant, a.tenant] };
    after.projects.forEach((k) => add(this.byProject, k, id));
    after.tenants.forEach((t) => add(this.byTenant, t, id));
    this.sides.set(id, after);
  }

  ofProject(key: string): string[] {
    return [...(this.byProject.get(key) ?? [])].sort();
  }

  ofTenant(tenant: string): string[] {
    return [...(this.byTenant.get(tenant) ?? [])].sort();
  }
}

function add(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key) ?? new Set<string>();
  set.add(id);
  index.set(key, set);
}

function remove(index: Map<string, Set<string>>, key: string, id: string): void {
  const set = index.get(key);
  set?.delete(id);
  if (set?.size === 0) index.delete(key);
}
