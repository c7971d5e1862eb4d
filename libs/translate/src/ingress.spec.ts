import type { V1Ingress, V1IngressBackend } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { hostIngressFor, hostSecretRef, ingressFieldRefusal, ingressHostnames, ingressStatusBackSync, reviewIngress } from './ingress';
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

  it('leaves out a TLS Secret that is not a plain name rather than write it to the host', () => {
    const host = hostIngressFor(ingress({ tls: [{ hosts: ['a.example.com'], secretName: 'kube-system/wildcard-tls' }] }), ctx);
    expect(host.spec?.tls).toEqual([{ hosts: ['a.example.com'] }]);
  });

  it('writes only the annotations the policy lets pass', () => {
    const annotations = {
      'nginx.ingress.kubernetes.io/server-snippet': 'location / {}',
      'nginx.ingress.kubernetes.io/auth-url': 'http://169.254.169.254/',
      'nginx.ingress.kubernetes.io/default-backend': 'fallback',
      'nginx.ingress.kubernetes.io/proxy-body-size': '8m',
    };
    const written = hostIngressFor(ingress({}, { annotations }), ctx).metadata.annotations;
    expect(Object.keys(written).filter((k) => !k.startsWith('netbroker.io/'))).toEqual([
      'nginx.ingress.kubernetes.io/default-backend',
      'nginx.ingress.kubernetes.io/proxy-body-size',
    ]);
    expect(written['nginx.ingress.kubernetes.io/default-backend']).toBe('fallback-x-shop-x-vc1');
  });
});

describe('ingressFieldRefusal', () => {
  const backend = (b: V1IngressBackend) => ingress({ rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: b }] } }] });
  const path = (p: string, pathType = 'Prefix') =>
    ingress({ rules: [{ host: 'a.example.com', http: { paths: [{ path: p, pathType, backend: { service: { name: 'web', port: { number: 80 } } } }] } }] });
  it.each([
    ['a plain TLS Secret', ingress({ tls: [{ secretName: 'shop-tls' }] }), undefined],
    ['a dotted TLS Secret', ingress({ tls: [{ secretName: 'tls.example.com' }] }), undefined],
    ['a TLS entry without Secret', ingress({ tls: [{ hosts: ['a.example.com'] }] }), undefined],
    ['a TLS Secret as namespace/name (Contour delegation)', ingress({ tls: [{ secretName: 'kube-system/wildcard' }] }), 'TlsSecretNotAllowed'],
    ['a TLS Secret that is no DNS name', ingress({ tls: [{ secretName: 'Shop_TLS' }] }), 'TlsSecretNotAllowed'],
    ['an empty TLS Secret', ingress({ tls: [{ secretName: '' }] }), 'TlsSecretNotAllowed'],
    ['a Service backend', backend({ service: { name: 'web', port: { number: 80 } } }), undefined],
    ['a Service backend named as namespace/name', backend({ service: { name: 'other/web', port: { number: 80 } } }), 'BackendNotAllowed'],
    ['a core resource backend', backend({ resource: { kind: 'Service', name: 'web' } }), undefined],
    ['a resource backend of another API group', backend({ resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'assets' } }), 'BackendNotAllowed'],
    ['a backend with both a Service and a resource', backend({ service: { name: 'web' }, resource: { kind: 'Service', name: 'x' } }), 'BackendNotAllowed'],
    ['a backend with neither', backend({}), 'BackendNotAllowed'],
    ['a default backend of another API group', ingress({ defaultBackend: { resource: { apiGroup: 'x.io', kind: 'X', name: 'y' } } }), 'BackendNotAllowed'],
    ['a plain path', path('/api/v1'), undefined],
    ['a regex path with braces', path('/api/v[0-9]{1}', 'ImplementationSpecific'), undefined],
    ['a prefix path with braces', path('/x}location/{'), 'PathNotAllowed'],
    ['a path with a semicolon', path('/x;include', 'ImplementationSpecific'), 'PathNotAllowed'],
    ['a path with a line break', path('/x\nroot /', 'ImplementationSpecific'), 'PathNotAllowed'],
    ['a path with a quote', path('/x"', 'Exact'), 'PathNotAllowed'],
  ])('%s: %s', (_case, virtual, reason) => {
    expect(ingressFieldRefusal(virtual)?.reason).toBe(reason);
  });
});

describe('reviewIngress', () => {
  it('refuses an Ingress with an annotation that cannot be dropped, and reports no drops then', () => {
    const virtual = ingress({}, { annotations: { 'nginx.ingress.kubernetes.io/auth-url': 'http://169.254.169.254/', 'nginx.ingress.kubernetes.io/server-snippet': 'x' } });
    expect(reviewIngress(virtual, ctx)).toMatchObject({ refusal: { reason: 'AnnotationRefused' }, dropped: [] });
  });

  it('syncs an Ingress minus the annotations it can do without', () => {
    const virtual = ingress({}, { annotations: { 'nginx.ingress.kubernetes.io/server-snippet': 'x', 'nginx.ingress.kubernetes.io/mirror-target': 'http://x' } });
    const review = reviewIngress(virtual, ctx);
    expect(review.refusal).toBeUndefined();
    expect(review.dropped.map((f) => f.key)).toEqual(['nginx.ingress.kubernetes.io/mirror-target', 'nginx.ingress.kubernetes.io/server-snippet']);
  });

  it('refuses an Ingress whose fields point outside its namespace before looking at annotations', () => {
    const virtual = ingress({ tls: [{ secretName: 'other/tls' }] }, { annotations: { 'nginx.ingress.kubernetes.io/auth-url': 'http://127.0.0.1/' } });
    expect(reviewIngress(virtual, ctx).refusal?.reason).toBe('TlsSecretNotAllowed');
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
