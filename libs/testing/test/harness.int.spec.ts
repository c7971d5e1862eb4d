import { randomBytes } from 'node:crypto';
import { ApiException, CoreV1Api, RbacAuthorizationV1Api, VersionApi } from '@kubernetes/client-node';
import { Kvm } from '@nats-io/kv';
import { Address4 } from 'ip-address';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectNats, kubeConfigFor, pinnedVersions } from '../src';

const stack = inject('stack');
const host = stack.host!;
const [v1, v2] = stack.virtual;
const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const core = (cluster = host, user = 'admin') => kubeConfigFor(cluster, user).makeApiClient(CoreV1Api);
const statusOf = (e: unknown) => (e instanceof ApiException ? e.code : e);

describe('the shared stack', () => {
  it('runs the pinned kube-apiserver version on host and virtual clusters', async () => {
    const pinned = pinnedVersions().KUBERNETES_VERSION;
    for (const cluster of [host, v1!, v2!]) {
      const version = await kubeConfigFor(cluster).makeApiClient(VersionApi).getCode();
      expect(version.gitVersion).toBe(pinned);
    }
  });

  it('allocates a ClusterIP inside the service CIDR of the host apiserver', async () => {
    const namespace = unique('svc');
    await core().createNamespace({ body: { metadata: { name: namespace } } });
    const svc = await core().createNamespacedService({
      namespace,
      body: { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }], selector: { app: 'web' } } },
    });
    const ip = svc.spec?.clusterIP ?? '';
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(new Address4(ip).isInSubnet(new Address4(host.serviceCidr))).toBe(true);
    const read = await core().readNamespacedService({ namespace, name: 'web' });
    expect(read.spec?.clusterIP).toBe(ip);
  });

  it('denies a restricted user until a RoleBinding grants access', async () => {
    const namespace = unique('rbac');
    await core().createNamespace({ body: { metadata: { name: namespace } } });
    const asAlice = core(host, 'alice');
    await expect(asAlice.listNamespacedService({ namespace }).catch(statusOf)).resolves.toBe(403);

    const rbac = kubeConfigFor(host).makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: { metadata: { name: 'read-services' }, rules: [{ apiGroups: [''], resources: ['services'], verbs: ['get', 'list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'alice-reads-services' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-services' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
      },
    });
    const list = await asAlice.listNamespacedService({ namespace });
    expect(list.items).toEqual([]);
    // The binding is for alice only, and only in this namespace.
    await expect(core(host, 'bob').listNamespacedService({ namespace }).catch(statusOf)).resolves.toBe(403);
    await expect(asAlice.listNamespacedService({ namespace: 'default' }).catch(statusOf)).resolves.toBe(403);
  });

  it('keeps virtual clusters apart from each other and from the host', async () => {
    const [inV1, inV2, inHost] = [unique('only-v1'), unique('only-v2'), unique('only-host')];
    await core(v1).createNamespace({ body: { metadata: { name: inV1 } } });
    await core(v2).createNamespace({ body: { metadata: { name: inV2 } } });
    await core(host).createNamespace({ body: { metadata: { name: inHost } } });
    const exists = (cluster = host, name: string) => core(cluster).readNamespace({ name }).then(() => 200, statusOf);
    expect(await exists(v1, inV1)).toBe(200);
    expect(await exists(v2, inV1)).toBe(404);
    expect(await exists(host, inV1)).toBe(404);
    expect(await exists(v1, inV2)).toBe(404);
    expect(await exists(v1, inHost)).toBe(404);
    expect(await exists(v2, inHost)).toBe(404);
    expect(new Set([host.etcdPrefix, v1!.etcdPrefix, v2!.etcdPrefix]).size).toBe(3);
  });
});

describe('JetStream KV on the shared nats-server', () => {
  let nc: Awaited<ReturnType<typeof connectNats>>;
  beforeAll(async () => {
    nc = await connectNats(stack.natsUrl!);
  });
  afterAll(() => nc.close());

  it('refuses a second create() of the same key with a conflict', async () => {
    const kv = await new Kvm(nc).create(unique('harness'));
    const revision = await kv.create('block.10-0-0-0-24', 'first');
    expect(revision).toBeGreaterThan(0);
    const second = await kv.create('block.10-0-0-0-24', 'second').then(
      () => 'created',
      (e: Error) => e.message,
    );
    expect(second).toMatch(/wrong last sequence/i);
    expect((await kv.get('block.10-0-0-0-24'))?.string()).toBe('first');
  });
});
