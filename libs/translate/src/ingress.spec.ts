import type { V1Ingress } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { hostIngressFor, hostSecretRef, ingressHostnames, ingressStatusBackSync } from './ingress';
import type { SyncContext } from './sync-context';

const ctx: SyncContext = { tenant: 'acme', project: 'shop', vcluster: 'vc1', hostNamespace: 'acme-shop' };

const ingress = (spec: V1Ingress['spec'], meta: Partial<NonNullable<V1Ingress['metadata']>> = {}): V1Ingress => ({
  metadata: { name: 'web', namespace: 'shop', uid: 'uid-1', ...meta },
  spec,
});

describe('hostIngressFor', () => {
  const virtual = ingress({
    ingressClassName: 'nginx',
    defaultBackend: { service: { name: 'fallback', port: { number: 80 } } },
    rules: [
      {
        host: 'shop.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
            { path: '/static', pathType: 'Prefix', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'assets' } } },
          ],
        },
      },
      { host: 'empty.example.com' },
    ],
    tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }, { hosts: ['other.example.com'] }],
  });

  it('renames backends and TLS Secrets and keeps hosts and the class', () => {
    expect(hostIngressFor(virtual, ctx).spec).toEqual({
      ingressClassName: 'nginx',
      defaultBackend: { service: { name: 'fallback-x-shop-x-vc1', port: { number: 80 } } },
      rules: [
        {
          host: 'shop.example.com',
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: 'web-x-shop-x-vc1', port: { name: 'http' } } } },
              {
                path: '/static',
                pathType: 'Prefix',
                backend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'assets-x-shop-x-vc1' } },
              },
            ],
          },
        },
        { host: 'empty.example.com' },
      ],
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls-x-shop-x-vc1' }, { hosts: ['other.example.com'] }],
    });
  });

  it('names and owns the host Ingress like a Service', () => {
    const host = hostIngressFor(virtual, ctx);
    expect(host).toMatchObject({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web-x-shop-x-vc1', namespace: 'acme-shop' } });
    expect(host.metadata.labels['netbroker.io/managed-by']).toBe('netbroker');
    expect(host.metadata.annotations).toMatchObject({ 'netbroker.io/virtual-kind': 'Ingress', 'netbroker.io/virtual-uid': 'uid-1' });
  });

  it('cuts a dotted name at 63 characters without leaving ".-"', () => {
    // 'a' x 51 + '.b-x-default-x-vc1' is 69 characters; the cut ends on '.', then '-' + sha256 (sha256sum).
    const host = hostIngressFor(ingress({}, { name: `${'a'.repeat(51)}.b`, namespace: 'default' }), ctx);
    expect(host.metadata.name).toBe(`${'a'.repeat(51)}-5c6208713d`);
  });

  it('renames a dotted TLS Secret', () => {
    const host = hostIngressFor(ingress({ tls: [{ secretName: 'tls.example.com' }] }), ctx);
    expect(host.spec?.tls).toEqual([{ secretName: 'tls.example.com-x-shop-x-vc1' }]);
  });

  it.each([
    ['nginx.ingress.kubernetes.io/auth-secret', 'basic-auth', 'acme-shop/basic-auth-x-shop-x-vc1'],
    ['nginx.ingress.kubernetes.io/auth-secret', 'other/basic-auth', 'acme-shop/basic-auth-x-other-x-vc1'],
    ['nginx.ingress.kubernetes.io/auth-tls-secret', 'shop/ca', 'acme-shop/ca-x-shop-x-vc1'],
    ['nginx.ingress.kubernetes.io/proxy-ssl-secret', 'backend-tls', 'acme-shop/backend-tls-x-shop-x-vc1'],
    ['nginx.ingress.kubernetes.io/auth-secret', 'a/b/c', undefined],
    ['nginx.ingress.kubernetes.io/auth-secret', '/x', undefined],
    ['nginx.ingress.kubernetes.io/rewrite-target', '/', '/'],
    ['cert-manager.io/cluster-issuer', 'letsencrypt', 'letsencrypt'],
    ['cert-manager.io/issuer', 'ca-issuer', 'ca-issuer'],
    ['netbroker.io/virtual-uid', 'forged', 'uid-1'],
  ])('writes annotation %s: %s as %s', (key, value, expected) => {
    expect(hostIngressFor(ingress({}, { annotations: { [key]: value } }), ctx).metadata.annotations[key]).toBe(expected);
  });

  it('translates a Secret reference to the host namespace whatever namespace it named', () => {
    expect(hostSecretRef('kube-system/admin', 'shop', ctx)).toBe('acme-shop/admin-x-kube-system-x-vc1');
  });
});

describe('ingressHostnames', () => {
  it('lists rule and TLS hosts lower-cased, de-duplicated and sorted', () => {
    const virtual = ingress({
      rules: [{ host: 'Shop.Example.com' }, { host: 'api.example.com' }, {}],
      tls: [{ hosts: ['shop.example.com', '*.cdn.example.com'] }, { secretName: 'x' }],
    });
    expect(ingressHostnames(virtual)).toEqual(['*.cdn.example.com', 'api.example.com', 'shop.example.com']);
  });

  it('lists nothing for an Ingress with only a default backend', () => {
    expect(ingressHostnames(ingress({ defaultBackend: { service: { name: 'web' } } }))).toEqual([]);
  });
});

describe('ingressStatusBackSync', () => {
  const lb = { ingress: [{ ip: '203.0.113.7', ports: [{ port: 443, protocol: 'TCP' }] }] };
  it.each([
    ['the host has an address', undefined, lb, { loadBalancer: lb }],
    ['the host lost it', lb, undefined, { loadBalancer: {} }],
    ['they agree', structuredClone(lb), lb, undefined],
    ['neither has one', { ingress: [] }, undefined, undefined],
  ])('copies the status when %s', (_case, virtualLb, hostLb, expected) => {
    const virtual: V1Ingress = { ...ingress({}), status: { loadBalancer: virtualLb } };
    expect(ingressStatusBackSync(virtual, { status: { loadBalancer: hostLb } })).toEqual(expected);
  });
});
