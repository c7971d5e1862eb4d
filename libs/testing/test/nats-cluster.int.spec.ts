import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm, type KV } from '@nats-io/kv';
import { connectBus, type NatsConnection } from '@netbroker/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, isAlive, isStopped, startNatsCluster, startStack, type NatsCluster, type ServerExitedError, type Stack } from '../src';

// A 3-node JetStream cluster of its own (these tests kill and freeze nodes), on the backend the
// run chose (NETBROKER_SERVER_BACKEND). The tests run in order on one cluster.

let stack: Stack;
let cluster: NatsCluster;
let nc: NatsConnection;
let kv: KV;
const BUCKET = 'cluster-harness';
const STREAM = `KV_${BUCKET}`;
/** Every node pid this file saw: none may outlive the stack. */
const pids = new Set<number>();
const remember = () => [0, 1, 2].forEach((i) => pids.add(cluster.proc(i).pid));

beforeAll(async () => {
  stack = await startStack({ host: false, nats: { nodes: 3 } });
  cluster = stack.natsCluster!;
  remember();
  nc = await connectBus({ servers: stack.natsUrl!, name: 'nats-cluster-test' });
});
afterAll(async () => {
  await nc?.close();
  await stack?.stop();
});

/** A put that rides out an election: the tests here prove the harness, not the bus's retry policy. */
const putEventually = (key: string, value: string) => eventually(() => kv.put(key, value), { timeoutMs: 30_000, signal: stack.signal });

describe('startStack({ nats: { nodes: 3 } })', () => {
  it('forms one JetStream cluster of three nodes with their own ports and names', async () => {
    expect(stack.natsUrl!.split(',')).toHaveLength(3);
    expect(new Set(cluster.urls).size).toBe(3);
    expect(cluster.names).toStrictEqual(['nats-0', 'nats-1', 'nats-2']);
    for (const monitor of cluster.monitorUrls) {
      const jsz = (await (await fetch(`${monitor}/jsz`)).json()) as { meta_cluster: { cluster_size: number; leader: string } };
      expect(jsz.meta_cluster.cluster_size).toBe(3);
      expect(cluster.names).toContain(jsz.meta_cluster.leader);
    }
    expect([...stack.processes.keys()].filter((n) => n.startsWith('nats-')).sort()).toStrictEqual(['nats-0', 'nats-1', 'nats-2']);
  });

  it('gives a KV bucket at R3 a leader, and all its replicas become current', async () => {
    kv = await new Kvm(nc).create(BUCKET, { replicas: 3 });
    await kv.put('a', 'one');
    const leader = await cluster.waitLeader(STREAM);
    expect([0, 1, 2]).toContain(leader);
    await cluster.waitCurrent(STREAM);
  });

  it('elects a new leader among the others when the leader is SIGKILLed, and the restarted node catches up', async () => {
    const old = await cluster.waitLeader(STREAM);
    const oldPid = cluster.proc(old).pid;
    const killedAt = Date.now();
    await cluster.kill(old);
    expect(isAlive(oldPid)).toBe(false);
    const next = await cluster.waitLeader(STREAM, { not: old });
    console.log(`[nats-cluster] ${STREAM}: ${cluster.names[next]} leads ${Date.now() - killedAt} ms after ${cluster.names[old]} was SIGKILLed`);
    expect(next).not.toBe(old);
    await putEventually('b', 'written while a node was down');
    stack.assertHealthy(); // a kill through the cluster is no crash

    const restartAt = Date.now();
    await cluster.restart(old);
    remember();
    expect(cluster.proc(old).pid).not.toBe(oldPid);
    await cluster.waitCurrent(STREAM);
    console.log(`[nats-cluster] ${cluster.names[old]} restarted and ${STREAM} current in ${Date.now() - restartAt} ms`);
    expect(new TextDecoder().decode((await kv.get('b'))?.value)).toBe('written while a node was down');
  });

  it('pauses a node (SIGSTOP): the others go on without it; resumed, it is current again', async () => {
    const leader = await cluster.waitLeader(STREAM);
    const pid = cluster.proc(leader).pid;
    await cluster.pause(leader);
    try {
      expect(isStopped(pid)).toBe(true);
      await expect(fetch(`${cluster.monitorUrls[leader]}/healthz`, { signal: AbortSignal.timeout(500) })).rejects.toThrow();
      const next = await cluster.waitLeader(STREAM, { not: leader });
      expect(next).not.toBe(leader);
      // Through the new leader: a client on the frozen node notices only after its missed pings (≈ 20 s).
      const direct = await connectBus({ servers: cluster.urls[next]!, name: 'nats-cluster-test-direct' });
      try {
        await eventually(() => new Kvm(direct).open(BUCKET).then((b) => b.put('c', 'written while a node was frozen')), { timeoutMs: 30_000, signal: stack.signal });
      } finally {
        await direct.close();
      }
    } finally {
      await cluster.resume(leader);
    }
    expect(isStopped(pid)).toBe(false);
    await cluster.waitCurrent(STREAM);
    stack.assertHealthy();
  });

  it('stops (SIGTERM) and restarts a node on its ports, store and name', async () => {
    const url = cluster.urls[1];
    await cluster.stop(1);
    expect(cluster.proc(1).running).toBe(false);
    await cluster.restart(1);
    remember();
    expect(cluster.urls[1]).toBe(url);
    await cluster.waitCurrent(STREAM);
    const jsz = (await (await fetch(`${cluster.monitorUrls[1]}/jsz`)).json()) as { meta_cluster: { leader?: string } };
    expect(jsz.meta_cluster.leader).toBeTruthy();
    expect(stack.processes.get('nats-1')).toBe(cluster.proc(1));
  });

  it('leaves no node running after the stack stops, paused ones included', async () => {
    await cluster.pause(2);
    await nc.close();
    await stack.stop();
    expect(pids.size).toBeGreaterThanOrEqual(5);
    expect([...pids].filter(isAlive)).toStrictEqual([]);
  });
});

describe('startNatsCluster with auth and TLS', () => {
  it('forms the cluster with the single node\'s options: decentralised auth (creds) and TLS, and replicates a bucket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netbroker-nats-cluster-'));
    const crashes: ServerExitedError[] = [];
    let secured: NatsCluster | undefined;
    let client: NatsConnection | undefined;
    try {
      secured = await startNatsCluster(dir, (e) => crashes.push(e), undefined, { auth: { operator: true }, tls: {} });
      expect(secured.urls.every((u) => u.startsWith('tls://'))).toBe(true);
      client = await connectBus({ servers: secured.url, name: 'secured', auth: { credsFile: secured.files.credsFile! }, tls: { caFile: secured.files.caFile! } });
      const bucket = await new Kvm(client).create('secured', { replicas: 3 });
      await bucket.put('k', 'v');
      await secured.waitCurrent('KV_secured');
      expect(crashes).toStrictEqual([]);
    } finally {
      await client?.close();
      await secured?.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
