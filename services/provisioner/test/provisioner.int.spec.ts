import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import {
  ProjectRecord,
  projectBuckets,
  projectKey,
  ProjectStatus,
  type ProjectSpec,
} from '@netbroker/contracts';
import { IpamClient, openKv, type JsonKv, type NatsConnection } from '@netbroker/bus';
import { annotations, labels } from '@netbroker/naming';
import { connectNats, eventually, kubeconfigFile, kubeConfigFor, startService, type ServiceProcess } from '@netbroker/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const stack = inject('stack');
const core = kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);
const networking = kubeConfigFor(stack.host!).makeApiClient(NetworkingV1Api);
const tenant = `prov${randomUUID().slice(0, 6)}`;
const pools = [
  { name: `${tenant}-projects`, kind: 'prefix', prefixes: ['10.150.0.0/16'], presets: ['ovh-mks-free'] },
  { name: `${tenant}-cloud`, kind: 'address', ranges: [{ start: '100.64.10.10', end: '100.64.10.250' }] },
  { name: `${tenant}-public`, kind: 'address', prefixes: ['203.0.113.0/24'] },
];

let dir: string;
let nc: NatsConnection;
let projects: JsonKv<typeof ProjectRecord>;
let statuses: JsonKv<typeof ProjectStatus>;
let ipam: ServiceProcess;
let provisioner: ServiceProcess;

