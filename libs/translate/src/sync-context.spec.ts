import type { KubernetesObject, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { hostServiceFor } from './service';
import { isOwnedByVCluster, isSyncedFrom, ownershipConflict, recordedVirtualRef, syncContextFor, type SyncContext } from './sync-context';

const ctx: SyncContext = { tenant: 'acme', project: 'shop', vcluster: 'vc1', hostNamespace: 'acme-shop' };
const virtual = (name: string, namespace: string, uid: string): V1Service => ({ metadata: { name, namespace, uid }, spec: { ports: [{ port: 80 }] } });
const web = virtual('web', 'default', 'uid-1');
const synced = hostServiceFor(web, ctx);
const edited = (change: (host: typeof synced) => void) => {
  const host = structuredClone(synced);
  change(host);
  return host;
};

describe('isSyncedFrom', () => {
  it.each([
    ['the host object built from it', synced, web, ctx, true],
    ['a virtual object with another uid', synced, virtual('web', 'default', 'uid-2'), ctx, false],
    ['a virtual object without uid', synced, { metadata: { name: 'web', namespace: 'default' } }, ctx, false],
    ['a host object without the managed-by label', edited((h) => delete h.metadata.labels['netbroker.io/managed-by']), web, ctx, false],
    ['a host object recording another vcluster', edited((h) => (h.metadata.annotations['netbroker.io/vcluster'] = 'vc2')), web, ctx, false],
    ['another project', synced, web, { ...ctx, project: 'blog' }, false],
  ])('recognises %s: %s', (_case, host: KubernetesObject, source: KubernetesObject, context, expected) => {
    expect(isSyncedFrom(host, source, context)).toBe(expected);
  });

  it('holds for every object hostServiceFor builds', () => {
    expect(isOwnedByVCluster(synced, ctx)).toBe(true);
  });
});

describe('ownershipConflict', () => {
  it.each([
    ['no host object', undefined, web, undefined],
    ['the host object synced from it', synced, web, undefined],
    ['its host object after the virtual object was re-created (new uid)', synced, virtual('web', 'default', 'uid-9'), undefined],
    ['a host object netbroker does not own', { metadata: { name: 'web-x-default-x-vc1', namespace: 'acme-shop' } }, web, 'HostObjectNotOwned'],
    ['a host object of another virtual cluster', edited((h) => (h.metadata.annotations['netbroker.io/vcluster'] = 'vc2')), web, 'HostObjectOfOtherVCluster'],
    ['a host object of another project', edited((h) => (h.metadata.labels['netbroker.io/project'] = 'blog')), web, 'HostObjectOfOtherVCluster'],
    // vcluster's naming collides: a-x-b in c and a in b-x-c both become a-x-b-x-c-x-vc1.
    ['another virtual object with the same host name', hostServiceFor(virtual('a-x-b', 'c', 'u1'), ctx), virtual('a', 'b-x-c', 'u2'), 'HostNameCollision'],
  ])('for %s is %s', (_case, host: KubernetesObject | undefined, source, reason) => {
    expect(ownershipConflict(host, source, ctx)?.reason).toBe(reason);
  });

  it('explains a collision with the virtual object that holds the name', () => {
    expect(ownershipConflict(hostServiceFor(virtual('a-x-b', 'c', 'u1'), ctx), virtual('a', 'b-x-c', 'u2'), ctx)?.message).toBe(
      'host object acme-shop/a-x-b-x-c-x-vc1 was synced from c/a-x-b, which has the same host name',
    );
  });
});

describe('recordedVirtualRef', () => {
  it('reads back the virtual object a host object was built from', () => {
    expect(recordedVirtualRef(synced)).toEqual({ kind: 'Service', namespace: 'default', name: 'web', uid: 'uid-1' });
  });

  it('reads nothing from an object netbroker does not manage', () => {
    expect(recordedVirtualRef(edited((h) => delete h.metadata.labels['netbroker.io/managed-by']))).toBeUndefined();
  });
});

describe('syncContextFor', () => {
  const options = { syncIngresses: false, syncNetworkPolicies: false, syncIngressClasses: false };
  it.each([
    ['the project name when the virtual cluster has no name of its own', { tenant: 'acme', project: 'shop', options }, {}, { ...ctx, vcluster: 'shop' }],
    ['its own name when it has one', { tenant: 'acme', project: 'shop', options: { ...options, name: 'vc1' } }, {}, ctx],
    [
      'the project CIDR and allowed blocks when given',
      { tenant: 'acme', project: 'shop', options: { ...options, name: 'vc1' } },
      { projectCidr: '10.20.0.0/24', allowedIpBlocks: ['192.0.2.0/28'] },
      { ...ctx, projectCidr: '10.20.0.0/24', allowedIpBlocks: ['192.0.2.0/28'] },
    ],
  ])('uses %s', (_case, record, extra, expected) => {
    expect(syncContextFor(record, extra)).toStrictEqual(expected);
  });
});
