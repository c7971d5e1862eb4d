import { randomUUID } from 'node:crypto';
import { PeeringRecord, projectBuckets, ProjectStatus, routerBuckets, type PeeringRecord as Peering } from '@netbroker/contracts';
import { openKv, type JsonKv, type NatsConnection } from '@netbroker/bus';
import { connectNats, eventually, startService, startStack, type ServiceProcess, type Stack } from '@netbroker/testing';
import { linkSides, routerNamespaceName } from '@netbroker/translate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execRunner } from '../src/netns';

// The agent as it runs (main.ts): it follows the router's records in NATS KV and realises the
// plan in network namespaces; records removed, namespaces and links removed. Its own nats-server:
// the shared one holds other tests' project statuses. Needs root.

const run = `nbt-${process.pid.toString(36)}g`;
const segment = `${run}-seg`;
const prefix = `${run}-r`;
const routerOf = (project: string) => routerNamespaceName(`t.${project}`).replace(/^nbr-/, prefix);
const sh = (argv: string[], input?: string) => execRunner().run(argv, input);
const namespaces = async () => (JSON.parse((await sh(['ip', '-json', 'netns', 'list'])) || '[]') as Array<{ name: string }>).map((n) => n.name);

let stack: Stack;
let nc: NatsConnection;
let agent: ServiceProcess | undefined;
let statuses: JsonKv<typeof ProjectStatus>;
let peerings: JsonKv<typeof PeeringRecord>;

const status = (cidr: string): ProjectStatus => ({ v: 1, uid: randomUUID(), observedGeneration: 1, phase: 'Ready', cidr, conditions: [] });
const peering: Peering = {
  v: 1,
  id: 'ab',
  requester: { tenant: 't', project: 'a' },
  accepter: { tenant: 't', project: 'b' },
  state: 'Active',
  link: { cidr: '198.19.0.0/30', ...linkSides('198.19.0.0/30')!, allocated: true },
  conditions: [],
  createdAt: '2026-12-02T00:00:00Z',
  createdBy: 'test',
};

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the router agent tests need root (network namespaces, veth pairs, nftables): run npm test as root');
  stack = await startStack({ host: false });
  nc = await connectNats(stack.natsUrl!);
  statuses = await openKv(nc, projectBuckets.status, ProjectStatus);
  peerings = await openKv(nc, routerBuckets.peerings, PeeringRecord);
  // The projects' networks: a bridge each, in one namespace of the test's.
  await sh(['ip', 'netns', 'add', segment]);
  await sh(['ip', '-n', segment, '-batch', '-'], 'link add nbtba type bridge\nlink add nbtbb type bridge\nlink set nbtba up\nlink set nbtbb up\n');
  agent = await startService({
    service: 'router-agent',
    env: { NATS_URL: stack.natsUrl!, NETNS_PREFIX: prefix, PROJECT_NETNS: segment, PROJECT_BRIDGE: 'nbtb{project}', RESYNC_INTERVAL_MS: '60000' },
  });
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  for (const name of await namespaces()) if (name.startsWith(`${run}-`)) await sh(['ip', 'netns', 'delete', name]).catch(() => undefined);
  expect((await namespaces()).filter((n) => n.startsWith(`${run}-`))).toEqual([]);
  await nc?.close();
  await stack?.stop();
}, 60_000);

describe('the router agent following the records', () => {
  it('builds the routers of peered projects from KV, and takes them down as the records go', async () => {
    await statuses.put('t.a', status('198.18.1.0/24'));
    await statuses.put('t.b', status('198.18.2.0/24'));
    await peerings.put(peering.id, peering);
    await eventually(async () => {
      expect(await sh(['ip', '-n', routerOf('a'), 'route', 'show', 'proto', '211'])).toContain('198.18.2.0/24 via 198.19.0.2');
      expect(await sh(['ip', '-n', routerOf('b'), 'route', 'show', 'proto', '211'])).toContain('198.18.1.0/24 via 198.19.0.1');
    }, { timeoutMs: 20_000 });
    expect(await sh(['ip', 'netns', 'exec', routerOf('a'), 'nft', 'list', 'table', 'inet', 'netbroker'])).toContain('iifname "lan" ip saddr 198.18.1.0/24 ip daddr 198.18.2.0/24');
    // The lan ends sit in the projects' bridges.
    expect(await sh(['ip', '-n', segment, '-o', 'link', 'show', 'master', 'nbtba'])).toMatch(/nbo[0-9a-f]{10}/);

    await peerings.delete(peering.id);
    await eventually(async () => {
      expect(await sh(['ip', '-n', routerOf('a'), 'route', 'show', 'proto', '211'])).toBe('');
      expect(await sh(['ip', '-n', routerOf('a'), '-o', 'link', 'show'])).not.toMatch(/nbl[0-9a-f]{10}/);
    }, { timeoutMs: 20_000 });

    await statuses.delete('t.b');
    await eventually(async () => expect(await namespaces()).not.toContain(routerOf('b')), { timeoutMs: 20_000 });
    expect(await namespaces()).toContain(routerOf('a'));
  });
});