const startProvisioner = () =>
  startService({
    service: 'provisioner',
    env: {
      NATS_URL: stack.natsUrl!,
      KUBECONFIG: join(dir, 'host.kubeconfig'),
      DEFAULT_PROJECT_POOL: pools[0]!.name,
      EGRESS_POOL_CLOUD: pools[1]!.name,
      EGRESS_POOL_PUBLIC: pools[2]!.name,
      LOG_LEVEL: 'warn',
    },
  });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'netbroker-prov-'));
  writeFileSync(join(dir, 'host.kubeconfig'), kubeconfigFile(stack.host!));
  nc = await connectNats(stack.natsUrl!);
  projects = await openKv(nc, projectBuckets.projects, ProjectRecord);
  statuses = await openKv(nc, projectBuckets.status, ProjectStatus);
  ipam = await startService({ service: 'ipam', name: 'ipam-prov', env: { NATS_URL: stack.natsUrl!, IPAM_POOLS: JSON.stringify(pools), LOG_LEVEL: 'warn' } });
  provisioner = await startProvisioner();
});
afterAll(async () => {
  await provisioner?.stop();
  await ipam?.stop();
  await nc?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the api writes for a new project. */
async function createProject(name: string, spec: ProjectSpec = { egressNetworkType: 'cloud' }): Promise<ProjectRecord> {
  const record: ProjectRecord = { v: 1, tenant, name, uid: randomUUID(), generation: 1, createdAt: new Date().toISOString(), spec };
  await projects.create(projectKey(tenant, name), record);
  return record;
}
const statusOf = async (name: string) => (await statuses.get(projectKey(tenant, name)))?.value;
const readyStatus = (name: string, timeoutMs = 20_000) =>
  eventually(
    async () => {
      const status = await statusOf(name);
      expect(status?.phase).toBe('Ready');
      return status!;
    },
    { timeoutMs, signal: provisioner.signal },
  );
/** Every page of the project's allocations. */
const allocationsOf = (project: string) => new IpamClient(nc).lookup({ owner: { tenant, project } });

describe('provisioning a project', () => {
  it('allocates a CIDR and an egress EIP, creates the namespace and its isolation policies, and reports Ready', async () => {
    const project = await createProject('web');
    const status = await readyStatus('web');
    expect(status.cidr).toMatch(/^10\.150\.\d+\.0\/24$/);
    expect(status.egressIp).toMatch(/^100\.64\.10\.\d+$/);
    expect(status.conditions.map((c) => [c.type, c.status])).toEqual([
      ['CidrAllocated', 'True'],
      ['EgressReady', 'True'],
      ['NamespaceReady', 'True'],
      ['Ready', 'True'],
    ]);

    const ns = await core.readNamespace({ name: `${tenant}-web` });
    expect(ns.metadata?.labels).toMatchObject({ [labels.tenant]: tenant, [labels.project]: 'web', [labels.managedBy]: 'netbroker' });
    expect(ns.metadata?.annotations).toMatchObject({ [annotations.cidr]: status.cidr, [annotations.egressIp]: status.egressIp, [annotations.projectUid]: project.uid });

    const policies = await networking.listNamespacedNetworkPolicy({ namespace: `${tenant}-web` });
    expect(policies.items.map((p) => p.metadata?.name).sort()).toEqual([
      'netbroker-allow-dns',
      'netbroker-allow-internet-egress',
      'netbroker-allow-same-project',
      'netbroker-default-deny',
    ]);
    const internet = policies.items.find((p) => p.metadata?.name === 'netbroker-allow-internet-egress')!;
    expect(internet.spec?.egress?.[0]?.to?.[0]?.ipBlock?.except).toContain('10.0.0.0/8');
    const same = policies.items.find((p) => p.metadata?.name === 'netbroker-allow-same-project')!;
    expect(same.spec?.ingress?.[0]?._from).toEqual([{ podSelector: {} }]);

    const held = await allocationsOf('web');
    expect(held.map((a) => a.owner.purpose).sort()).toEqual(['cidr', 'egress']);
  });

  it('honours a requested CIDR and a public egress network', async () => {
    await createProject('api', { cidr: '10.150.200.0/24', egressNetworkType: 'public' });
    const status = await readyStatus('api');
    expect(status.cidr).toBe('10.150.200.0/24');
    expect(status.egressIp).toMatch(/^203\.0\.113\.\d+$/);
    expect(status.egressIp).not.toMatch(/\.(0|255)$/);
  });

  it('fails with a clear reason when the requested CIDR is taken or reserved, and allocates nothing', async () => {
    await createProject('clash', { cidr: '10.150.200.0/24', egressNetworkType: 'cloud' });
    await createProject('reserved', { cidr: '10.2.0.0/24', egressNetworkType: 'cloud' });
    for (const [name, reason] of [
      ['clash', 'OverlapsAllocated'],
      ['reserved', 'OutsidePool'],
    ] as const) {
      const status = await eventually(async () => {
        const s = await statusOf(name);
        expect(s?.phase).toBe('Failed');
        return s!;
      });
      expect(status.conditions.find((c) => c.type === 'CidrAllocated')).toMatchObject({ status: 'False', reason });
      expect(status.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason });
      expect(await allocationsOf(name)).toEqual([]);
    }
  });

  it('never takes over a namespace it does not own', async () => {
    await core.createNamespace({ body: { metadata: { name: `${tenant}-taken`, labels: { team: 'someone-else' } } } });
    await createProject('taken');
    const status = await eventually(async () => {
      const s = await statusOf('taken');
      expect(s?.conditions.find((c) => c.type === 'NamespaceReady')?.status).toBe('False');
      return s!;
    });
    expect(status.conditions.find((c) => c.type === 'NamespaceReady')?.reason).toBe('NotOwned');
    const ns = await core.readNamespace({ name: `${tenant}-taken` });
    expect(ns.metadata?.labels).toEqual({ team: 'someone-else', 'kubernetes.io/metadata.name': `${tenant}-taken` });
    expect((await networking.listNamespacedNetworkPolicy({ namespace: `${tenant}-taken` })).items).toEqual([]);
  });
});

describe('deleting a project', () => {
  it('removes its policies, requests namespace deletion, releases its addresses, then its records', async () => {
    const project = await createProject('gone');
    await readyStatus('gone');
    const key = `${tenant}.gone`;
    const current = (await projects.get(key))!;
    await projects.update(key, { ...project, deletionRequestedAt: new Date().toISOString() }, current.revision);

    await eventually(async () => expect(await projects.get(key)).toBeUndefined(), { timeoutMs: 20_000 });
    expect(await statusOf('gone')).toBeUndefined();
    expect(await allocationsOf('gone')).toEqual([]);
    expect((await networking.listNamespacedNetworkPolicy({ namespace: `${tenant}-gone` })).items).toEqual([]);
    // The bare apiserver has no namespace controller: deletion is requested, never finished.
    const ns = await core.readNamespace({ name: `${tenant}-gone` });
    expect(ns.metadata?.deletionTimestamp).toBeDefined();
  });
});

describe('a provisioner killed mid-flow', () => {
  it('converges after restart with exactly one CIDR and one EIP per project', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `bulk-${i}`);
    await Promise.all(names.map((n) => createProject(n)));
    // Kill as soon as the first of them has got its CIDR: the others are somewhere mid-flow.
    await eventually(async () => expect((await Promise.all(names.map(allocationsOf))).some((a) => a.length > 0)).toBe(true), { intervalMs: 5 });
    provisioner.proc.kill('SIGKILL');
    await provisioner.stop();
    provisioner = await startProvisioner();

    for (const name of names) await readyStatus(name, 30_000);
    for (const name of names) {
      const held = await allocationsOf(name);
      expect(held.map((a) => a.owner.purpose).sort()).toEqual(['cidr', 'egress']);
    }
  });
});
