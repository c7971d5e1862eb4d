import type { Route } from '@netbroker/contracts';
import { adminCommands } from './admin';
import { calls } from './calls';
import { UsageError } from './exit';
import { arg, bodyField, flag, integer, list, waitOf, withWait, type CommandSpec, type Input } from './plan';
import { sharingCommands } from './sharing';
import type { Until } from './wait';

// The commands, as a table: words, arguments, flags, and a pure `plan` from the parsed command
// line to what to do (requests to make, how to show the answer). The runner (run.ts) carries a
// plan out; help, completion and the tests read this table.

export type { ArgSpec, CommandSpec, Input, Plan, Show } from './plan';

export const VERSION = '0.1.0';

/** Waiting on a project: polled with GET /v1/projects/{name}. */
const projectWait = (i: Input, project: string, until: Until) => withWait(waitOf(i, { kind: 'project', request: { call: 'getProject', params: { project } }, until }));

/** `DEST via NEXTHOP [DEST via NEXTHOP ...]` as routes; `none`: the --none of `replace routes` (undefined: no such flag). */
export function routesOf(rest: string[], none?: boolean): Route[] {
  if (none) {
    if (rest.length) throw new UsageError('give routes or --none, not both');
    return [];
  }
  if (rest.length === 0 || rest.length % 3 !== 0) throw new UsageError(`give routes as DESTINATION via NEXTHOP (one or more)${none === false ? ', or --none' : ''}`);
  const routes: Route[] = [];
  for (let i = 0; i < rest.length; i += 3) {
    if (rest[i + 1] !== 'via') throw new UsageError(`expected "via" after ${rest[i]}, got "${rest[i + 1]}"`);
    routes.push({ destination: rest[i]!, nexthop: rest[i + 2]! });
  }
  return routes;
}

const projectOpt = ['project'] as const;

