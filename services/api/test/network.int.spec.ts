import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openKv, type JsonKv } from '@netbroker/bus';
import {
  Peering,
  PeeringList,
  PeeringRecord,
  PrivateNetwork,
  PrivateNetworkList,
  PrivateNetworkRecord,
  ProjectDetail,
  ProjectRoutes,
  ProjectRoutesRecord,
  routerBuckets,
  TenantPrivateNetworkList,
} from '@netbroker/contracts';
import { eventually, kubeconfigFile, startNats, startService, type NatsServer, type ServiceProcess } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPools, createTenant, problemOf, runId, startApi, startRouter, type Answer, type ApiUnderTest } from './harness';

// Routes, private networks and peerings through the API, against the real router (the only
// writer of their records), ipam and provisioner (project CIDRs). A nats-server of its own: the
// router's writer lease and `cmd.router.write` are one per NATS, and no other file's router may
// answer here. No router-agent runs: an accepted peering stays Programming, which is all this
// file asserts of its progress.

const shared = inject('stack');
const run = runId();
const A = `neta-${run}`;
const B = `netb-${run}`;
const C = `netc-${run}`;
const D = `netd-${run}`;
const prefix = `net-${run}`;
const linkPool = `${prefix}-links`;
const altPool = `${prefix}-alt`;
const vrack = 'vrack';
const tiny = 'tiny';
/** The api waits this long for the router (retrying) before 503: long enough for a router to start. */
const ROUTER_TIMEOUT_MS = 30_000;
/** A second api replica's bound, to see its 503 soon. */
const SHORT_ROUTER_TIMEOUT_MS = 3_000;
/** Small quotas the refusals reach; a short resync so that a deleted peering goes soon. */
const routerEnv = { MAX_ROUTES: '5', MAX_PEERINGS_PER_PROJECT: '2', LEASE_SECONDS: '2', RESYNC_INTERVAL_MS: '2000' };

let nats: NatsServer;
let t: ApiUnderTest;
let impatient: ApiUnderTest;
let dir: string;
let provisioner: ServiceProcess | undefined;
let router: ServiceProcess | undefined;
let kv: { routes: JsonKv<typeof ProjectRoutesRecord>; peerings: JsonKv<typeof PeeringRecord>; networks: JsonKv<typeof PrivateNetworkRecord> };
const tokens: Record<string, string> = {};
const as = (tenant: string) => t.as(tokens[tenant]!);

