import { randomUUID } from 'node:crypto';
import { CoreV1Api, type V1Service } from '@kubernetes/client-node';
import { Informer, TransientError } from '@netbroker/kube';
import { eventually, kubeConfigFor } from '@netbroker/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';

// The libs/kube informer against a real API server (the second virtual cluster, which no syncer watches here).
const stack = inject('stack');
const kc = kubeConfigFor(stack.virtual[1]!);
const core = kc.makeApiClient(CoreV1Api);
const running: Array<Informer<V1Service>> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop()));
});

async function namespaceWith(...services: string[]): Promise<string> {
  const namespace = `inf-${randomUUID().slice(0, 8)}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  for (const name of services) await core.createNamespacedService({ namespace, body: { metadata: { name }, spec: { ports: [{ port: 80 }] } } });
  return namespace;
}

function informerOn(namespace: string, failFirstLists = 0) {
  const changed: string[] = [];
  const deleted: string[] = [];
  const errors: number[] = [];
  let lists = 0;
  const informer = new Informer<V1Service>(kc, {
    path: `/api/v1/namespaces/${namespace}/services`,
    list: async () => {
      if (lists++ < failFirstLists) throw new TransientError('API server unavailable');
      return core.listNamespacedService({ namespace });
    },
    onChange: (s) => changed.push(s.metadata!.name!),
    onDelete: (s) => deleted.push(s.metadata!.name!),
    onError: (_e, delay) => errors.push(delay),
    baseDelayMs: 10,
  });
  running.push(informer);
  return { informer, changed, deleted, errors };
}

describe('Informer', () => {
  it('fills its cache, then reports changes and deletions', async () => {
    const namespace = await namespaceWith('a', 'b');
    const { informer, changed, deleted } = informerOn(namespace);
    expect(informer.hasSynced).toBe(false);
    await informer.start();
    await informer.waitForSync();
    expect(informer.hasSynced).toBe(true);
    expect(informer.list().map((s) => s.metadata?.name).sort()).toEqual(['a', 'b']);
    expect(changed.sort()).toEqual(['a', 'b']);

    await core.createNamespacedService({ namespace, body: { metadata: { name: 'c' }, spec: { ports: [{ port: 80 }] } } });
    await core.deleteNamespacedService({ name: 'a', namespace });
    await eventually(() => {
      expect(changed).toContain('c');
      expect(deleted).toEqual(['a']);
      expect(informer.list().map((s) => s.metadata?.name).sort()).toEqual(['b', 'c']);
    });
  });

  it('restarts with a growing backoff after failed lists', async () => {
    const namespace = await namespaceWith('x');
    const { informer, errors } = informerOn(namespace, 3);
    await informer.start();
    await informer.waitForSync();
    expect(informer.list().map((s) => s.metadata?.name)).toEqual(['x']);
    expect(errors).toEqual([10, 20, 40]);
  });
});