export const commands: readonly CommandSpec[] = [
  {
    verb: 'login',
    options: ['api', 'token', 'token-file', 'skip-check'],
    summary: 'save a context (API URL and token; default name "default") and make it the current one',
    plan: ({ flags }) => ({ kind: 'login', api: flags.api, token: flags.token, tokenFile: flags['token-file'], context: flags.context ?? 'default', check: !flags['skip-check'] }),
  },
  { verb: 'config', noun: 'get-contexts', summary: 'list the contexts (never their tokens)', plan: () => ({ kind: 'get-contexts' }) },
  { verb: 'config', noun: 'current-context', summary: 'print the name of the current context', plan: () => ({ kind: 'current-context' }) },
  { verb: 'config', noun: 'use-context', args: [{ name: 'NAME' }], summary: 'make a context the current one', plan: (i) => ({ kind: 'use-context', name: arg(i, 'NAME') }) },
  { verb: 'config', noun: 'delete-context', args: [{ name: 'NAME' }], summary: 'remove a context', plan: (i) => ({ kind: 'delete-context', name: arg(i, 'NAME') }) },

  {
    verb: 'get',
    noun: 'projects',
    aliases: ['project'],
    args: [{ name: 'NAME', optional: true }],
    summary: 'list the projects, or show one',
    plan: (i) =>
      i.args.NAME !== undefined
        ? { kind: 'call', request: { call: 'getProject', params: { project: arg(i, 'NAME') } }, show: { view: 'project' } }
        : list('listProjects', 'projects', 'projects'),
  },
  {
    verb: 'create',
    noun: 'project',
    aliases: ['projects'],
    args: [{ name: 'NAME' }],
    options: ['egress', 'cidr', 'prefix-length', 'wait', 'timeout'],
    required: ['egress'],
    summary: 'create a project (provisioned asynchronously; --wait until Ready)',
    plan: (i) => {
      const name = arg(i, 'NAME');
      const body = calls.createProject.body({
        name,
        // One of the flag's choices: the parser checked it.
        egress: flag(i, 'egress') as 'cloud' | 'public',
        cidr: i.flags.cidr,
        prefixLength: integer('prefix-length', i.flags['prefix-length']),
      });
      return { kind: 'call', request: { call: 'createProject', body }, show: { message: () => `project/${name} created` }, ...projectWait(i, name, 'ready') };
    },
  },
  {
    verb: 'delete',
    noun: 'project',
    aliases: ['projects'],
    args: [{ name: 'NAME' }],
    options: ['wait', 'timeout'],
    summary: 'request the deletion of a project (torn down asynchronously; --wait until it is gone)',
    plan: (i) => ({
      kind: 'call',
      request: { call: 'deleteProject', params: { project: arg(i, 'NAME') } },
      show: { message: () => `project/${arg(i, 'NAME')} deletion requested` },
      ...projectWait(i, arg(i, 'NAME'), 'gone'),
    }),
  },

  {
    verb: 'get',
    noun: 'peerings',
    aliases: ['peering'],
    args: [{ name: 'ID', optional: true }],
    summary: 'list the peerings the tenant is a side of, or show one',
    plan: (i) =>
      i.args.ID !== undefined ? { kind: 'call', request: { call: 'getPeering', params: { id: arg(i, 'ID') } }, show: { view: 'peering' } } : list('listPeerings', 'peerings', 'peerings'),
  },
  {
    verb: 'create',
    noun: 'peering',
    aliases: ['peerings'],
    options: ['project', 'peer', 'local-connect-ip', 'wait', 'timeout'],
    required: ['project', 'peer'],
    summary: "peer a project with another (another tenant's: pending until that tenant accepts; --wait until Active)",
    plan: (i) => ({
      kind: 'call',
      request: { call: 'createPeering', body: calls.createPeering.body({ project: flag(i, 'project'), peer: flag(i, 'peer'), localConnectIP: i.flags['local-connect-ip'] }) },
      show: { message: (b) => `peering/${bodyField(b, 'id')} created (${bodyField(b, 'state')})` },
      ...withWait(waitOf(i, { kind: 'peering', request: { call: 'getPeering' }, fromAnswer: { id: 'id' }, until: 'ready' })),
    }),
  },
  {
    verb: 'accept',
    noun: 'peering',
    aliases: ['peerings'],
    args: [{ name: 'ID' }],
    options: ['wait', 'timeout'],
    summary: "accept a peering another tenant's project asked for (--wait until Active)",
    plan: (i) => ({
      kind: 'call',
      request: { call: 'acceptPeering', params: { id: arg(i, 'ID') } },
      show: { message: (b) => `peering/${arg(i, 'ID')} accepted (${bodyField(b, 'state')})` },
      ...withWait(waitOf(i, { kind: 'peering', request: { call: 'getPeering', params: { id: arg(i, 'ID') } }, until: 'ready' })),
    }),
  },
  {
    verb: 'delete',
    noun: 'peering',
    aliases: ['peerings'],
    args: [{ name: 'ID' }],
    summary: 'delete a peering (either side)',
    plan: (i) => ({ kind: 'call', request: { call: 'deletePeering', params: { id: arg(i, 'ID') } }, show: { message: () => `peering/${arg(i, 'ID')} deletion requested` } }),
  },

  {
    verb: 'get',
    noun: 'routes',
    aliases: ['route'],
    options: projectOpt,
    required: projectOpt,
    summary: "the static routes of a project's router",
    plan: (i) => ({ kind: 'call', request: { call: 'getRoutes', params: { project: flag(i, 'project') } }, show: { view: 'routes' } }),
  },
  {
    verb: 'add',
    noun: 'route',
    aliases: ['routes'],
    rest: 'DESTINATION via NEXTHOP...',
    options: projectOpt,
    required: projectOpt,
    summary: 'add static routes (one already there is kept); shows the routes now',
    plan: (i) => ({ kind: 'call', request: { call: 'addRoutes', params: { project: flag(i, 'project') }, body: calls.addRoutes.body(routesOf(i.rest)) }, show: { view: 'routes' } }),
  },
  {
    verb: 'replace',
    noun: 'routes',
    aliases: ['route'],
    rest: 'DESTINATION via NEXTHOP...',
    options: ['project', 'none'],
    required: projectOpt,
    summary: 'replace the static routes with these (--none: remove them all); shows the routes now',
    plan: (i) => ({
      kind: 'call',
      request: { call: 'replaceRoutes', params: { project: flag(i, 'project') }, body: calls.replaceRoutes.body(routesOf(i.rest, i.flags.none === true)) },
      show: { view: 'routes' },
    }),
  },
  {
    verb: 'remove',
    noun: 'route',
    aliases: ['routes'],
    rest: 'DESTINATION via NEXTHOP...',
    options: projectOpt,
    required: projectOpt,
    summary: 'remove static routes (one not there is no error); shows the routes now',
    plan: (i) => ({
      kind: 'call',
      request: { call: 'removeRoutes', params: { project: flag(i, 'project') }, body: calls.removeRoutes.body(routesOf(i.rest)) },
      show: { view: 'routes' },
    }),
  },
  {
    verb: 'get',
    noun: 'attachments',
    aliases: ['attachment'],
    options: projectOpt,
    required: projectOpt,
    summary: "the private networks a project's router is attached to",
    plan: (i) => ({ kind: 'call', request: { call: 'getRoutes', params: { project: flag(i, 'project') } }, show: { view: 'attachments' } }),
  },
  {
    verb: 'attach',
    noun: 'network',
    args: [{ name: 'NETWORK' }],
    options: ['project', 'address'],
    required: projectOpt,
    summary: "attach a project's router to a private network shared with the tenant",
    plan: (i) => ({
      kind: 'call',
      request: { call: 'attachPrivateNetwork', params: { project: flag(i, 'project'), network: arg(i, 'NETWORK') }, body: calls.attachPrivateNetwork.body({ address: i.flags.address }) },
      show: { view: 'attachments' },
    }),
  },
  {
    verb: 'detach',
    noun: 'network',
    args: [{ name: 'NETWORK' }],
    options: projectOpt,
    required: projectOpt,
    summary: "detach a project's router from a private network",
    plan: (i) => ({ kind: 'call', request: { call: 'detachPrivateNetwork', params: { project: flag(i, 'project'), network: arg(i, 'NETWORK') } }, show: { view: 'attachments' } }),
  },
  {
    verb: 'get',
    noun: 'vcluster',
    options: projectOpt,
    required: projectOpt,
    summary: "a project's virtual cluster registration and sync status",
    plan: (i) => ({ kind: 'call', request: { call: 'getVCluster', params: { project: flag(i, 'project') } }, show: { view: 'vcluster' } }),
  },
  {
    verb: 'register',
    noun: 'vcluster',
    options: ['project', 'kubeconfig', 'name'],
    required: ['project', 'kubeconfig'],
    summary: "register (or replace) a project's virtual cluster from its kubeconfig file",
    plan: (i) => ({
      kind: 'call-with-file',
      path: flag(i, 'kubeconfig'),
      request: (text) => ({ call: 'registerVCluster', params: { project: flag(i, 'project') }, body: calls.registerVCluster.body({ kubeconfig: text, name: i.flags.name }) }),
      show: { message: () => `vcluster of project ${flag(i, 'project')} registered` },
    }),
  },
  {
    verb: 'delete',
    noun: 'vcluster',
    options: projectOpt,
    required: projectOpt,
    summary: "remove a project's virtual cluster registration",
    plan: (i) => ({
      kind: 'call',
      request: { call: 'deregisterVCluster', params: { project: flag(i, 'project') } },
      show: { message: () => `vcluster of project ${flag(i, 'project')} deregistered` },
    }),
  },
  ...sharingCommands,
  ...adminCommands,

  {
    verb: 'completion',
    args: [{ name: 'SHELL', choices: ['bash', 'zsh'] }],
    summary: 'print a shell completion script (bash or zsh)',
    plan: (i) => ({ kind: 'completion', shell: arg(i, 'SHELL') as 'bash' | 'zsh' }),
  },
  { verb: 'version', summary: 'print the version of the CLI', plan: () => ({ kind: 'print', text: `netbroker ${VERSION}\n` }) },
  { verb: 'help', rest: '[COMMAND]', summary: 'show help for a command', plan: (i) => ({ kind: 'help', words: i.rest }) },
];

/** The words of a command as typed: `get projects`, `login`. */
export const wordsOf = (c: CommandSpec): string => (c.noun ? `${c.verb} ${c.noun}` : c.verb);
