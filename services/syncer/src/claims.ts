import { isConflict, openKv, type JsonKv, type NatsConnection } from '@netbroker/bus';
import { HostnameClaim, projectBuckets, projectKey, ProjectStatus, syncBuckets, TenantRecord } from '@netbroker/contracts';
import { TransientError } from '@netbroker/kube';
import { hostnameClaimKey, normalizeHostname, type SyncContext } from '@netbroker/translate';

/** The KV buckets the Ingress and NetworkPolicy sync read: claims, tenants (hostname suffixes), project status (CIDR). */
export interface SyncBuckets {
  claims: JsonKv<typeof HostnameClaim>;
  tenants: JsonKv<typeof TenantRecord>;
  projectStatus: JsonKv<typeof ProjectStatus>;
}

export async function openSyncBuckets(nc: NatsConnection, replicas = 1): Promise<SyncBuckets> {
  const [claims, tenants, projectStatus] = await Promise.all([
    openKv(nc, syncBuckets.hostnameClaims, HostnameClaim, { replicas }),
    openKv(nc, projectBuckets.tenants, TenantRecord, { replicas }),
    openKv(nc, projectBuckets.status, ProjectStatus, { replicas }),
  ]);
  return { claims, tenants, projectStatus };
}

/** The project's CIDR from its status, if the provisioner has allocated one. */
export const projectCidrOf = async (buckets: SyncBuckets, ctx: SyncContext): Promise<string | undefined> =>
  (await buckets.projectStatus.get(projectKey(ctx.tenant, ctx.project)))?.value.cidr;

/** The tenant's hostname suffix allowlist (empty: every name). */
export const hostnameSuffixesOf = async (buckets: SyncBuckets, ctx: SyncContext): Promise<string[]> =>
  (await buckets.tenants.get(ctx.tenant))?.value.hostnameSuffixes ?? [];

/**
 * Host name claims of one project. `create()` is the arbiter between projects and replicas: the
 * first project to write a name's key holds it until none of its Ingresses uses the name.
 */
export class HostnameClaims {
  constructor(
    private readonly kv: JsonKv<typeof HostnameClaim>,
    private readonly ctx: SyncContext,
    private readonly now: () => Date,
  ) {}

  isOurs(claim: HostnameClaim): boolean {
    return claim.tenant === this.ctx.tenant && claim.project === this.ctx.project;
  }

  /** Claims `host` for this project (a claim of ours is kept as it is); answers the other project's claim when it holds the name. */
  async claim(host: string): Promise<HostnameClaim | undefined> {
    const key = hostnameClaimKey(host);
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.kv.get(key);
      if (existing) return this.isOurs(existing.value) ? undefined : existing.value;
      const { tenant, project, vcluster } = this.ctx;
      try {
        await this.kv.create(key, { v: 1, host: normalizeHostname(host), tenant, project, vcluster, claimedAt: this.now().toISOString() });
        return undefined;
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
    }
    throw new TransientError(`hostname claim ${host}: the key kept changing`);
  }

  /** Releases `host` if this project holds it (compare-and-set: a claim changed meanwhile is left alone). */
  async release(host: string): Promise<void> {
    const key = hostnameClaimKey(host);
    const existing = await this.kv.get(key);
    if (!existing || !this.isOurs(existing.value)) return;
    try {
      await this.kv.delete(key, existing.revision);
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }

  /** Releases every claim of this project whose name is not in `inUse` (normalised names); answers the names released. */
  async releaseAllBut(inUse: ReadonlySet<string>): Promise<string[]> {
    const stale = (await this.kv.list()).filter((r) => this.isOurs(r.value) && !inUse.has(r.value.host)).map((r) => r.value.host);
    for (const host of stale) await this.release(host);
    return stale;
  }
}
