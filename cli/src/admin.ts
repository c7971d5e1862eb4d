import type { PoolStatus, TenantPrivateNetwork } from '@netbroker/contracts';
import { calls, defined } from './calls';
import { UsageError } from './exit';
import { arg, bodyField, commaList, fileAndFlags, flag, integer, list, type CommandSpec, type Input, type Plan } from './plan';

// The admin's commands (the admin token): tenants and their tokens, address pools, private
// networks; and the tenant's list of the private networks shared with it, beside the admin's.

/** `START-END` as an address range; anything else is not one. */
export function rangeOf(text: string): { start: string; end: string } {
  const [start, end, extra] = text.split('-');
  if (!start || !end || extra !== undefined) throw new UsageError(`"${text}" is not a range START-END`);
  return { start, end };
}

/** `put pool`'s flags as body fields (absent flags absent: a file's fields stay). */
function poolFlags(i: Input): Record<string, unknown> {
  const f = i.flags;
  return {
    kind: f.kind,
    prefixes: commaList(f.prefixes),
    ranges: commaList(f.ranges)?.map(rangeOf),
    reserved: commaList(f.reserved)?.map((r) => (r.includes('-') ? rangeOf(r) : r)),
    presets: commaList(f.presets),
    defaultPrefixLength: integer('default-prefix-length', f['default-prefix-length']),
    minPrefixLength: integer('min-prefix-length', f['min-prefix-length']),
    maxPrefixLength: integer('max-prefix-length', f['max-prefix-length']),
  };
}

const tenantOpt = ['tenant'] as const;

/** `egress-public=4,projects=1024` as addresses per pool; undefined when not given. */
export function addressesPerPool(text: string | undefined): Record<string, number> | undefined {
  const items = commaList(text);
  if (items === undefined) return undefined;
  return Object.fromEntries(
    items.map((item) => {
      const [pool, count, extra] = item.split('=');
      if (!pool || count === undefined || extra !== undefined) throw new UsageError(`--max-addresses: "${item}" is not POOL=N`);
      return [pool, integer('max-addresses', count, 9)!];
    }),
  );
}

/** `update tenant`'s merge patch: absent flags change nothing, `''` clears (a name: null; a list: empty). */
function tenantPatch(i: Input): Plan {
  const f = i.flags;
  const cleared = (text: string | undefined) => (text === '' ? null : text);
  const quotas = defined({ maxProjects: integer('max-projects', f['max-projects'], 6), maxAddressesPerPool: addressesPerPool(f['max-addresses']) });
  const body = calls.updateTenant.body({
    displayName: cleared(f['display-name']),
    projectPool: cleared(f['project-pool']),
    quotas: Object.keys(quotas).length ? quotas : undefined,
    hostnameSuffixes: commaList(f['hostname-suffixes']),
    importNamespaces: commaList(f['import-namespaces']),
  });
  if (Object.keys(body).length === 0) throw new UsageError('"update tenant" needs at least one of --display-name, --max-projects, --max-addresses, --project-pool, --hostname-suffixes, --import-namespaces');
  return { kind: 'call', request: { call: 'updateTenant', params: { tenant: arg(i, 'NAME') }, body }, show: { view: 'tenant' } };
}

function getPrivateNetworks(i: Input): Plan {
  const name = i.args.NAME;
  if (i.flags['all-tenants']) {
    return name !== undefined
      ? { kind: 'call', request: { call: 'getPrivateNetwork', params: { name } }, show: { view: 'adminPrivateNetwork' } }
      : list('listPrivateNetworks', 'adminPrivateNetworks', 'private networks');
  }
  const pick = name !== undefined ? { name, what: `private network ${name}`, keyOf: (n: unknown) => (n as TenantPrivateNetwork).name, view: 'tenantPrivateNetwork' as const } : undefined;
  return list('listTenantPrivateNetworks', 'privateNetworks', 'private networks', undefined, pick);
}