/** Every project with the CIDR it asks for; D's twins ask for the same one: one of them never gets it. */
const projects: Array<[string, string, string]> = [
  [A, 'web', '10.80.1.0/24'],
  [A, 'api', '10.80.2.0/24'],
  [A, 'hub', '10.80.10.0/24'],
  [A, 'q', '10.80.30.0/24'],
  [A, 'p1', '10.80.31.0/24'],
  [A, 'p2', '10.80.32.0/24'],
  [A, 'p3', '10.80.33.0/24'],
  [B, 'db', '10.80.3.0/24'],
  [B, 'left', '10.80.20.0/24'],
  // C's projects come from another pool over the same range: C/right overlaps B/left.
  [C, 'spy', '10.80.4.0/24'],
  [C, 'right', '10.80.20.0/24'],
  [D, 'twin1', '10.80.40.0/24'],
  [D, 'twin2', '10.80.40.0/24'],
];
/** The twin of D that got no CIDR (the provisioner's allocation was refused). */
let unready: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-net-'));
  nats = await startNats(dir, () => undefined, `nats-${prefix}`);
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(shared.host!));
  t = await startApi({ natsUrl: nats.url, prefix, env: { ROUTER_TIMEOUT_MS: String(ROUTER_TIMEOUT_MS), LOG_LEVEL: 'warn' } });
  impatient = await startApi({ natsUrl: nats.url, prefix, withIpam: false, replicaOf: t, env: { ROUTER_TIMEOUT_MS: String(SHORT_ROUTER_TIMEOUT_MS), LOG_LEVEL: 'warn' } });
  await createPools(t, { prefixes: ['10.80.0.0/16'], defaultPrefixLength: 24 });
  for (const [pool, spec] of [
    [linkPool, { kind: 'prefix', prefixes: ['198.18.0.0/24'], defaultPrefixLength: 30 }],
    [altPool, { kind: 'prefix', prefixes: ['10.80.0.0/16'], defaultPrefixLength: 24 }],
  ] as const) {
    const res = await t.admin('PUT', `/admin/pools/${pool}`, { body: spec });
    expect(res.status, res.text).toBe(200);
  }
  for (const tenant of [A, B, D]) tokens[tenant] = (await createTenant(t, tenant)).token;
  tokens[C] = (await createTenant(t, C, { projectPool: altPool })).token;
  // Every project before the provisioner runs: D's twins both pass the api's dry run.
  for (const [tenant, name, cidr] of projects) {
    const res = await as(tenant)('POST', '/v1/projects', { body: { name, cidr, egressNetworkType: 'cloud' } });
    expect(res.status, res.text).toBe(202);
  }
  [provisioner, router] = await Promise.all([
    startService({
      service: 'provisioner',
      name: `provisioner-${prefix}`,
      env: {
        NATS_URL: nats.url,
        KUBECONFIG: join(dir, 'host.kubeconfig'),
        DEFAULT_PROJECT_POOL: t.pools.projects,
        EGRESS_POOL_CLOUD: t.pools.cloud,
        EGRESS_POOL_PUBLIC: t.pools.public,
        LOG_LEVEL: 'warn',
      },
    }),
    startRouter(nats.url, `router-${prefix}`, linkPool, routerEnv),
  ]);
  kv = {
    routes: await openKv(t.nc, routerBuckets.routes, ProjectRoutesRecord),
    peerings: await openKv(t.nc, routerBuckets.peerings, PeeringRecord),
    networks: await openKv(t.nc, routerBuckets.privateNetworks, PrivateNetworkRecord),
  };
  await eventually(
    async () => {
      const twins: Array<string | undefined> = [];
      for (const [tenant, name, cidr] of projects) {
        const p = ProjectDetail.parse((await as(tenant)('GET', `/v1/projects/${name}`)).body);
        if (tenant === D) {
          twins.push(p.status.cidr);
          // The loser's status says why it has no CIDR.
          if (p.status.cidr === undefined) expect(p.status.conditions.find((c) => c.type === 'CidrAllocated')?.status).toBe('False');
        } else expect(p.status.cidr, `${tenant}/${name}`).toBe(cidr);
      }
      expect(twins.filter((c) => c !== undefined)).toHaveLength(1);
      unready = twins[0] === undefined ? 'twin1' : 'twin2';
    },
    { timeoutMs: 60_000 },
  );
});

