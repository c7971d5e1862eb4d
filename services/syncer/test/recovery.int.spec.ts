import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { projectBuckets, syncerBuckets, VClusterRecord, VClusterStatus } from '@netbroker/contracts';
import { openKv, type JsonKv, type NatsConnection } from '@netbroker/bus';
import { isNotFound } from '@netbroker/kube';
import { hostName } from '@netbroker/naming';
import {
  connectNats,
  eventually,
  freePort,
  kubeconfigFile,
  kubeConfigFor,
  startNats,
  type ServerProcess,
  type ServiceProcess,
} from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSyncer, vclusterRecord } from './registration';

// Its own nats-server, so no syncer of another test file takes this registration.
const stack = inject('stack');
const host = kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
const virtual = kubeConfigFor(stack.virtual[1]!).makeApiClient(CoreV1Api);
const suffix = randomUUID().slice(0, 6);
const tenant = `rec${suffix}`;
const project = 'web';
const registration = `${tenant}.${project}`;
const vcluster = `vu${suffix}`;
const hostNs = `${tenant}-${project}`;
const key = randomBytes(32);
const upstream = new URL(stack.virtual[1]!.server);

let dir: string;
let nats: { url: string; proc: ServerProcess };
let nc: NatsConnection;
let statuses: JsonKv<typeof VClusterStatus>;
let syncer: ServiceProcess | undefined;
let proxyPort: number;

/** A TCP proxy to the virtual API server (TLS passes through); closing it cuts every connection. */
class Proxy {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;

  async open(port: number): Promise<void> {
    const server = createServer((client) => {
      const target = createConnection({ host: upstream.hostname, port: Number(upstream.port) });
      for (const s of [client, target]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          target.destroy();
        });
      }
      client.pipe(target);
      target.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
const proxy = new Proxy();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-recovery-'));
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  nats = await startNats(dir, () => undefined, `nats-recovery-${suffix}`);
  nc = await connectNats(nats.url);
  const vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord);
  statuses = await openKv(nc, syncerBuckets.status, VClusterStatus);
  await host.createNamespace({ body: { metadata: { name: hostNs } } });
  // The registration's API server is the proxy's port, closed for now.
  proxyPort = await freePort();
  const proxied = kubeConfigFor(stack.virtual[1]!);
  const server = new URL(stack.virtual[1]!.server);
  server.hostname = '127.0.0.1';
  server.port = String(proxyPort);
  proxied.clusters[0] = { ...proxied.clusters[0]!, server: server.toString().replace(/\/$/, '') };
  await vclusters.put(registration, vclusterRecord({ tenant, project, vcluster, kubeconfig: proxied.exportConfig(), key }));
  syncer = await startSyncer({ name: 'syncer-recovery', natsUrl: nats.url, dir, key, env: { LOG_LEVEL: 'error' } });
});
afterAll(async () => {
  await proxy.close();
  await syncer?.stop();
  await nc?.close();
  await nats?.proc.stop();
  rmSync(dir, { recursive: true, force: true });
});

const opts = { timeoutMs: 20_000 };
const phaseOf = async () => (await statuses.get(registration))?.value.phase;

describe('an unreachable virtual cluster', () => {
  it('is Unreachable while its API server port is closed', async () => {
    await eventually(async () => expect((await statuses.get(registration))?.value).toMatchObject({ phase: 'Unreachable', reason: 'Unreachable' }), opts);
  });

  it('is synced once it answers', async () => {
    await proxy.open(proxyPort);
    await eventually(async () => expect(await phaseOf()).toBe('Syncing'), opts);
    const namespace = `rec-${suffix}`;
    await virtual.createNamespace({ body: { metadata: { name: namespace } } });
    await virtual.createNamespacedService({ namespace, body: { metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } } });
    await eventually(async () => {
      try {
        await host.readNamespacedService({ name: hostName({ name: 'svc', namespace, vcluster }), namespace: hostNs });
      } catch (e) {
        if (isNotFound(e)) throw new Error('svc not on the host yet', { cause: e });
        throw e;
      }
    }, opts);
  });

  it('is Unreachable again once it stops answering', async () => {
    await proxy.close();
    await eventually(async () => expect(await phaseOf()).toBe('Unreachable'), opts);
  });
});
