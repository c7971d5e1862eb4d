import { calls, type NewExposure } from './calls';
import { UsageError } from './exit';
import { arg, bodyField, commaList, flag, integer, list, waitOf, withWait, type CommandSpec, type Input, type Plan } from './plan';

// What a project shares and is shared: Service mappings (host ↔ virtual cluster), exposures with
// their grants (the exporter's side), imports (the consumer's side: accept, decline).

const projectOpt = ['project'] as const;
const protocols = ['TCP', 'UDP', 'SCTP'] as const;

/** `5432`, `53/udp`, `5432,53/UDP` as ports; the protocol upper-cased (the API's spelling), TCP when absent. */
export function portsOf(text: string): NewExposure['ports'] {
  const items = commaList(text) ?? [];
  if (items.length === 0) throw new UsageError('--ports needs at least one PORT[/PROTOCOL]');
  return items.map((item) => {
    const [port, protocol, extra] = item.split('/');
    const number = integer('ports', port, 5);
    if (number === undefined || extra !== undefined) throw new UsageError(`--ports: "${item}" is not PORT[/PROTOCOL]`);
    if (protocol === undefined) return { port: number };
    const upper = protocol.toUpperCase() as (typeof protocols)[number];
    if (!protocols.includes(upper)) throw new UsageError(`--ports: the protocol of "${item}" must be one of ${protocols.join(', ')}`);
    return { port: number, protocol: upper };
  });
}

/** `TENANT/PROJECT`: a grant's consumer as the revoke path wants it (both parts, as `get grants` shows them). */
export function consumerOf(ref: string): { consumerTenant: string; consumerProject: string } {
  const parts = ref.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UsageError(`give the consumer as TENANT/PROJECT (as "get grants" shows it), not "${ref}"`);
  return { consumerTenant: parts[0], consumerProject: parts[1] };
}

/** `TENANT/PROJECT/EXPOSURE`: an import as `get imports` shows it. */
export function importOf(ref: string): { exporterTenant: string; exporterProject: string; exposure: string } {
  const parts = ref.split('/');
  if (parts.length !== 3 || parts.some((p) => !p)) throw new UsageError(`give the import as TENANT/PROJECT/EXPOSURE (as "get imports" shows it), not "${ref}"`);
  return { exporterTenant: parts[0]!, exporterProject: parts[1]!, exposure: parts[2]! };
}

function createMapping(i: Input): Plan {
  const project = flag(i, 'project');
  const { direction, from, to, values } = i.flags;
  const show = { view: 'mappings' as const };
  // The mapping the API answers (in a list of one) is polled by its id.
  const wait = waitOf(i, { kind: 'mapping', request: { call: 'getMapping', params: { project } }, fromAnswer: { id: 'items.0.id' }, until: 'ready' });
  if (values !== undefined) {
    if (direction !== undefined || from !== undefined || to !== undefined) throw new UsageError('give --values FILE or --direction, --from and --to, not both');
    if (wait) throw new UsageError('--wait waits for one mapping (--direction, --from and --to), not a values file');
    return { kind: 'call-with-file', path: values, request: (text) => ({ call: 'createMappings', params: { project }, body: calls.createMappings.body({ values: text }) }), show };
  }
  if (direction === undefined || from === undefined || to === undefined) throw new UsageError('"create mapping" needs --direction, --from and --to (or --values FILE)');
  // One of the flag's choices: the parser checked it.
  const body = calls.createMappings.body({ direction: direction as 'fromHost' | 'fromVirtual', from, to });
  return { kind: 'call', request: { call: 'createMappings', params: { project }, body }, show, ...withWait(wait) };
}