afterAll(async () => {
  await router?.stop();
  await provisioner?.stop();
  await impatient?.stop();
  await t?.stop();
  await nats?.proc.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const expectProblem = (res: Answer, status: number, code: string) => expect({ status: res.status, code: problemOf(res).code }, res.text).toEqual({ status, code });
const routesOf = (res: Answer) => {
  expect(res.status, res.text).toBe(200);
  return ProjectRoutes.parse(res.body);
};
const peeringOf = (res: Answer, status = 200) => {
  expect(res.status, res.text).toBe(status);
  return Peering.parse(res.body);
};
const route = (destination: string, nexthop: string) => ({ destination, nexthop });
/** A peering without its conditions (the router rewrites them as the backends report). */
const settled = ({ conditions: _conditions, ...rest }: Peering) => rest;
/** The three router buckets' last revisions: what a refused request must leave as it is. */
const revisions = async () => ({ routes: await kv.routes.lastRevision(), peerings: await kv.peerings.lastRevision(), networks: await kv.networks.lastRevision() });

/**
 * Once the router has written what it will of the peerings without an agent (the `Programmed`
 * condition `NoAgent` on every accepted one), it writes nothing more until asked.
 */
const peeringsSettled = () =>
  eventually(async () => {
    for (const { value: p } of await kv.peerings.list()) {
      if (p.state !== 'PendingAcceptance') expect(p.conditions.find((c) => c.type === 'Programmed')?.reason, p.id).toBe('NoAgent');
    }
  });

/** Ids of the peerings made below, by pair. */
const ids: Record<string, string> = {};

describe('private networks (admin) and what a tenant sees of them', () => {
  it('creates, reads and lists private networks', async () => {
    const put = await t.admin('PUT', `/admin/private-networks/${vrack}`, {
      body: { cidr: '192.168.100.0/24', gateway: '192.168.100.1', tenants: [A], description: 'vRack VLAN 100' },
    });
    expect(put.status, put.text).toBe(200);
    expect(PrivateNetwork.parse(put.body)).toEqual({ name: vrack, cidr: '192.168.100.0/24', gateway: '192.168.100.1', tenants: [A], description: 'vRack VLAN 100' });
    expect((await t.admin('PUT', `/admin/private-networks/${tiny}`, { body: { cidr: '192.168.99.0/30', gateway: '192.168.99.1', tenants: [A, B] } })).status).toBe(200);
    expect(PrivateNetwork.parse((await t.admin('GET', `/admin/private-networks/${vrack}`)).body).tenants).toEqual([A]);
    expect(PrivateNetworkList.parse((await t.admin('GET', '/admin/private-networks')).body).items.map((n) => n.name)).toEqual([tiny, vrack]);
    expectProblem(await t.admin('GET', '/admin/private-networks/nothing'), 404, 'not-found');
  });

  it('shows a tenant the networks shared with it, without the tenants list', async () => {
    expect(TenantPrivateNetworkList.parse((await as(A)('GET', '/v1/private-networks')).body)).toEqual({
      items: [
        { name: tiny, cidr: '192.168.99.0/30', gateway: '192.168.99.1' },
        { name: vrack, cidr: '192.168.100.0/24', gateway: '192.168.100.1', description: 'vRack VLAN 100' },
      ],
    });
    expect(TenantPrivateNetworkList.parse((await as(B)('GET', '/v1/private-networks')).body).items.map((n) => n.name)).toEqual([tiny]);
    expect((await as(C)('GET', '/v1/private-networks')).body).toEqual({ items: [] });
  });
});

describe('routes and attachments', () => {
  it('answers empty lists for a project the router has written nothing for', async () => {
    expect(routesOf(await as(A)('GET', '/v1/projects/web/routes'))).toEqual({ routes: [], attachments: [] });
    expect(ProjectDetail.parse((await as(A)('GET', '/v1/projects/web')).body).network).toEqual({ routes: 0, attachments: [], peerings: [] });
  });

  it('replaces, adds (duplicates merged) and removes (an absent route is fine)', async () => {
    const r1 = route('192.168.50.0/24', '10.80.1.10');
    const r2 = route('192.168.51.0/24', '10.80.1.10');
    const r3 = route('192.168.52.0/24', '10.80.1.11');
    expect(routesOf(await as(A)('PUT', '/v1/projects/web/routes', { body: { routes: [r1, r1] } })).routes).toEqual([r1]);
    expect(routesOf(await as(A)('POST', '/v1/projects/web/routes:add', { body: { routes: [r1, r2, r3] } })).routes).toEqual([r1, r2, r3]);
    expect(routesOf(await as(A)('POST', '/v1/projects/web/routes:remove', { body: { routes: [r2, route('192.168.53.0/24', '10.80.1.12')] } })).routes).toEqual([r1, r3]);
    // Read back: the GET right after sees the write, and the project shows the count.
    expect(routesOf(await as(A)('GET', '/v1/projects/web/routes')).routes).toEqual([r1, r3]);
    expect(ProjectDetail.parse((await as(A)('GET', '/v1/projects/web')).body).network.routes).toBe(2);
    expect((await kv.routes.get(`${A}.web`))?.value.updatedBy).toBe(`tenant:${A}`);
    expect(routesOf(await as(A)('PUT', '/v1/projects/web/routes', { body: { routes: [] } })).routes).toEqual([]);
  });

  it('attaches a private network at the first free host or a chosen one, and a route may go through its gateway', async () => {
    expect(routesOf(await as(A)('PUT', `/v1/projects/web/attachments/${vrack}`, { body: {} })).attachments).toEqual([{ network: vrack, address: '192.168.100.2' }]);
    expect(routesOf(await as(A)('PUT', `/v1/projects/api/attachments/${vrack}`, { body: { address: '192.168.100.20' } })).attachments).toEqual([
      { network: vrack, address: '192.168.100.20' },
    ]);
    // Attaching again at the same address changes nothing.
    const before = await revisions();
    expect(routesOf(await as(A)('PUT', `/v1/projects/web/attachments/${vrack}`, { body: { address: '192.168.100.2' } })).attachments).toEqual([{ network: vrack, address: '192.168.100.2' }]);
    expect(await revisions()).toEqual(before);
    const viaGateway = route('172.20.0.0/16', '192.168.100.1');
    expect(routesOf(await as(A)('POST', '/v1/projects/web/routes:add', { body: { routes: [viaGateway] } }))).toEqual({
      routes: [viaGateway],
      attachments: [{ network: vrack, address: '192.168.100.2' }],
    });
    expect(ProjectDetail.parse((await as(A)('GET', '/v1/projects/web')).body).network).toMatchObject({ routes: 1, attachments: [{ network: vrack, address: '192.168.100.2' }] });
  });

  it('detaches (detaching again changes nothing)', async () => {
    expect(routesOf(await as(A)('DELETE', `/v1/projects/api/attachments/${vrack}`)).attachments).toEqual([]);
    expect(routesOf(await as(A)('DELETE', `/v1/projects/api/attachments/${vrack}`)).attachments).toEqual([]);
  });
});

describe('peerings', () => {
  it('accepts a peering within one tenant at once', async () => {
    const res = await as(A)('POST', '/v1/peerings', { body: { project: 'web', peer: { project: 'api' } } });
    const p = peeringOf(res, 201);
    expect(res.headers.get('location')).toBe(`/v1/peerings/${p.id}`);
    expect(p).toMatchObject({ requester: { tenant: A, project: 'web' }, accepter: { tenant: A, project: 'api' }, state: 'Programming', createdBy: `tenant:${A}`, acceptedBy: `tenant:${A}` });
    expect(p.link?.cidr).toMatch(/^198\.18\.0\.\d+\/30$/);
    ids.webApi = p.id;
    // The router rewrites the conditions as the backends report (none here): the rest stays.
    expect(settled(peeringOf(await as(A)('GET', `/v1/peerings/${p.id}`)))).toEqual(settled(p));
  });

  it('keeps a peering with another tenant PendingAcceptance until that tenant accepts; the requester cannot', async () => {
    const p = peeringOf(await as(A)('POST', '/v1/peerings', { body: { project: 'web', peer: { tenant: B, project: 'db' } } }), 201);
    ids.webDb = p.id;
    expect(p).toMatchObject({ state: 'PendingAcceptance', requester: { tenant: A, project: 'web' }, accepter: { tenant: B, project: 'db' } });
    expect(p.link).toBeUndefined();
    // Both sides see it; the requester's accept is refused and writes nothing.
    expect(peeringOf(await as(B)('GET', `/v1/peerings/${p.id}`)).state).toBe('PendingAcceptance');
    await peeringsSettled();
    const before = await revisions();
    expectProblem(await as(A)('POST', `/v1/peerings/${p.id}/accept`), 409, 'not-acceptable');
    expect(await revisions()).toEqual(before);
    const accepted = peeringOf(await as(B)('POST', `/v1/peerings/${p.id}/accept`));
    expect(accepted).toMatchObject({ state: 'Programming', acceptedBy: `tenant:${B}` });
    expect(accepted.link).toEqual({ cidr: expect.stringMatching(/^198\.18\.0\.\d+\/30$/), requester: expect.any(String), accepter: expect.any(String) });
    // Accepting again changes nothing.
    expect(settled(peeringOf(await as(B)('POST', `/v1/peerings/${p.id}/accept`)))).toEqual(settled(accepted));
  });

  it('lists the peerings of each side, and shows them on the project', async () => {
    const listA = PeeringList.parse((await as(A)('GET', '/v1/peerings')).body);
    expect(listA.items.map((p) => p.id).sort()).toEqual([ids.webApi, ids.webDb].sort());
    expect(PeeringList.parse((await as(B)('GET', '/v1/peerings')).body).items.map((p) => p.id)).toEqual([ids.webDb]);
    const page = PeeringList.parse((await as(A)('GET', '/v1/peerings?limit=1')).body);
    expect(page.items).toHaveLength(1);
    expect(page.continue).toEqual(expect.any(String));
    const network = ProjectDetail.parse((await as(A)('GET', '/v1/projects/web')).body).network;
    expect(network.peerings).toEqual(
      expect.arrayContaining([
        { id: ids.webApi, peer: `${A}/api`, state: 'Programming' },
        { id: ids.webDb, peer: `${B}/db`, state: 'Programming' },
      ]),
    );
    expect(ProjectDetail.parse((await as(B)('GET', '/v1/projects/db')).body).network.peerings).toEqual([{ id: ids.webDb, peer: `${A}/web`, state: 'Programming' }]);
  });

  it("answers a third tenant 404 for a peering, exactly like one that does not exist, and lists none", async () => {
    for (const [method, suffix] of [
      ['GET', ''],
      ['POST', '/accept'],
      ['DELETE', ''],
    ] as const) {
      const other = await as(C)(method, `/v1/peerings/${ids.webDb}${suffix}`);
      const missing = await as(C)(method, `/v1/peerings/pr-000000000000${suffix}`);
      expectProblem(other, 404, 'not-found');
      expect(problemOf(other).detail.replace(ids.webDb!, '<id>')).toBe(problemOf(missing).detail.replace('pr-000000000000', '<id>'));
    }
    expect((await as(C)('GET', '/v1/peerings')).body).toEqual({ items: [] });
    expect(peeringOf(await as(A)('GET', `/v1/peerings/${ids.webDb}`)).state).toBe('Programming');
  });

  it("answers 404 for another tenant's project on every project route", async () => {
    expectProblem(await as(C)('GET', '/v1/projects/web/routes'), 404, 'not-found');
    expectProblem(await as(B)('PUT', '/v1/projects/web/routes', { body: { routes: [] } }), 404, 'not-found');
    expectProblem(await as(B)('POST', '/v1/projects/web/routes:add', { body: { routes: [] } }), 404, 'not-found');
    expectProblem(await as(B)('PUT', `/v1/projects/web/attachments/${tiny}`, { body: {} }), 404, 'not-found');
    expectProblem(await as(B)('DELETE', `/v1/projects/web/attachments/${vrack}`), 404, 'not-found');
    // A peering from a project the tenant does not have: the router's code for it.
    expectProblem(await as(B)('POST', '/v1/peerings', { body: { project: 'web', peer: { tenant: A, project: 'api' } } }), 404, 'unknown-project');
  });
});

interface Refusal {
  name: string;
  send: () => Promise<Answer>;
  status: number;
  code: string;
  /** The field error a refusal of one route carries. */
  path?: string;
}

describe('every refusal: its status and code, and nothing written', () => {
  /** Replaces web's routes: a refusal names the route at fault by its index in the request. */
  const put = (routes: Array<{ destination: string; nexthop: string }>) => () => as(A)('PUT', '/v1/projects/web/routes', { body: { routes } });
  const peer = (body: () => Record<string, unknown>, tenant = A) => () => as(tenant)('POST', '/v1/peerings', { body: body() });
  const admin = (method: string, path: string, body?: Record<string, unknown>) => () => t.admin(method, path, body ? { body } : {});
  const ok = route('192.168.60.0/24', '10.80.1.10');
  /** The accepter's address on the link of web's peering with api. */
  const apiLinkAddress = async () => peeringOf(await as(A)('GET', `/v1/peerings/${ids.webApi}`)).link!.accepter.split('/')[0]!;
  const table: Refusal[] = [
    { name: 'an IPv6 route', send: put([ok, route('2001:db8::/32', '10.80.1.10')]), status: 422, code: 'ipv6-unsupported', path: 'routes.1' },
    { name: 'the default route', send: put([route('0.0.0.0/0', '10.80.1.10')]), status: 422, code: 'default-route', path: 'routes.0' },
    { name: "a route into the project's CIDR", send: put([route('10.80.1.128/25', '10.80.1.10')]), status: 422, code: 'overlaps-own-cidr', path: 'routes.0' },
    { name: 'a route into an attached network', send: put([route('192.168.100.0/25', '10.80.1.10')]), status: 422, code: 'overlaps-connected', path: 'routes.0' },
    { name: "a route into a peer's CIDR", send: put([route('10.80.2.0/24', '10.80.1.10')]), status: 422, code: 'overlaps-peer', path: 'routes.0' },
    { name: 'a route into a reserved range', send: put([route('127.0.0.0/24', '10.80.1.10')]), status: 422, code: 'reserved-range', path: 'routes.0' },
    { name: 'a next hop on no connected network', send: put([ok, route('192.168.61.0/24', '172.31.0.1')]), status: 422, code: 'nexthop-not-connected', path: 'routes.1' },
    { name: "a next hop on a peering's link", send: async () => put([ok, route('192.168.63.0/24', await apiLinkAddress())])(), status: 422, code: 'nexthop-on-peer-link', path: 'routes.1' },
    { name: "the project router's own address as next hop", send: put([route('192.168.62.0/24', '10.80.1.1')]), status: 422, code: 'invalid-nexthop', path: 'routes.0' },
    { name: 'one destination with two next hops', send: put([ok, route('192.168.60.0/24', '10.80.1.11')]), status: 422, code: 'conflicting-route', path: 'routes.1' },
    { name: 'more routes than the quota (5 here)', send: put([1, 2, 3, 4, 5, 6].map((i) => route(`192.168.${70 + i}.0/24`, '10.80.1.10'))), status: 422, code: 'route-quota' },
    {
      name: 'added routes over the quota',
      send: () => as(A)('POST', '/v1/projects/web/routes:add', { body: { routes: [1, 2, 3, 4].map((i) => route(`192.168.${80 + i}.0/24`, '10.80.1.10')) } }),
      status: 422,
      code: 'route-quota',
    },
    { name: 'routes of a project without a CIDR', send: () => as(D)('PUT', `/v1/projects/${unready}/routes`, { body: { routes: [ok] } }), status: 409, code: 'project-not-ready' },
    { name: 'a network not shared with the tenant', send: () => as(B)('PUT', `/v1/projects/db/attachments/${vrack}`, { body: {} }), status: 404, code: 'unknown-private-network' },
    { name: 'a network that does not exist', send: () => as(A)('PUT', '/v1/projects/web/attachments/nothing', { body: {} }), status: 404, code: 'unknown-private-network' },
    { name: "an attachment at the network's gateway", send: () => as(A)('PUT', `/v1/projects/api/attachments/${vrack}`, { body: { address: '192.168.100.1' } }), status: 422, code: 'invalid-attachment-address' },
    { name: "an attachment at another router's address", send: () => as(A)('PUT', `/v1/projects/api/attachments/${vrack}`, { body: { address: '192.168.100.2' } }), status: 422, code: 'invalid-attachment-address' },
    { name: 'an attachment overlapping a static route', send: () => as(A)('PUT', '/v1/projects/web/attachments/other', { body: {} }), status: 422, code: 'overlaps-peer' },
    { name: 'an attachment to a full network', send: () => as(B)('PUT', `/v1/projects/db/attachments/${tiny}`, { body: {} }), status: 422, code: 'private-network-full' },
    { name: 'a detach while a route goes through the network', send: () => as(A)('DELETE', `/v1/projects/web/attachments/${vrack}`), status: 409, code: 'private-network-in-use' },
    { name: 'a peering with itself', send: peer(() => ({ project: 'web', peer: { project: 'web' } })), status: 422, code: 'self-peering' },
    { name: 'a peering with a project that does not exist', send: peer(() => ({ project: 'api', peer: { project: 'nothing' } })), status: 404, code: 'unknown-project' },
    { name: 'a peering from a project the tenant does not have', send: peer(() => ({ project: 'nothing', peer: { project: 'api' } })), status: 404, code: 'unknown-project' },
    { name: 'a second peering of a pair (the other way round)', send: peer(() => ({ project: 'api', peer: { project: 'web' } })), status: 409, code: 'duplicate-peering' },
    { name: 'a peering of a project without a CIDR', send: peer(() => ({ project: unready, peer: { tenant: A, project: 'p1' } }), D), status: 409, code: 'project-not-ready' },
    { name: 'a peering of two overlapping projects', send: peer(() => ({ project: 'left', peer: { tenant: C, project: 'right' } }), B), status: 422, code: 'overlaps-peer' },
    { name: 'a peering over the quota (2 here)', send: peer(() => ({ project: 'q', peer: { project: 'p3' } })), status: 422, code: 'peering-quota' },
    { name: 'a link address that is not a host of a /30', send: peer(() => ({ project: 'p1', peer: { project: 'p3' }, localConnectIP: '169.254.0.0/30' })), status: 422, code: 'invalid-link-address' },
    { name: 'a private network whose gateway is outside it', send: admin('PUT', '/admin/private-networks/bad', { cidr: '192.168.110.0/24', gateway: '192.168.111.1' }), status: 422, code: 'invalid-private-network' },
    { name: 'a private network over a project', send: admin('PUT', '/admin/private-networks/bad', { cidr: '10.80.0.0/16', gateway: '10.80.0.1' }), status: 422, code: 'invalid-private-network' },
    { name: 'a private network over another', send: admin('PUT', '/admin/private-networks/bad', { cidr: '192.168.100.128/25', gateway: '192.168.100.129' }), status: 422, code: 'invalid-private-network' },
    { name: 'a private network in a reserved range', send: admin('PUT', '/admin/private-networks/bad', { cidr: '198.18.0.0/24', gateway: '198.18.0.1' }), status: 422, code: 'reserved-range' },
    { name: 'an IPv6 private network', send: admin('PUT', '/admin/private-networks/bad', { cidr: '2001:db8::/64', gateway: '2001:db8::1' }), status: 422, code: 'ipv6-unsupported' },
    { name: 'removing a tenant that is attached', send: admin('PUT', `/admin/private-networks/${vrack}`, { cidr: '192.168.100.0/24', gateway: '192.168.100.1', tenants: [] }), status: 409, code: 'private-network-in-use' },
    { name: 'deleting an attached network', send: admin('DELETE', `/admin/private-networks/${vrack}`), status: 409, code: 'private-network-in-use' },
    { name: 'deleting a network that does not exist', send: admin('DELETE', '/admin/private-networks/nothing'), status: 404, code: 'unknown-private-network' },
  ];

  beforeAll(async () => {
    // The state the table refuses against: web routes through vrack's gateway and to
    // 192.168.120.0/24 (= network "other"), tiny full (A/p2 holds its one free host), q at its
    // peering quota (p1, p2).
    expect((await t.admin('PUT', '/admin/private-networks/other', { body: { cidr: '192.168.120.0/24', gateway: '192.168.120.1', tenants: [A] } })).status).toBe(200);
    routesOf(await as(A)('POST', '/v1/projects/web/routes:add', { body: { routes: [route('192.168.120.0/24', '10.80.1.10')] } }));
    routesOf(await as(A)('PUT', `/v1/projects/p2/attachments/${tiny}`, { body: {} }));
    for (const other of ['p1', 'p2']) peeringOf(await as(A)('POST', '/v1/peerings', { body: { project: 'q', peer: { project: other } } }), 201);
    await peeringsSettled();
  });

  it.each(table.map((r) => [r.name, r] as const))('refuses %s', async (_name, r) => {
    const before = await revisions();
    const res = await r.send();
    expectProblem(res, r.status, r.code);
    if (r.path) expect(problemOf(res).errors).toEqual([expect.objectContaining({ path: r.path, reason: r.code })]);
    expect(await revisions()).toEqual(before);
  });
});

describe('idempotency and races', () => {
  it('replays a POST with the same Idempotency-Key: one peering, the same answer', async () => {
    const headers = { 'idempotency-key': `peer-${run}` };
    const first = await as(A)('POST', '/v1/peerings', { body: { project: 'p3', peer: { project: 'p1' } }, headers });
    const again = await as(A)('POST', '/v1/peerings', { body: { project: 'p3', peer: { project: 'p1' } }, headers });
    expect(first.status, first.text).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const between = (await kv.peerings.list()).filter((r) => [r.value.requester.project, r.value.accepter.project].sort().join() === 'p1,p3');
    expect(between).toHaveLength(1);
    // A refusal is replayed too, and the key with another request is refused.
    const refusedHeaders = { 'idempotency-key': `dup-${run}` };
    expectProblem(await as(A)('POST', '/v1/peerings', { body: { project: 'p1', peer: { project: 'p3' } }, headers: refusedHeaders }), 409, 'duplicate-peering');
    const replayed = await as(A)('POST', '/v1/peerings', { body: { project: 'p1', peer: { project: 'p3' } }, headers: refusedHeaders });
    expectProblem(replayed, 409, 'duplicate-peering');
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expectProblem(await as(A)('POST', '/v1/peerings', { body: { project: 'p1', peer: { project: 'p2' } }, headers }), 409, 'idempotency-key-reused');
  });

  it('replays routes:add', async () => {
    const headers = { 'idempotency-key': `routes-${run}` };
    const body = { routes: [route('192.168.90.0/24', '10.80.2.10')] };
    const first = routesOf(await as(A)('POST', '/v1/projects/api/routes:add', { body, headers }));
    const before = await kv.routes.lastRevision();
    const again = await as(A)('POST', '/v1/projects/api/routes:add', { body, headers });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(routesOf(again)).toEqual(first);
    expect(await kv.routes.lastRevision()).toBe(before);
  });

  it('lets exactly one of two racing peerings win when the two peers overlap (one 201, one 422 overlaps-peer)', async () => {
    await peeringsSettled();
    const before = await revisions();
    const answers = await Promise.all([
      as(A)('POST', '/v1/peerings', { body: { project: 'hub', peer: { tenant: B, project: 'left' } } }),
      as(A)('POST', '/v1/peerings', { body: { project: 'hub', peer: { tenant: C, project: 'right' } } }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 422]);
    expect(problemOf(answers.find((a) => a.status === 422)!).code).toBe('overlaps-peer');
    const won = Peering.parse(answers.find((a) => a.status === 201)!.body);
    expect(won.state).toBe('PendingAcceptance');
    expect((await revisions()).peerings).toBe(before.peerings + 1);
    expect(ProjectDetail.parse((await as(A)('GET', '/v1/projects/hub')).body).network.peerings).toEqual([{ id: won.id, peer: `${won.accepter.tenant}/${won.accepter.project}`, state: 'PendingAcceptance' }]);
  });
});

describe('deletion', () => {
  it('deletes a peering from either side: Deleting, then gone once no backend has it', async () => {
    expect((await as(B)('DELETE', `/v1/peerings/${ids.webDb}`)).status).toBe(202);
    const after = await as(A)('GET', `/v1/peerings/${ids.webDb}`);
    if (after.status === 200) expect(Peering.parse(after.body).state).toBe('Deleting');
    else expectProblem(after, 404, 'not-found');
    await eventually(async () => expectProblem(await as(A)('GET', `/v1/peerings/${ids.webDb}`), 404, 'not-found'), { timeoutMs: 30_000 });
    expect(ProjectDetail.parse((await as(B)('GET', '/v1/projects/db')).body).network.peerings).toEqual([]);
  });

  it('deletes a private network no project is attached to', async () => {
    expect((await t.admin('DELETE', '/admin/private-networks/other')).status).toBe(204);
    expectProblem(await t.admin('GET', '/admin/private-networks/other'), 404, 'not-found');
  });
});

describe('without a router', () => {
  it('answers 503 unavailable with Retry-After within the bound, still serves reads, and goes through once a router is back', async () => {
    await router!.stop();
    router = undefined;
    const started = performance.now();
    const res = await impatient.as(tokens[A]!)('POST', '/v1/projects/web/routes:remove', { body: { routes: [] } });
    const waited = performance.now() - started;
    expectProblem(res, 503, 'unavailable');
    expect(res.headers.get('retry-after')).toBe('2');
    expect(waited).toBeGreaterThan(SHORT_ROUTER_TIMEOUT_MS - 500);
    expect(waited).toBeLessThan(SHORT_ROUTER_TIMEOUT_MS + 2_000);
    expect(routesOf(await impatient.as(tokens[A]!)('GET', '/v1/projects/web/routes')).routes).toHaveLength(2);
    // A failover: the request waits, retrying, until a router answers (its start is within the bound).
    const pending = as(A)('POST', '/v1/projects/web/routes:remove', { body: { routes: [route('192.168.120.0/24', '10.80.1.10')] } });
    router = await startRouter(nats.url, `router-${prefix}-2`, linkPool, routerEnv);
    expect(routesOf(await pending).routes).toEqual([route('172.20.0.0/16', '192.168.100.1')]);
  });
});
