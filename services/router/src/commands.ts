import { randomBytes } from 'node:crypto';
import type {
  PeeringRecord,
  PrivateNetworkRecord,
  ProjectRoutesRecord} from '@netbroker/contracts';
import {
  projectKey,
  routerSubjects,
  type PeeringEvent,
  type PeeringState,
  type RouteEvent,
  type RouterCommand,
  type RouterError,
  type RouterReply,
} from '@netbroker/contracts';
import { isIpamRefused, type Facts, type IpamClient, type JsonKv } from '@netbroker/bus';
import { addRoutes, givenLink, linkSides, removeRoutes, sideKey, validateAttachment, validateDetach, validatePeering, validatePrivateNetwork, validateRoutes } from '@netbroker/translate';
import type { Logger } from '@netbroker/runtime';
import type { RouterState } from './state';

// The writer's answers: each command decided on one snapshot and written with compare-and-set,
// one command at a time, so two racing requests are decided in order. A refusal writes nothing.

export interface RouterStore {
  routes: JsonKv<typeof ProjectRoutesRecord>;
  peerings: JsonKv<typeof PeeringRecord>;
  networks: JsonKv<typeof PrivateNetworkRecord>;
}

export interface CommandDeps {
  state: RouterState;
  store: RouterStore;
  ipam: Pick<IpamClient, 'allocate' | 'release'>;
  facts: Pick<Facts, 'publish'>;
  link: { pool: string; prefixLength: number };
  now: () => Date;
  logger: Logger;
  newId?: () => string;
}

type Refusal = { ok: false; error: RouterError };
const refused = (r: Refusal): RouterReply => ({ ok: false, error: r.error });
/** Answers kept for repeated request ids. */
const ANSWERS_KEPT = 10_000;
const newPeeringId = () => `pr-${randomBytes(6).toString('hex')}`;

