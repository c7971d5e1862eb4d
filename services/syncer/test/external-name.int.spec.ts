import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { openKv, type JsonKv, type NatsConnection } from '@netbroker/bus';
import { projectBuckets, VClusterRecord } from '@netbroker/contracts';
import { isNotFound } from '@netbroker/kube';
import { hostName } from '@netbroker/naming';
import { connectNats, eventually, kubeconfigFile, kubeConfigFor, startService, type ServiceProcess } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { vclusterRecord } from './registration';

const stack = inject('stack');
const host = kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
const virtual = kubeConfigFor(stack.virtual[0]!).makeApiClient(CoreV1Api);
const suffix = randomUUID().slice(0, 6);
const tenant = `xn${suffix}`;
const project = 'web';
const vcluster = `vc${suffix}`;
const hostNs = `${tenant}-${project}`;
const key = randomBytes(32);

let dir: string;
let nc: NatsConnection;
let vclusters: JsonKv<typeof VClusterRecord>;
let syncer: ServiceProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-syncer-'));
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  nc = await connectNats(stack.natsUrl!);
  vclusters = await openKv(nc, projectBuckets.vclusters, VClusterRecord);
  await host.createNamespace({ body: { metadata: { name: hostNs } } });
  await vclusters.put(`${tenant}.${project}`, vclusterRecord({ tenant, project, vcluster, kubeconfig: kubeconfigFile(stack.virtual[0]!), key }));
  syncer = await startService({
    service: 'syncer',
    env: { NATS_URL: stack.natsUrl!, KUBECONFIG: join(dir, 'host.kubeconfig'), NETBROKER_ENCRYPTION_KEY: key.toString('base64'), LOG_LEVEL: 'warn' },
  });
});
afterAll(async () => {
  await vclusters?.delete(`${tenant}.${project}`);
  await syncer?.stop();
  await nc?.close();
  rmSync(dir, { recursive: true, force: true });
});

const createNamespace = (name: string) => virtual.createNamespace({ body: { metadata: { name } } });
const createExternalName = (namespace: string, name: string, externalName: string) =>
  virtual.createNamespacedService({ namespace, body: { metadata: { name }, spec: { type: 'ExternalName', externalName } } });
const readHost = async (namespace: string, name: string): Promise<V1Service | undefined> => {
  try {
    return await host.readNamespacedService({ name: hostName({ name, namespace, vcluster }), namespace: hostNs });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
};
const hostExternalName = (namespace: string, name: string) =>
  eventually(
    async () => {
      const h = await readHost(namespace, name);
      expect(h?.spec?.externalName).toBeDefined();
      return h!.spec!.externalName!;
    },
    { signal: syncer.signal, timeoutMs: 15_000 },
  );
const expectHostExternalName = (namespace: string, name: string, expected: string) =>
  eventually(async () => expect((await readHost(namespace, name))?.spec?.externalName).toBe(expected), { signal: syncer.signal, timeoutMs: 15_000 });

describe('ExternalName Services naming a Service of the virtual cluster', () => {
  // Namespaces are unique per run (the stack is shared); `team` plays the role of the team namespace.
  const team = `team${suffix}`;
  const apps = `apps${suffix}`;
  const fqdnOf = (namespace: string, name: string) => `${hostName({ name, namespace, vcluster })}.${hostNs}.svc.cluster.local`;

  it('rewrites `svc.ns` and `svc.ns.svc.cluster.local` to the host FQDN; leaves `example.com` alone', async () => {
    await createNamespace(team);
    await createNamespace(apps);
    await virtual.createNamespacedService({ namespace: team, body: { metadata: { name: 'db' }, spec: { ports: [{ port: 5432 }] } } });
    await createExternalName(apps, 'short', `db.${team}`);
    await createExternalName(apps, 'long', `db.${team}.svc.cluster.local`);
    await createExternalName(apps, 'outside', 'example.com');

    await expectHostExternalName(apps, 'short', fqdnOf(team, 'db'));
    await expectHostExternalName(apps, 'long', fqdnOf(team, 'db'));
    expect(await hostExternalName(apps, 'outside')).toBe('example.com');
  });

  it('re-evaluates `svc.ns` when the namespace `ns` is created later', async () => {
    const later = `later${suffix}`;
    await createExternalName(apps, 'pending', `db.${later}`);
    expect(await hostExternalName(apps, 'pending')).toBe(`db.${later}`); // not a namespace of the virtual cluster (yet)

    await createNamespace(later);
    await expectHostExternalName(apps, 'pending', fqdnOf(later, 'db'));
  });
});
