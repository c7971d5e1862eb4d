import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { PeeringRecord, projectBuckets, ProjectRecord, ProjectStatus, routerBuckets, routerCommandSubject, RouterReply, type RouterCommand } from '@netbroker/contracts';
import { openKv, request, type JsonKv, type NatsConnection } from '@netbroker/bus';
import { connectNats, eventually, kubeConfigFor, kubeconfigFile, ownedTempDir, startNats, startService, type NatsServer, type ServiceProcess } from '@netbroker/testing';
import { kubeOvnVpcRef } from '@netbroker/translate';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installVpcCrd } from './vpc-crd';

// The router service with the Kube-OVN backend on the real host apiserver: a peering is written
// into both projects' `Vpc`s by the service itself (as fields of objects the platform made),
// reported Active once both are applied, Degraded when a side's Vpc is missing, and removed from
// both when deleted — the platform's own fields untouched throughout. Its own nats-server.

const stack = inject('stack');
const kc = kubeConfigFor(stack.host!);
const objects = KubernetesObjectApi.makeApiClient(kc);
const run = `nbt-${randomBytes(3).toString('hex')}`;
const vpcOf = (project: string) => `${run}-${project}`;
const created: string[] = [];
const services: ServiceProcess[] = [];
let dir: string;
let nats: NatsServer;
let nc: NatsConnection;
let peerings: JsonKv<typeof PeeringRecord>;

type Vpc = KubernetesObject & { spec?: Record<string, unknown> };
const readVpc = (project: string) => objects.read({ ...kubeOvnVpcRef(vpcOf(project)) }) as Promise<Vpc>;
const send = (cmd: RouterCommand) => request(nc, routerCommandSubject, cmd, RouterReply, { timeoutMs: 10_000 });

async function platformVpc(project: string): Promise<void> {
  const body = { ...kubeOvnVpcRef(vpcOf(project)), spec: { namespaces: [`t-${project}`], enableExternal: true } };
  await objects.patch(body, undefined, undefined, 'kube-dc', true, PatchStrategy.ServerSideApply);
  created.push(body.metadata.name);
}

async function provision(project: string, cidr: string): Promise<void> {
  const uid = randomUUID();
  await (await openKv(nc, projectBuckets.projects, ProjectRecord)).put(`t.${project}`, { v: 1, tenant: 't', name: project, uid, generation: 1, createdAt: new Date().toISOString(), spec: { egressNetworkType: 'cloud' } });
  await (await openKv(nc, projectBuckets.status, ProjectStatus)).put(`t.${project}`, { v: 1, uid, observedGeneration: 1, phase: 'Ready', cidr, conditions: [] });
}

beforeAll(async () => {
  await installVpcCrd(kc);
  dir = ownedTempDir('netbroker-router-kube-ovn-');
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  nats = await startNats(dir, () => undefined, `nats-router-${run}`);
  nc = await connectNats(nats.url);
  peerings = await openKv(nc, routerBuckets.peerings, PeeringRecord);
  const pools = JSON.stringify([{ name: 'links', kind: 'prefix', prefixes: ['169.254.100.0/24'], defaultPrefixLength: 30 }]);
  services.push(await startService({ service: 'ipam', name: 'ipam-router', env: { NATS_URL: nats.url, IPAM_POOLS: pools } }));
  services.push(await startService({ service: 'router', name: 'router-kube-ovn', env: { NATS_URL: nats.url, BACKENDS: 'kube-ovn', KUBECONFIG: join(dir, 'host.kubeconfig'), KUBE_OVN_VPC: `${run}-{project}` } }));
  await platformVpc('a');
  await platformVpc('b');
  await provision('a', '10.60.1.0/24');
  await provision('b', '10.60.2.0/24');
  await provision('c', '10.60.3.0/24'); // no Vpc: the platform has not made it
}, 120_000);

afterAll(async () => {
  for (const s of services.reverse()) await s.stop();
  await nc?.close();
  await nats?.proc.stop();
  for (const name of created) await objects.delete(kubeOvnVpcRef(name)).catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('the router with the Kube-OVN backend', () => {
  it('writes both sides of a peering, reports it Active, and takes both sides down when it is deleted', async () => {
    const reply = await send({ op: 'peering.create', actor: 'tenant:t', tenant: 't', project: 'a', peer: { tenant: 't', project: 'b' } });
    if (!reply.ok) throw new Error(reply.error.message);
    const id = reply.peering!.id;
    await eventually(async () => expect((await peerings.get(id))?.value.state).toBe('Active'), { timeoutMs: 20_000 });
    const [a, b] = [await readVpc('a'), await readVpc('b')];
    expect(a.spec).toEqual({
      namespaces: ['t-a'],
      enableExternal: true,
      vpcPeerings: [{ remoteVpc: vpcOf('b'), localConnectIP: reply.peering!.link!.requester }],
      staticRoutes: [{ policy: 'policyDst', cidr: '10.60.2.0/24', nextHopIP: reply.peering!.link!.accepter.split('/')[0] }],
    });
    expect(b.spec).toMatchObject({ vpcPeerings: [{ remoteVpc: vpcOf('a'), localConnectIP: reply.peering!.link!.accepter }] });

    await send({ op: 'peering.delete', actor: 'tenant:t', tenant: 't', id });
    await eventually(async () => expect(await peerings.get(id)).toBeUndefined(), { timeoutMs: 20_000 });
    expect((await readVpc('a')).spec).toEqual({ namespaces: ['t-a'], enableExternal: true });
    expect((await readVpc('b')).spec).toEqual({ namespaces: ['t-b'], enableExternal: true });
  }, 60_000);

  it('reports Degraded (VpcMissing) while a side has no Vpc, and never creates it', async () => {
    const reply = await send({ op: 'peering.create', actor: 'tenant:t', tenant: 't', project: 'a', peer: { tenant: 't', project: 'c' } });
    if (!reply.ok) throw new Error(reply.error.message);
    await eventually(async () => {
      const p = (await peerings.get(reply.peering!.id))!.value;
      expect(p.state).toBe('Degraded');
      expect(p.conditions.find((c) => c.type === 'Programmed')).toMatchObject({ reason: 'VpcMissing' });
    }, { timeoutMs: 20_000 });
    await expect(readVpc('c')).rejects.toThrow();
  }, 60_000);
});
