import { randomUUID } from 'node:crypto';
import { CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { isNotFound, OwnedApplier } from '@netbroker/kube';
import { annotations, hostNamespace, labels } from '@netbroker/naming';
import { createLogger } from '@netbroker/runtime';
import { eventually, kubeConfigFor } from '@netbroker/testing';
import { syncContextFor } from '@netbroker/translate';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VClusterSync } from '../src/vcluster-sync';

// The sync loop run in-process against the shared real stack, IngressClasses only (no KV needed).
const stack = inject('stack');
const hostConfig = kubeConfigFor(stack.host!);
const hostNet = hostConfig.makeApiClient(NetworkingV1Api);
const virtualConfig = kubeConfigFor(stack.virtual[1]!);
const virtualNet = virtualConfig.makeApiClient(NetworkingV1Api);
const suffix = randomUUID().slice(0, 6);
const tenant = `ic${suffix}`;
let sync: VClusterSync | undefined;

beforeAll(async () => {
  await hostConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: hostNamespace(tenant, 'web') } } });
  const options = { syncIngresses: false, syncNetworkPolicies: false, syncIngressClasses: true };
  sync = new VClusterSync({
    ctx: syncContextFor({ tenant, project: 'web', options: { name: `vc${tenant}`, ...options } }),
    virtual: { id: 'virtual', kubeConfig: virtualConfig },
    host: { id: 'host', kubeConfig: hostConfig },
    applier: new OwnedApplier(hostConfig, 'netbroker-syncer'),
    countWrite: () => undefined,
    onReconciled: () => undefined,
    logger: createLogger({ service: 'syncer-test', level: 'silent' }),
    concurrency: 4,
    now: () => new Date(),
    options,
  });
  await sync.start();
});
afterAll(async () => {
  await sync?.stop();
});

const readVirtual = async (name: string) => {
  try {
    return await virtualNet.readIngressClass({ name });
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
};
const opts = { timeoutMs: 15_000 };

describe('mirroring IngressClasses host -> virtual', () => {
  it('mirrors a host class read-only, follows its changes and deletes the mirror with it', async () => {
    const name = `nginx-${suffix}`;
    const created = await hostNet.createIngressClass({
      body: { metadata: { name, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: 'k8s.io/ingress-nginx' } },
    });
    const mirror = await eventually(async () => {
      const v = await readVirtual(name);
      expect(v?.spec?.controller).toBe('k8s.io/ingress-nginx');
      return v!;
    }, opts);
    expect(mirror.metadata?.labels?.[labels.managedBy]).toBe('netbroker');
    expect(mirror.metadata?.annotations).toMatchObject({
      'ingressclass.kubernetes.io/is-default-class': 'true',
      [annotations.hostUid]: created.metadata?.uid,
      [annotations.readOnly]: 'true',
    });

    await hostNet.patchIngressClass({ name, body: [{ op: 'add', path: '/metadata/labels', value: { tier: 'public' } }] });
    await eventually(async () => expect((await readVirtual(name))?.metadata?.labels?.tier).toBe('public'), opts);

    await hostNet.deleteIngressClass({ name });
    await eventually(async () => expect(await readVirtual(name)).toBeUndefined(), opts);
  });

  it("leaves a tenant's own class of the same name alone", async () => {
    const name = `own-${suffix}`;
    const own = await virtualNet.createIngressClass({ body: { metadata: { name }, spec: { controller: 'example.com/tenant' } } });
    await hostNet.createIngressClass({ body: { metadata: { name }, spec: { controller: 'k8s.io/ingress-nginx' } } });
    const other = `other-${suffix}`;
    await hostNet.createIngressClass({ body: { metadata: { name: other }, spec: { controller: 'k8s.io/ingress-nginx' } } });
    await eventually(async () => expect(await readVirtual(other)).toBeDefined(), opts); // the loop has seen both host classes
    const now = await readVirtual(name);
    expect(now?.metadata?.resourceVersion).toBe(own.metadata?.resourceVersion);
    expect(now?.spec?.controller).toBe('example.com/tenant');
  });
});