export const sharingCommands: readonly CommandSpec[] = [
  {
    verb: 'get',
    noun: 'mappings',
    aliases: ['mapping'],
    args: [{ name: 'ID', optional: true }],
    options: projectOpt,
    required: projectOpt,
    summary: "a project's Service mappings, or one",
    plan: (i) =>
      i.args.ID !== undefined
        ? { kind: 'call', request: { call: 'getMapping', params: { project: flag(i, 'project'), id: arg(i, 'ID') } }, show: { view: 'mapping' } }
        : list('listMappings', 'mappings', 'mappings', { project: flag(i, 'project') }),
  },
  {
    verb: 'create',
    noun: 'mapping',
    aliases: ['mappings'],
    options: ['project', 'direction', 'from', 'to', 'values', 'wait', 'timeout'],
    required: projectOpt,
    summary: 'map a Service between the host namespace and the virtual cluster (again: nothing changes); --wait: until the mapper has made it',
    plan: createMapping,
  },
  {
    verb: 'delete',
    noun: 'mapping',
    aliases: ['mappings'],
    args: [{ name: 'ID' }],
    options: projectOpt,
    required: projectOpt,
    summary: 'delete a Service mapping (the mapper removes what it made)',
    plan: (i) => ({
      kind: 'call',
      request: { call: 'deleteMapping', params: { project: flag(i, 'project'), id: arg(i, 'ID') } },
      show: { message: () => `mapping/${arg(i, 'ID')} deletion requested` },
    }),
  },

  {
    verb: 'get',
    noun: 'exposures',
    aliases: ['exposure'],
    args: [{ name: 'NAME', optional: true }],
    options: projectOpt,
    required: projectOpt,
    summary: "a project's exposures with their grants, or one",
    plan: (i) =>
      i.args.NAME !== undefined
        ? { kind: 'call', request: { call: 'getExposure', params: { project: flag(i, 'project'), name: arg(i, 'NAME') } }, show: { view: 'exposure' } }
        : list('listExposures', 'exposures', 'exposures', { project: flag(i, 'project') }),
  },
  {
    verb: 'create',
    noun: 'exposure',
    aliases: ['exposures'],
    args: [{ name: 'NAME', optional: true }],
    options: ['project', 'service', 'ports', 'pool', 'share-with', 'entry-name', 'grants', 'wait', 'timeout'],
    required: ['project', 'service', 'ports'],
    summary: "expose a Service on an external address to other projects (NAME default: the Service's; --wait until it has its address)",
    plan: (i) => {
      const body = calls.createExposure.body({
        name: i.args.NAME,
        service: flag(i, 'service'),
        ports: portsOf(flag(i, 'ports')),
        // One of the flag's choices: the parser checked it.
        pool: i.flags.pool as 'cloud' | 'public' | undefined,
        shareWith: i.flags['share-with'],
        entryName: i.flags['entry-name'],
        grants: commaList(i.flags.grants),
      });
      const project = flag(i, 'project');
      return {
        kind: 'call',
        request: { call: 'createExposure', params: { project }, body },
        show: { message: (b) => `exposure/${bodyField(b, 'name')} created` },
        // The name the API gave it (NAME, or the Service's).
        ...withWait(waitOf(i, { kind: 'exposure', request: { call: 'getExposure', params: { project } }, fromAnswer: { name: 'name' }, until: 'ready' })),
      };
    },
  },
  {
    verb: 'delete',
    noun: 'exposure',
    aliases: ['exposures'],
    args: [{ name: 'NAME' }],
    options: projectOpt,
    required: projectOpt,
    summary: 'delete an exposure and its grants (the exposer removes the address and the entries)',
    plan: (i) => ({
      kind: 'call',
      request: { call: 'deleteExposure', params: { project: flag(i, 'project'), name: arg(i, 'NAME') } },
      show: { message: () => `exposure/${arg(i, 'NAME')} deletion requested` },
    }),
  },

  {
    verb: 'get',
    noun: 'grants',
    aliases: ['grant'],
    options: ['project', 'exposure'],
    required: projectOpt,
    summary: "the grants a project gave, of every exposure or of one (what it was given: get imports)",
    plan: (i) =>
      i.flags.exposure !== undefined
        ? { kind: 'call', request: { call: 'getExposure', params: { project: flag(i, 'project'), name: flag(i, 'exposure') } }, show: { view: 'exposureGrants' } }
        : list('listExposures', 'grants', 'grants', { project: flag(i, 'project') }),
  },
  {
    verb: 'create',
    noun: 'grant',
    aliases: ['grants'],
    args: [{ name: 'CONSUMER' }],
    options: ['project', 'exposure'],
    required: ['project', 'exposure'],
    summary: "give a project access to an exposure: PROJECT (the tenant's, accepted at once) or TENANT/PROJECT (pending until accepted)",
    plan: (i) => ({
      kind: 'call',
      request: { call: 'addGrant', params: { project: flag(i, 'project'), name: flag(i, 'exposure') }, body: calls.addGrant.body(arg(i, 'CONSUMER')) },
      show: { message: (b) => `grant of exposure/${flag(i, 'exposure')} to ${bodyField(b, 'project')}: ${bodyField(b, 'state')}` },
    }),
  },
  {
    verb: 'delete',
    noun: 'grant',
    aliases: ['grants'],
    args: [{ name: 'CONSUMER' }],
    options: ['project', 'exposure'],
    required: ['project', 'exposure'],
    summary: 'revoke a grant (pending or accepted), CONSUMER as TENANT/PROJECT',
    plan: (i) => ({
      kind: 'call',
      request: { call: 'revokeGrant', params: { project: flag(i, 'project'), name: flag(i, 'exposure'), ...consumerOf(arg(i, 'CONSUMER')) } },
      show: { message: () => `grant of exposure/${flag(i, 'exposure')} to ${arg(i, 'CONSUMER')} revoked` },
    }),
  },

  {
    verb: 'get',
    noun: 'imports',
    aliases: ['import'],
    options: projectOpt,
    required: projectOpt,
    summary: 'what other projects expose to a project: offers to accept, and accepted imports',
    plan: (i) => list('listImports', 'imports', 'imports', { project: flag(i, 'project') }),
  },
  {
    verb: 'accept',
    noun: 'import',
    aliases: ['imports'],
    args: [{ name: 'TENANT/PROJECT/EXPOSURE' }],
    options: projectOpt,
    required: projectOpt,
    summary: "accept another project's grant: the project gets the exposure's entry (again: nothing changes)",
    plan: (i) => ({
      kind: 'call',
      request: { call: 'acceptImport', params: { project: flag(i, 'project'), ...importOf(arg(i, 'TENANT/PROJECT/EXPOSURE')) } },
      show: { message: (b) => `import/${arg(i, 'TENANT/PROJECT/EXPOSURE')} accepted (${bodyField(b, 'reason')})` },
    }),
  },
  {
    verb: 'decline',
    noun: 'import',
    aliases: ['imports'],
    args: [{ name: 'TENANT/PROJECT/EXPOSURE' }],
    options: projectOpt,
    required: projectOpt,
    summary: 'decline an offer, or leave an accepted import (the grant is deleted)',
    plan: (i) => ({
      kind: 'call',
      request: { call: 'declineImport', params: { project: flag(i, 'project'), ...importOf(arg(i, 'TENANT/PROJECT/EXPOSURE')) } },
      show: { message: () => `import/${arg(i, 'TENANT/PROJECT/EXPOSURE')} declined` },
    }),
  },
];
