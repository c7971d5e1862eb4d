import type { V1Ingress } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { classRefusal, hostnameRefusal } from './ingress';

describe('hostnameRefusal', () => {
  const squatted = (host: string) => (host === 'taken.example.com' ? ['default/squatter'] : []);
  it.each([
    ['allows names under a suffix', ['a.example.com'], ['example.com'], undefined],
    ['allows every name without suffixes', ['a.other.org'], [], undefined],
    ['refuses names outside the suffixes', ['a.example.com', 'a.other.org'], ['example.com'], 'HostnameNotAllowed'],
    ['refuses a name a host Ingress netbroker does not own uses', ['ok.example.com', 'taken.example.com'], [], 'HostnameInUse'],
    ['reports suffixes before host use', ['taken.example.com'], ['other.org'], 'HostnameNotAllowed'],
    ['allows an Ingress without host names', [], ['example.com'], undefined],
  ])('%s', (_name, names, suffixes, reason) => {
    expect(hostnameRefusal(names, suffixes, squatted)?.reason).toBe(reason);
  });

  it('names the host Ingress that uses the name', () => {
    expect(hostnameRefusal(['taken.example.com'], [], squatted)?.message).toContain('default/squatter');
  });
});

describe('classRefusal', () => {
  const named = (ingressClassName?: string, annotation?: string): V1Ingress => ({
    metadata: annotation ? { annotations: { 'kubernetes.io/ingress.class': annotation } } : {},
    spec: ingressClassName ? { ingressClassName } : {},
  });
  it.each([
    ['allows every class when classes are not synced', named('any'), undefined, undefined],
    ['allows an offered class', named('nginx'), ['nginx'], undefined],
    ['allows an Ingress naming no class', named(), [], undefined],
    ['refuses a class not offered', named('traefik'), ['nginx'], 'IngressClassNotOffered'],
    ['refuses any class when none is offered', named('nginx'), [], 'IngressClassNotOffered'],
    ['refuses an offered class beside a class annotation not offered', named('nginx', 'internal'), ['nginx'], 'IngressClassNotOffered'],
  ])('%s', (_name, ingress, offered, reason) => {
    expect(classRefusal(ingress, offered)?.reason).toBe(reason);
  });

  it('names the classes not offered', () => {
    expect(classRefusal(named('nginx', 'internal'), ['nginx'])?.message).toBe('IngressClass internal is not offered to this virtual cluster (offered: nginx)');
  });
});