export const adminCommands: readonly CommandSpec[] = [
  {
    verb: 'get',
    noun: 'private-networks',
    aliases: ['private-network'],
    args: [{ name: 'NAME', optional: true }],
    options: ['all-tenants'],
    summary: 'the private networks shared with the tenant, or one; --all-tenants: every network and its tenants (admin)',
    plan: getPrivateNetworks,
  },
  {
    verb: 'put',
    noun: 'private-network',
    aliases: ['private-networks'],
    args: [{ name: 'NAME' }],
    options: ['file', 'cidr', 'gateway', 'tenants', 'description'],
    admin: true,
    summary: 'create or replace a private network: its CIDR, gateway and the tenants that may attach',
    plan: (i) =>
      fileAndFlags(
        i,
        { cidr: i.flags.cidr, gateway: i.flags.gateway, tenants: commaList(i.flags.tenants), description: i.flags.description },
        // The API judges the body (the file's fields are not the CLI's to check).
        (body) => ({ call: 'putPrivateNetwork', params: { name: arg(i, 'NAME') }, body: calls.putPrivateNetwork.body(body as Parameters<typeof calls.putPrivateNetwork.body>[0]) }),
        { view: 'adminPrivateNetwork' },
      ),
  },
  {
    verb: 'delete',
    noun: 'private-network',
    aliases: ['private-networks'],
    args: [{ name: 'NAME' }],
    admin: true,
    summary: 'delete a private network no project is attached to',
    plan: (i) => ({ kind: 'call', request: { call: 'deletePrivateNetwork', params: { name: arg(i, 'NAME') } }, show: { message: () => `private-network/${arg(i, 'NAME')} deleted` } }),
  },

  {
    verb: 'get',
    noun: 'tenants',
    aliases: ['tenant'],
    args: [{ name: 'NAME', optional: true }],
    admin: true,
    summary: 'list the tenants, or show one',
    plan: (i) =>
      i.args.NAME !== undefined ? { kind: 'call', request: { call: 'getTenant', params: { tenant: arg(i, 'NAME') } }, show: { view: 'tenant' } } : list('listTenants', 'tenants', 'tenants'),
  },
  {
    verb: 'create',
    noun: 'tenant',
    aliases: ['tenants'],
    args: [{ name: 'NAME' }],
    options: ['display-name', 'max-projects', 'project-pool'],
    admin: true,
    summary: 'create a tenant (then a token for it: create token)',
    plan: (i) => {
      const body = calls.createTenant.body({
        name: arg(i, 'NAME'),
        displayName: i.flags['display-name'],
        maxProjects: integer('max-projects', i.flags['max-projects'], 6),
        projectPool: i.flags['project-pool'],
      });
      return { kind: 'call', request: { call: 'createTenant', body }, show: { message: () => `tenant/${arg(i, 'NAME')} created` } };
    },
  },
  {
    verb: 'update',
    noun: 'tenant',
    aliases: ['tenants'],
    args: [{ name: 'NAME' }],
    options: ['display-name', 'max-projects', 'max-addresses', 'project-pool', 'hostname-suffixes', 'import-namespaces'],
    admin: true,
    summary: "change a tenant's display name, quotas, project pool, hostname suffixes or import namespaces (the flags given; the rest stays)",
    plan: tenantPatch,
  },
  {
    verb: 'delete',
    noun: 'tenant',
    aliases: ['tenants'],
    args: [{ name: 'NAME' }],
    admin: true,
    summary: 'delete a tenant without projects, and its tokens',
    plan: (i) => ({ kind: 'call', request: { call: 'deleteTenant', params: { tenant: arg(i, 'NAME') } }, show: { message: () => `tenant/${arg(i, 'NAME')} deleted` } }),
  },

  {
    verb: 'get',
    noun: 'tokens',
    aliases: ['token'],
    options: tenantOpt,
    required: tenantOpt,
    admin: true,
    summary: "a tenant's tokens (never the tokens themselves)",
    plan: (i) => list('listTenantTokens', 'tokens', 'tokens', { tenant: flag(i, 'tenant') }),
  },
  {
    verb: 'create',
    noun: 'token',
    aliases: ['tokens'],
    args: [{ name: 'NAME' }],
    options: tenantOpt,
    required: tenantOpt,
    admin: true,
    summary: 'issue a tenant token: the token alone on stdout (or in -o json), this once',
    plan: (i) => ({
      kind: 'call',
      request: { call: 'createTenantToken', params: { tenant: flag(i, 'tenant') }, body: calls.createTenantToken.body(arg(i, 'NAME')) },
      show: {
        message: (b) => bodyField(b, 'token'),
        note: (b) => `token ${bodyField(b, 'id')} of tenant ${flag(i, 'tenant')} created; the token (on stdout) is shown this once: store it now`,
      },
    }),
  },
  {
    verb: 'delete',
    noun: 'token',
    aliases: ['tokens'],
    args: [{ name: 'ID' }],
    options: tenantOpt,
    required: tenantOpt,
    admin: true,
    summary: 'revoke a tenant token (at once)',
    plan: (i) => ({
      kind: 'call',
      request: { call: 'revokeTenantToken', params: { tenant: flag(i, 'tenant'), id: arg(i, 'ID') } },
      show: { message: () => `token/${arg(i, 'ID')} revoked` },
    }),
  },

  {
    verb: 'get',
    noun: 'pools',
    aliases: ['pool'],
    args: [{ name: 'NAME', optional: true }],
    admin: true,
    summary: 'the address pools with their utilisation, or one',
    plan: (i) =>
      list(
        'listPools',
        'pools',
        'pools',
        undefined,
        i.args.NAME !== undefined ? { name: i.args.NAME, what: `pool ${i.args.NAME}`, keyOf: (p: unknown) => (p as PoolStatus).pool.name, view: 'pool' } : undefined,
      ),
  },
  {
    verb: 'put',
    noun: 'pool',
    aliases: ['pools'],
    args: [{ name: 'NAME' }],
    options: ['file', 'kind', 'prefixes', 'ranges', 'reserved', 'presets', 'default-prefix-length', 'min-prefix-length', 'max-prefix-length'],
    admin: true,
    summary: 'create or replace an address pool, from a file (-f) and/or flags',
    plan: (i) =>
      fileAndFlags(
        i,
        poolFlags(i),
        // The API judges the body (the file's fields are not the CLI's to check).
        (body) => ({ call: 'putPool', params: { pool: arg(i, 'NAME') }, body: calls.putPool.body(body as Parameters<typeof calls.putPool.body>[0]) }),
        { view: 'pool' },
      ),
  },
  {
    verb: 'delete',
    noun: 'pool',
    aliases: ['pools'],
    args: [{ name: 'NAME' }],
    admin: true,
    summary: 'delete an address pool that holds no allocation',
    plan: (i) => ({ kind: 'call', request: { call: 'deletePool', params: { pool: arg(i, 'NAME') } }, show: { message: () => `pool/${arg(i, 'NAME')} deleted` } }),
  },
];
