import type { V1Ingress, V1IngressClass } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ingressClassOffered, isMirroredIngressClass, virtualIngressClassFor } from './ingress-class';

const hostClass: V1IngressClass = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: {
    name: 'nginx',
    uid: 'host-uid-1',
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: new Date(0),
    managedFields: [{ manager: 'helm' }],
    labels: { 'app.kubernetes.io/name': 'ingress-nginx' },
    annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
  },
  spec: { controller: 'k8s.io/ingress-nginx', parameters: { kind: 'ConfigMap', name: 'nginx', namespace: 'ingress-nginx', scope: 'Namespace' } },
};

describe('virtualIngressClassFor', () => {
  it('mirrors name, spec, labels and annotations, marked read-only and owned, without server fields', () => {
    expect(virtualIngressClassFor(hostClass)).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: {
        name: 'nginx',
        labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'netbroker.io/managed-by': 'netbroker' },
        annotations: {
          'ingressclass.kubernetes.io/is-default-class': 'true',
          'netbroker.io/host-uid': 'host-uid-1',
          'netbroker.io/read-only': 'true',
        },
      },
      spec: { controller: 'k8s.io/ingress-nginx', parameters: { kind: 'ConfigMap', name: 'nginx', namespace: 'ingress-nginx', scope: 'Namespace' } },
    });
  });

  it.each([
    ['its own mirror', virtualIngressClassFor(hostClass), true],
    ['a class the tenant created', { metadata: { name: 'mine' } }, false],
    ['a class labelled by hand without a host uid', { metadata: { name: 'mine', labels: { 'netbroker.io/managed-by': 'netbroker' } } }, false],
  ])('tells %s: %s', (_case, obj, mirrored) => {
    expect(isMirroredIngressClass(obj)).toBe(mirrored);
  });
});

describe('ingressClassOffered', () => {
  const withClass = (name?: string, annotation?: string, key = 'kubernetes.io/ingress.class'): V1Ingress => ({
    metadata: { name: 'web', annotations: annotation ? { [key]: annotation } : {} },
    spec: name ? { ingressClassName: name } : {},
  });
  it.each([
    ['an offered class', withClass('nginx'), ['nginx', 'traefik'], true],
    ['a class not offered', withClass('haproxy'), ['nginx'], false],
    ['a class when none are offered', withClass('nginx'), [], false],
    ['an offered class in the deprecated annotation', withClass(undefined, 'nginx'), ['nginx'], true],
    ['a class not offered in the deprecated annotation', withClass(undefined, 'haproxy'), ['nginx'], false],
    ['no class (the default serves it)', withClass(), ['nginx'], true],
    ['an offered class with a class annotation not offered', withClass('nginx', 'internal'), ['nginx'], false],
    ["a class not offered in Contour's annotation", withClass(undefined, 'internal', 'projectcontour.io/ingress.class'), ['nginx'], false],
    ['the same offered class in the spec and the annotation', withClass('nginx', 'nginx'), ['nginx'], true],
  ])('accepts %s: %s', (_case, ing, offered, expected) => {
    expect(ingressClassOffered(ing, offered)).toBe(expected);
  });
});