/** Serialises async work: each runs after the one before it has finished. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class RouterCommands {
  get store(): RouterStore {
    return this.deps.store;
  }

  constructor(
    private readonly deps: CommandDeps,
    /** Shared with the reconcilers' writes. */
    readonly serial: Serial,
  ) {}

  /** The last answers by request id, oldest first (a Map keeps insertion order). */
  private readonly answered = new Map<string, RouterReply>();

  handle(cmd: RouterCommand): Promise<RouterReply> {
    return this.serial.run(async () => {
      const id = cmd.requestId;
      const before = id === undefined ? undefined : this.answered.get(id);
      if (before) return before;
      const reply = await this.decide(cmd);
      if (id !== undefined) {
        this.answered.set(id, reply);
        if (this.answered.size > ANSWERS_KEPT) this.answered.delete(this.answered.keys().next().value!);
      }
      return reply;
    });
  }

  private async decide(cmd: RouterCommand): Promise<RouterReply> {
    // A read barrier: the decision sees every write acknowledged before the command (a project
    // provisioned a moment ago, another replica's last write before a failover).
    await this.deps.state.catchUp();
    switch (cmd.op) {
      case 'routes':
        return this.routes(cmd);
      case 'attach':
      case 'detach':
        return this.attachment(cmd);
      case 'peering.create':
        return this.createPeering(cmd);
      case 'peering.accept':
        return this.acceptPeering(cmd);
      case 'peering.delete':
        return this.deletePeering(cmd);
      case 'network.put':
        return this.putNetwork(cmd);
      case 'network.delete':
        return this.deleteNetwork(cmd);
    }
  }

  // --- routes and attachments ---------------------------------------------------------------

  /** The project's record as the snapshot has it, or why the tenant cannot touch it. */
  private projectOf(tenant: string, project: string) {
    const key = projectKey(tenant, project);
    const snapshot = this.deps.state.snapshot();
    const p = snapshot.projects.get(key);
    if (!p) {
      const known = this.deps.state.sources.statuses.get(key) !== undefined && !this.deps.state.deleting().has(key);
      return { key, snapshot, refusal: known ? fail('project-not-ready', `project ${project} has no CIDR yet`) : fail('unknown-project', `project ${project} does not exist`) };
    }
    return { key, snapshot, project: p };
  }

  private async routes(cmd: Extract<RouterCommand, { op: 'routes' }>): Promise<RouterReply> {
    const { key, snapshot, project, refusal } = this.projectOf(cmd.tenant, cmd.project);
    if (!project) return refused(refusal);
    const next = cmd.mode === 'replace' ? cmd.routes : cmd.mode === 'add' ? addRoutes(project.routes, cmd.routes) : removeRoutes(project.routes, cmd.routes);
    const checked = validateRoutes(snapshot, key, next);
    if (!checked.ok) return refused({ ok: false, error: requestIndex(checked.error, cmd.mode, project.routes.length) });
    return this.writeRoutes(cmd, key, { routes: checked.value, attachments: project.attachments });
  }

  private async attachment(cmd: Extract<RouterCommand, { op: 'attach' | 'detach' }>): Promise<RouterReply> {
    const { key, snapshot, project, refusal } = this.projectOf(cmd.tenant, cmd.project);
    if (!project) return refused(refusal);
    if (cmd.op === 'detach') {
      const checked = validateDetach(snapshot, key, cmd.network);
      if (!checked.ok) return refused(checked);
      return this.writeRoutes(cmd, key, { routes: project.routes, attachments: project.attachments.filter((a) => a.network !== cmd.network) });
    }
    const checked = validateAttachment(snapshot, key, cmd.network, cmd.tenant, cmd.address);
    if (!checked.ok) return refused(checked);
    const others = project.attachments.filter((a) => a.network !== cmd.network);
    return this.writeRoutes(cmd, key, { routes: project.routes, attachments: [...others, checked.value].sort((a, b) => a.network.localeCompare(b.network)) });
  }

  /** Writes the project's routes record unless it already holds exactly this (then nothing is written). */
  private async writeRoutes(cmd: { actor: string; tenant: string; project: string }, key: string, next: Pick<ProjectRoutesRecord, 'routes' | 'attachments'>): Promise<RouterReply> {
    const { store, state, now } = this.deps;
    const current = await store.routes.get(key);
    if (current && JSON.stringify([current.value.routes, current.value.attachments]) === JSON.stringify([next.routes, next.attachments])) return { ok: true, routes: current.value };
    if (!current && next.routes.length === 0 && next.attachments.length === 0) return { ok: true, routes: { v: 1, tenant: cmd.tenant, project: cmd.project, ...next, updatedAt: now().toISOString(), updatedBy: cmd.actor } };
    const record: ProjectRoutesRecord = { v: 1, tenant: cmd.tenant, project: cmd.project, ...next, updatedAt: now().toISOString(), updatedBy: cmd.actor };
    const revision = current ? await store.routes.update(key, record, current.revision) : await store.routes.create(key, record);
    await state.sources.routes.waitFor(revision);
    const fact: RouteEvent = { v: 1, tenant: cmd.tenant, project: cmd.project, routes: record.routes.length, attachments: record.attachments.map((a) => a.network), actor: cmd.actor };
    await this.deps.facts.publish(routerSubjects.routesChanged, fact, `route:${key}:${revision}`);
    return { ok: true, routes: record };
  }

  // --- peerings ---------------------------------------------------------------------------------

  private async createPeering(cmd: Extract<RouterCommand, { op: 'peering.create' }>): Promise<RouterReply> {
    const requester = { tenant: cmd.tenant, project: cmd.project };
    const accepter = { tenant: cmd.peer.tenant, project: cmd.peer.project };
    const { snapshot, project, refusal } = this.projectOf(cmd.tenant, cmd.project);
    if (!project) return refused(refusal);
    const check = validatePeering(snapshot, { requester: sideKey(requester), accepter: sideKey(accepter), ...(cmd.localConnectIP !== undefined ? { localConnectIP: cmd.localConnectIP } : {}) });
    if (!check.ok) return refused(check);
    const id = (this.deps.newId ?? newPeeringId)();
    const at = this.deps.now().toISOString();
    const sameTenant = requester.tenant === accepter.tenant;
    let record: PeeringRecord = {
      v: 1,
      id,
      requester,
      accepter,
      state: 'PendingAcceptance',
      ...(cmd.localConnectIP !== undefined ? { localConnectIP: cmd.localConnectIP } : {}),
      conditions: [{ type: 'Accepted', status: 'False', reason: 'PendingAcceptance', message: `waiting for tenant ${accepter.tenant} to accept`, lastTransitionTime: at }],
      createdAt: at,
      createdBy: cmd.actor,
    };
    if (sameTenant) {
      const accepted = await this.accepted(record, cmd.actor);
      if (!accepted.ok) return refused(accepted);
      record = accepted.value;
    }
    let revision: number;
    try {
      revision = await this.deps.store.peerings.create(id, record);
    } catch (e) {
      await this.releaseLink(record);
      throw e;
    }
    await this.deps.state.sources.peerings.waitFor(revision);
    await this.fact(routerSubjects.peeringRequested, record, cmd.actor, revision);
    if (sameTenant) await this.fact(routerSubjects.peeringAccepted, record, cmd.actor, revision);
    return { ok: true, peering: record };
  }

  /** The record accepted: its link (given, or from the link pool) and state Programming. */
  private async accepted(record: PeeringRecord, actor: string): Promise<{ ok: true; value: PeeringRecord } | Refusal> {
    const at = this.deps.now().toISOString();
    let link: PeeringRecord['link'];
    if (record.localConnectIP !== undefined) {
      const given = givenLink(record.localConnectIP);
      if (!given) return fail('invalid-link-address', `localConnectIP ${record.localConnectIP} is not a host address of a /30 or /31`);
      link = { ...given, allocated: false };
    } else {
      try {
        const allocation = await this.deps.ipam.allocate({ requestId: `${record.id}:link`, pool: this.deps.link.pool, prefixLength: this.deps.link.prefixLength, owner: { tenant: record.requester.tenant, purpose: `link:${record.id}` } });
        const sides = linkSides(allocation.cidr);
        if (!sides) throw new Error(`the link pool ${this.deps.link.pool} answered ${allocation.cidr}, not a /30 or /31`);
        link = { cidr: allocation.cidr, ...sides, allocated: true };
      } catch (e) {
        if (isIpamRefused(e, 'exhausted')) return fail('link-pool-exhausted', `no /${this.deps.link.prefixLength} is left in the link pool ${this.deps.link.pool}`);
        throw e;
      }
    }
    return {
      ok: true,
      value: {
        ...record,
        state: 'Programming',
        link,
        conditions: [
          { type: 'Accepted', status: 'True', reason: 'Accepted', message: `accepted by ${actor}`, lastTransitionTime: at },
          { type: 'Programmed', status: 'False', reason: 'Programming', message: 'the backends are programming the link and routes', lastTransitionTime: at },
        ],
        acceptedAt: at,
        acceptedBy: actor,
      },
    };
  }

  /** A peering the tenant is a side of, or unknown-peering (another tenant's peering does not exist for it). */
  private async visiblePeering(tenant: string, id: string) {
    const found = await this.deps.store.peerings.get(id);
    if (!found || (found.value.requester.tenant !== tenant && found.value.accepter.tenant !== tenant)) return undefined;
    return found;
  }

  private async acceptPeering(cmd: Extract<RouterCommand, { op: 'peering.accept' }>): Promise<RouterReply> {
    const found = await this.visiblePeering(cmd.tenant, cmd.id);
    if (!found) return refused(fail('unknown-peering', `peering ${cmd.id} does not exist`));
    const p = found.value;
    if (p.accepter.tenant !== cmd.tenant) return refused(fail('not-acceptable', `only tenant ${p.accepter.tenant} accepts peering ${p.id}`));
    if (p.state !== 'PendingAcceptance') {
      if (p.state === 'Deleting' || p.state === 'Failed') return refused(fail('not-acceptable', `peering ${p.id} is ${p.state}`));
      return { ok: true, peering: p }; // accepted already: accepting again changes nothing
    }
    const check = validatePeering(this.deps.state.snapshot(), { requester: sideKey(p.requester), accepter: sideKey(p.accepter), id: p.id, ...(p.localConnectIP !== undefined ? { localConnectIP: p.localConnectIP } : {}) });
    if (!check.ok) return refused(check);
    const accepted = await this.accepted(p, cmd.actor);
    if (!accepted.ok) return refused(accepted);
    let revision: number;
    try {
      revision = await this.deps.store.peerings.update(p.id, accepted.value, found.revision);
    } catch (e) {
      await this.releaseLink(accepted.value);
      throw e;
    }
    await this.deps.state.sources.peerings.waitFor(revision);
    await this.fact(routerSubjects.peeringAccepted, accepted.value, cmd.actor, revision);
    return { ok: true, peering: accepted.value };
  }

  private async deletePeering(cmd: Extract<RouterCommand, { op: 'peering.delete' }>): Promise<RouterReply> {
    const found = await this.visiblePeering(cmd.tenant, cmd.id);
    if (!found) return refused(fail('unknown-peering', `peering ${cmd.id} does not exist`));
    if (found.value.state === 'Deleting') return { ok: true, peering: found.value };
    const record = await this.setState(found, 'Deleting', 'DeletionRequested', `deletion asked for by ${cmd.actor}`, cmd.actor);
    return { ok: true, peering: record };
  }

  /** A peering's new state, written with compare-and-set, and its fact. Shared with the reconciler. */
  async setState(found: { value: PeeringRecord; revision: number }, state: PeeringState, reason: string, message: string, actor: string): Promise<PeeringRecord> {
    const at = this.deps.now().toISOString();
    const conditions = found.value.conditions.filter((c) => c.type !== 'Deleting');
    if (state === 'Deleting') conditions.push({ type: 'Deleting', status: 'True', reason, message, lastTransitionTime: at });
    const record: PeeringRecord = { ...found.value, state, conditions };
    const revision = await this.deps.store.peerings.update(record.id, record, found.revision);
    await this.deps.state.sources.peerings.waitFor(revision);
    await this.fact(routerSubjects.peeringStateChanged, record, actor, revision, reason);
    return record;
  }

  /** Releases a peering's link if it came from the pool. Releasing twice is harmless. */
  async releaseLink(record: PeeringRecord): Promise<void> {
    if (record.link?.allocated) await this.deps.ipam.release({ pool: this.deps.link.pool, cidr: record.link.cidr });
  }

  async fact(subject: string, p: PeeringRecord, actor: string, revision: number, reason?: string): Promise<void> {
    const fact: PeeringEvent = { v: 1, id: p.id, requester: p.requester, accepter: p.accepter, state: p.state, actor, ...(reason !== undefined ? { reason } : {}) };
    await this.deps.facts.publish(subject, fact, `peering:${p.id}:${revision}:${subject}`);
  }

  // --- private networks ---------------------------------------------------------------------

  private async putNetwork(cmd: Extract<RouterCommand, { op: 'network.put' }>): Promise<RouterReply> {
    const checked = validatePrivateNetwork(this.deps.state.snapshot(), cmd.spec);
    if (!checked.ok) return refused(checked);
    const { store, state } = this.deps;
    const record: PrivateNetworkRecord = { ...cmd.spec, v: 1 };
    const current = await store.networks.get(cmd.spec.name);
    if (current && JSON.stringify(current.value) === JSON.stringify(record)) return { ok: true, network: current.value };
    const revision = current ? await store.networks.update(cmd.spec.name, record, current.revision) : await store.networks.create(cmd.spec.name, record);
    await state.sources.networks.waitFor(revision);
    return { ok: true, network: record };
  }

  private async deleteNetwork(cmd: Extract<RouterCommand, { op: 'network.delete' }>): Promise<RouterReply> {
    const { store, state } = this.deps;
    const current = await store.networks.get(cmd.name);
    if (!current) return refused(fail('unknown-private-network', `private network ${cmd.name} does not exist`));
    const users = [...state.sources.routes.entries()].filter(([, r]) => r.attachments.some((a) => a.network === cmd.name)).map(([k]) => k.replace('.', '/'));
    if (users.length > 0) return refused(fail('private-network-in-use', `private network ${cmd.name} is attached to ${users.slice(0, 5).join(', ')}${users.length > 5 ? ` and ${users.length - 5} more` : ''}`));
    await store.networks.delete(cmd.name, current.revision);
    await state.catchUp();
    return { ok: true, network: current.value };
  }
}

const fail = (reason: RouterError['reason'], message: string): Refusal => ({ ok: false, error: { reason, message } });

/**
 * A refusal's route index as the request numbers it: validation numbers the whole new list, which
 * for `add` is the current routes followed by the request's, and for `remove` holds none of the
 * request's (the index is dropped). A route at fault that was there before has no request index.
 */
export function requestIndex(error: RouterError, mode: 'replace' | 'add' | 'remove', current: number): RouterError {
  if (error.index === undefined || mode === 'replace') return error;
  const { index, ...rest } = error;
  return mode === 'add' && index >= current ? { ...rest, index: index - current } : rest;
}
