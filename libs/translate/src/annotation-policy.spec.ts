import { AnnotationPolicy } from '@netbroker/contracts';
import { describe, expect, it } from 'vitest';
import { actionFor, annotationRefusal, describeFindings, isPrivateAddress, reviewAnnotations, type PolicyKind } from './annotation-policy';
import type { SyncContext } from './sync-context';

const ctx: SyncContext = { tenant: 'acme', project: 'shop', vcluster: 'vc1', hostNamespace: 'acme-shop' };
const N = 'nginx.ingress.kubernetes.io';

/** The review of one annotation on a virtual object in namespace `shop`, under `policy` (JSON as the operator writes it). */
function reviewOf(key: string, value: string, policy: unknown = {}, kind: PolicyKind = 'Ingress') {
  const review = reviewAnnotations(kind, { metadata: { name: 'web', namespace: 'shop', annotations: { [key]: value } } }, { ...ctx, annotationPolicy: AnnotationPolicy.parse(policy) });
  const finding = review.findings[0];
  return finding ? { class: finding.class, action: finding.action } : { value: review.annotations[key] };
}

const drop = (cls: string) => ({ class: cls, action: 'drop' });
const refuse = (cls: string) => ({ class: cls, action: 'refuse' });
const auth = { allowedAuthHosts: ['auth.example.com', '*.sso.example.com', '203.0.113.7'] };

describe('reviewAnnotations: built-in classes in the default (deny) mode', () => {
  it.each([
    // snippets, whatever the controller or prefix, and case differences in the name
    ['ingress-nginx server-snippet', `${N}/server-snippet`, 'location /x { return 200; }', {}, drop('snippet')],
    ['ingress-nginx configuration-snippet', `${N}/configuration-snippet`, 'more_set_headers "A: b";', {}, drop('snippet')],
    ['ingress-nginx stream-snippet', `${N}/stream-snippet`, 'server { listen 9000; }', {}, drop('snippet')],
    ['ingress-nginx modsecurity-snippet', `${N}/modsecurity-snippet`, 'SecRuleEngine Off', {}, drop('snippet')],
    ['ingress-nginx auth-snippet (an auth setting: refused)', `${N}/auth-snippet`, 'proxy_set_header X 1;', {}, refuse('snippet')],
    ['a snippet key with other case', `${N}/Server-Snippet`, 'x', {}, drop('snippet')],
    ['an empty snippet', `${N}/server-snippet`, '', {}, drop('snippet')],
    ['F5 NGINX server-snippets', 'nginx.org/server-snippets', 'x', {}, drop('snippet')],
    ['F5 NGINX location-snippets', 'nginx.org/location-snippets', 'x', {}, drop('snippet')],
    ['HAProxy backend-config-snippet', 'haproxy.org/backend-config-snippet', 'http-request deny', {}, drop('snippet')],
    ['HAProxy backend-config-snippet without prefix', 'backend-config-snippet', 'x', {}, drop('snippet')],
    ['HAProxy Ingress config-backend', 'haproxy-ingress.github.io/config-backend', 'x', {}, drop('snippet')],
    ['HAProxy Ingress config-frontend, legacy prefix', 'ingress.kubernetes.io/config-frontend', 'x', {}, drop('snippet')],
    // auth-url / auth-signin
    ['auth-url at the metadata address', `${N}/auth-url`, 'http://169.254.169.254/latest/meta-data/', auth, refuse('auth-url')],
    ['auth-url at a decimal IPv4 literal of it', `${N}/auth-url`, 'http://2852039166/', auth, refuse('auth-url')],
    ['auth-url at a hex loopback literal', `${N}/auth-url`, 'http://0x7f000001/', auth, refuse('auth-url')],
    ['auth-url at a short loopback literal', `${N}/auth-url`, 'http://127.1:8080/', auth, refuse('auth-url')],
    ['auth-url at a private address', `${N}/auth-url`, 'http://10.0.0.5/auth', auth, refuse('auth-url')],
    ['auth-url at IPv6 loopback', `${N}/auth-url`, 'http://[::1]/auth', auth, refuse('auth-url')],
    ['auth-url at IPv6 link-local', `${N}/auth-url`, 'http://[fe80::1]/', auth, refuse('auth-url')],
    ['auth-url at an IPv4-mapped IPv6 metadata address', `${N}/auth-url`, 'http://[::ffff:169.254.169.254]/', auth, refuse('auth-url')],
    ['auth-url at a public IPv6 literal nobody allowed', `${N}/auth-url`, 'http://[2001:db8::1]/', auth, refuse('auth-url')],
    ['auth-url at a public IPv4 literal nobody allowed', `${N}/auth-url`, 'http://198.51.100.1/', auth, refuse('auth-url')],
    ['auth-url at a public IPv4 literal the operator allows', `${N}/auth-url`, 'http://203.0.113.7/auth', auth, { value: 'http://203.0.113.7/auth' }],
    ['auth-url at an allowed host', `${N}/auth-url`, 'https://auth.example.com/oauth2/auth', auth, { value: 'https://auth.example.com/oauth2/auth' }],
    ['auth-url at an allowed host with a port', `${N}/auth-url`, 'https://auth.example.com:8443/x', auth, { value: 'https://auth.example.com:8443/x' }],
    ['auth-url at an allowed host in capitals', `${N}/auth-url`, 'HTTPS://AUTH.EXAMPLE.COM/', auth, { value: 'HTTPS://AUTH.EXAMPLE.COM/' }],
    ['auth-url at an allowed host with the root dot', `${N}/auth-url`, 'https://auth.example.com./', auth, { value: 'https://auth.example.com./' }],
    ['auth-url at a host when none are allowed', `${N}/auth-url`, 'https://auth.example.com/', {}, refuse('auth-url')],
    ['auth-url at a subdomain of a wildcard entry', `${N}/auth-url`, 'https://a.sso.example.com/', auth, { value: 'https://a.sso.example.com/' }],
    ['auth-url at the domain of a wildcard entry', `${N}/auth-url`, 'https://sso.example.com/', auth, refuse('auth-url')],
    ['auth-url at a look-alike suffix', `${N}/auth-url`, 'https://evilauth.example.com/', auth, refuse('auth-url')],
    ['auth-url with userinfo', `${N}/auth-url`, 'https://user:pw@auth.example.com/', auth, refuse('auth-url')],
    ['auth-url whose allowed host is userinfo', `${N}/auth-url`, 'https://auth.example.com@evil.example.net/', auth, refuse('auth-url')],
    ['auth-url with a leading space', `${N}/auth-url`, ' https://auth.example.com/', auth, refuse('auth-url')],
    ['auth-url with a line break', `${N}/auth-url`, 'https://auth.example.com/\nproxy_pass http://x;', auth, refuse('auth-url')],
    ['auth-url with a unicode look-alike host', `${N}/auth-url`, 'https://аuth.example.com/', auth, refuse('auth-url')],
    ['an empty auth-url', `${N}/auth-url`, '', auth, refuse('auth-url')],
    ['auth-url that is not http', `${N}/auth-url`, 'file:///etc/passwd', auth, refuse('auth-url')],
    ['auth-url that breaks out of nginx quoting', `${N}/auth-url`, 'https://auth.example.com/#;}location/x{', auth, refuse('unsafe-value')],
    ['auth-url at the request host', `${N}/auth-url`, 'https://$host/oauth2/auth', {}, { value: 'https://$host/oauth2/auth' }],
    ['auth-url at $host as userinfo', `${N}/auth-url`, 'https://$host@evil.example.net/', {}, refuse('auth-url')],
    ['auth-url at a Service of the virtual cluster', `${N}/auth-url`, 'http://oauth2.auth.svc.cluster.local:4180/oauth2/auth', {}, { value: 'http://oauth2-x-auth-x-vc1.acme-shop.svc.cluster.local:4180/oauth2/auth' }],
    ['auth-url at a Service, short form', `${N}/auth-url`, 'http://oauth2.auth.svc/x', {}, { value: 'http://oauth2-x-auth-x-vc1.acme-shop.svc.cluster.local/x' }],
    ['auth-url at a pod name', `${N}/auth-url`, 'http://10-0-0-1.auth.pod.cluster.local/', {}, refuse('auth-url')],
    ['auth-url at a name ending like a Service', `${N}/auth-url`, 'http://api.kube-system.svc.cluster.local.evil.example/', {}, refuse('auth-url')],
    ['auth-signin at an allowed host, with nginx variables', `${N}/auth-signin`, 'https://auth.example.com/start?rd=$escaped_request_uri', auth, { value: 'https://auth.example.com/start?rd=$escaped_request_uri' }],
    ['auth-signin at a private address', `${N}/auth-signin`, 'http://192.168.1.1/', auth, refuse('auth-url')],
    ['HAProxy Ingress auth-url at loopback', 'haproxy-ingress.github.io/auth-url', 'http://127.0.0.1/', auth, refuse('auth-url')],
    // mirrors, extra host names
    ['mirror-target', `${N}/mirror-target`, 'http://10.0.0.1$request_uri', {}, drop('mirror')],
    ['mirror-host', `${N}/mirror-host`, 'x.example.com', {}, drop('mirror')],
    ['server-alias', `${N}/server-alias`, 'other-tenant.example.com', {}, drop('hostnames')],
    ['external-dns hostname', 'external-dns.alpha.kubernetes.io/hostname', 'other-tenant.example.com', {}, drop('hostnames')],
    ['Kong host-aliases', 'konghq.com/host-aliases', 'other-tenant.example.com', {}, drop('hostnames')],
    ['Traefik certificate domains', 'traefik.ingress.kubernetes.io/router.tls.domains.0.main', 'other.example.com', {}, drop('hostnames')],
    // references to objects of other namespaces
    ['custom-headers naming a ConfigMap elsewhere', `${N}/custom-headers`, 'kube-system/headers', {}, drop('configmap-ref')],
    ['auth-proxy-set-headers (an auth setting: refused)', `${N}/auth-proxy-set-headers`, 'kube-system/headers', {}, refuse('configmap-ref')],
    ['fastcgi-params-configmap', `${N}/fastcgi-params-configmap`, 'params', {}, drop('configmap-ref')],
    ['auth-secret, a name', `${N}/auth-secret`, 'basic-auth', {}, { value: 'acme-shop/basic-auth-x-shop-x-vc1' }],
    ['auth-secret, namespace/name of the virtual cluster', `${N}/auth-secret`, 'kube-system/admin', {}, { value: 'acme-shop/admin-x-kube-system-x-vc1' }],
    ['auth-secret with three parts', `${N}/auth-secret`, 'a/b/c', {}, refuse('secret-ref')],
    ['an empty auth-tls-secret', `${N}/auth-tls-secret`, '', {}, refuse('secret-ref')],
    ['proxy-ssl-secret that is no name', `${N}/proxy-ssl-secret`, '../etc', {}, refuse('secret-ref')],
    ['HAProxy server-crt of another namespace', 'haproxy.org/server-crt', 'kube-system/admin', {}, { value: 'acme-shop/admin-x-kube-system-x-vc1' }],
    ['HAProxy server-crt that is no name', 'haproxy.org/server-crt', 'Bad_Name', {}, drop('secret-ref')],
    ['HAProxy Ingress secure-verify-ca-secret, empty', 'haproxy-ingress.github.io/secure-verify-ca-secret', '', {}, refuse('secret-ref')],
    ['default-backend, a Service of the namespace', `${N}/default-backend`, 'fallback', {}, { value: 'fallback-x-shop-x-vc1' }],
    ['default-backend naming another namespace', `${N}/default-backend`, 'other/fallback', {}, drop('service-ref')],
    ['Traefik middlewares of another namespace', 'traefik.ingress.kubernetes.io/router.middlewares', 'kube-system-admin@kubernetescrd', {}, refuse('foreign-ref')],
    ['Traefik middlewares the operator allows', 'traefik.ingress.kubernetes.io/router.middlewares', 'shared-ratelimit@kubernetescrd, compress@file', { allowedReferences: ['shared-ratelimit@kubernetescrd', 'compress@file'] }, { value: 'shared-ratelimit@kubernetescrd, compress@file' }],
    ['Traefik middlewares, one not allowed', 'traefik.ingress.kubernetes.io/router.middlewares', 'compress@file,evil-auth@kubernetescrd', { allowedReferences: ['compress@file'] }, refuse('foreign-ref')],
    ['Traefik TLS options of another namespace', 'traefik.ingress.kubernetes.io/router.tls.options', 'other-mtls@kubernetescrd', {}, refuse('foreign-ref')],
    ['a Traefik serversTransport of another namespace', 'traefik.ingress.kubernetes.io/service.serverstransport', 'other-client-cert@kubernetescrd', {}, drop('foreign-ref')],
    ['Kong plugins not allowed', 'konghq.com/plugins', 'cluster-key-auth', {}, refuse('foreign-ref')],
    ['a KongIngress override', 'konghq.com/override', 'other', {}, drop('foreign-ref')],
    ['Kong plugins, the key before 0.8', 'plugins.konghq.com', 'cluster-key-auth', {}, refuse('foreign-ref')],
    // global auth, load balancers, unsafe values
    ["opting out of the operator's global auth", `${N}/enable-global-auth`, 'false', {}, drop('global-auth-opt-out')],
    ["keeping the operator's global auth", `${N}/enable-global-auth`, 'true', {}, { value: 'true' }],
    ['an AWS ALB group joining other namespaces', 'alb.ingress.kubernetes.io/group.name', 'shared', {}, drop('load-balancer')],
    ['AWS ALB authentication (refused)', 'alb.ingress.kubernetes.io/auth-type', 'cognito', {}, refuse('load-balancer')],
    ["a GCE static IP of the operator's", 'kubernetes.io/ingress.global-static-ip-name', 'prod-ip', {}, drop('load-balancer')],
    ['a rewrite with a line break', `${N}/rewrite-target`, '/x\ninclude /etc/passwd', {}, drop('unsafe-value')],
    ['a redirect closing its quotes', `${N}/permanent-redirect`, 'https://example.com/"; proxy_pass http://x', {}, drop('unsafe-value')],
    ['auth-tls-match-cn opening a block (refused)', `${N}/auth-tls-match-cn`, 'CN=a}', {}, refuse('unsafe-value')],
    ['a lua word in any nginx value', `${N}/upstream-hash-by`, '$request_uri content_by_lua', {}, drop('unsafe-value')],
    ['an nginx value on a custom prefix', 'ingress.example.com/rewrite-target', '/x;', { nginxAnnotationPrefixes: ['ingress.example.com'] }, drop('unsafe-value')],
    ['a HAProxy value with a line break', 'haproxy.org/timeout-server', '5s\nbackend x', {}, drop('unsafe-value')],
    // what passes
    ['upstream-hash-by with a variable', `${N}/upstream-hash-by`, '$request_uri', {}, { value: '$request_uri' }],
    ['rewrite-target', `${N}/rewrite-target`, '/$2', {}, { value: '/$2' }],
    ['whitelist-source-range', `${N}/whitelist-source-range`, '10.0.0.0/8, 192.0.2.1/32', {}, { value: '10.0.0.0/8, 192.0.2.1/32' }],
    ['upstream-vhost (only the Host header to its own backend)', `${N}/upstream-vhost`, 'internal.example.com', {}, { value: 'internal.example.com' }],
    ['custom-http-errors', `${N}/custom-http-errors`, '404,503', {}, { value: '404,503' }],
    ["cert-manager's cluster issuer", 'cert-manager.io/cluster-issuer', 'letsencrypt', {}, { value: 'letsencrypt' }],
    ['the class annotation (checked by the class rule)', 'kubernetes.io/ingress.class', 'nginx', {}, { value: 'nginx' }],
    ['a Traefik entry point', 'traefik.ingress.kubernetes.io/router.entrypoints', 'websecure', {}, { value: 'websecure' }],
    ["an application's own multi-line annotation", 'example.com/notes', 'a\nb', {}, { value: 'a\nb' }],
    ['an empty ordinary annotation', 'example.com/flag', '', {}, { value: '' }],
    // keys the API server would not accept: a hostile virtual API server may still send them
    ['a key with a unicode hyphen', `${N}/server\u2010snippet`, 'x', {}, drop('invalid-key')],
    ['a key with a Cyrillic look-alike', `${N}/\u0455erver-snippet`, 'x', {}, drop('invalid-key')],
    ['a key with fullwidth letters', `${N}/\uff53erver-snippet`, 'x', {}, drop('invalid-key')],
    ['a key with a leading space', ` ${N}/rewrite-target`, '/', {}, drop('invalid-key')],
    ['a key with a trailing space', `${N}/server-snippet `, 'x', {}, drop('invalid-key')],
    ['a key with a capitalised prefix', 'Nginx.Ingress.Kubernetes.io/server-snippet', 'x', {}, drop('invalid-key')],
  ])('%s: %s', (_case, key, value, policy, expected) => {
    expect(reviewOf(key, value, policy)).toEqual(expected);
  });

  it.each([
    ['a HAProxy backend snippet', 'haproxy.org/backend-config-snippet', 'x', drop('snippet')],
    ['Kong plugins', 'konghq.com/plugins', 'key-auth', refuse('foreign-ref')],
    ['an external-dns host name', 'external-dns.alpha.kubernetes.io/hostname', 'x.example.com', drop('hostnames')],
    ['a load balancer source range (netbroker writes those: dropped, never refused)', 'service.beta.kubernetes.io/load-balancer-source-ranges', '10.0.0.0/8', drop('load-balancer')],
    ['a MetalLB address', 'metallb.universe.tf/loadBalancerIPs', '192.0.2.9', drop('load-balancer')],
    ['HAProxy server-ca, a name', 'haproxy.org/server-ca', 'ca', { value: 'acme-shop/ca-x-shop-x-vc1' }],
    ['an ingress-nginx auth-url (Ingress only)', `${N}/auth-url`, 'http://169.254.169.254/', { value: 'http://169.254.169.254/' }],
    ['a Prometheus scrape setting', 'prometheus.io/scrape', 'true', { value: 'true' }],
  ])('on a Service, %s: %s', (_case, key, value, expected) => {
    expect(reviewOf(key, value, {}, 'Service')).toEqual(expected);
  });

  it('never passes netbroker keys or the last-applied copy, and does not report them', () => {
    const annotations = { 'netbroker.io/virtual-uid': 'forged', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'example.com/a': 'b' };
    expect(reviewAnnotations('Ingress', { metadata: { namespace: 'shop', annotations } }, ctx)).toEqual({ annotations: { 'example.com/a': 'b' }, findings: [] });
  });

  it('uses the default policy when the context has none', () => {
    const review = reviewAnnotations('Ingress', { metadata: { annotations: { [`${N}/auth-url`]: 'https://auth.example.com/' } } }, ctx);
    expect(review.findings.map((f) => [f.key, f.class, f.action])).toEqual([[`${N}/auth-url`, 'auth-url', 'refuse']]);
  });
});

describe('reviewAnnotations: the operator lists', () => {
  const allow = { ingress: { mode: 'allow', keys: ['cert-manager.io/cluster-issuer'], prefixes: [`${N}/proxy-`, `${N}/`] } };
  it.each([
    ['allow mode: a listed key', 'cert-manager.io/cluster-issuer', 'le', allow, { value: 'le' }],
    ['allow mode: a listed key in other case', 'cert-manager.io/Cluster-Issuer', 'le', allow, { value: 'le' }],
    ['allow mode: a key under a listed prefix', `${N}/proxy-body-size`, '8m', allow, { value: '8m' }],
    ['allow mode: a key not listed', 'example.com/team', 'a', allow, drop('not-allowed')],
    ['allow mode: a protective key not listed is refused', 'haproxy.org/allow-list', '10.0.0.0/8', allow, refuse('not-allowed')],
    ['allow mode: built-in classes still apply to listed keys', `${N}/server-snippet`, 'x', allow, drop('snippet')],
    ['allow mode: auth-url is still checked', `${N}/auth-url`, 'http://127.0.0.1/', allow, refuse('auth-url')],
    ['deny mode: a denied key', 'example.com/team', 'a', { ingress: { keys: ['example.com/team'] } }, drop('denied')],
    ['deny mode: a key under a denied prefix', `${N}/ssl-redirect`, 'true', { ingress: { prefixes: [`${N}/ssl-`] } }, refuse('denied')],
    ['deny mode: a key denied on Services only', 'example.com/team', 'a', { service: { keys: ['example.com/team'] } }, { value: 'a' }],
    ['ingress-nginx rules on an operator prefix', 'ingress.example.com/mirror-target', 'http://x', { nginxAnnotationPrefixes: ['ingress.example.com'] }, drop('mirror')],
    ['no ingress-nginx rules on that prefix otherwise', 'ingress.example.com/mirror-target', 'http://x', {}, { value: 'http://x' }],
  ])('%s', (_case, key, value, policy, expected) => {
    expect(reviewOf(key, value, policy)).toEqual(expected);
  });

  it('allow mode on Services leaves Ingresses alone', () => {
    const policy = { service: { mode: 'allow' } };
    expect(reviewOf('example.com/team', 'a', policy, 'Service')).toEqual(drop('not-allowed'));
    expect(reviewOf('example.com/team', 'a', policy, 'Ingress')).toEqual({ value: 'a' });
  });
});

describe('actionFor', () => {
  it.each([
    [`${N}/auth-url`, 'refuse'],
    [`${N}/whitelist-source-range`, 'refuse'],
    [`${N}/denylist-source-range`, 'refuse'],
    [`${N}/force-ssl-redirect`, 'refuse'],
    [`${N}/auth-tls-verify-client`, 'refuse'],
    ['haproxy.org/allow-list', 'refuse'],
    ['traefik.ingress.kubernetes.io/router.middlewares', 'refuse'],
    ['traefik.ingress.kubernetes.io/router.tls', 'refuse'],
    ['konghq.com/plugins', 'refuse'],
    [`${N}/limit-allowlist`, 'drop'],
    [`${N}/server-snippet`, 'drop'],
    [`${N}/mirror-target`, 'drop'],
    ['traefik.ingress.kubernetes.io/router.tls.domains.0.main', 'drop'],
    ['example.com/team', 'drop'],
  ])('%s: %s', (key, action) => {
    expect(actionFor(key)).toBe(action);
  });
});

describe('isPrivateAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['169.254.169.254', true],
    ['10.1.2.3', true],
    ['172.31.0.1', true],
    ['192.168.0.1', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['[::1]', true],
    ['::', true],
    ['fd00:ec2::254', true],
    ['[::ffff:a9fe:a9fe]', true],
    ['203.0.113.7', false],
    ['8.8.8.8', false],
    ['2001:4860:4860::8888', false],
    ['not-an-ip', false],
  ])('%s: %s', (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected);
  });
});

describe('annotationRefusal', () => {
  it('names the keys and the reasons, never the values', () => {
    const annotations = { [`${N}/auth-url`]: 'http://169.254.169.254/secret-token', [`${N}/server-snippet`]: 'x' };
    const { findings } = reviewAnnotations('Ingress', { metadata: { namespace: 'shop', annotations } }, ctx);
    const refused = annotationRefusal('Ingress', findings);
    expect(refused?.reason).toBe('AnnotationRefused');
    expect(refused?.message).toContain(`${N}/auth-url`);
    expect(refused?.message).not.toContain('169.254');
    expect(refused?.message).not.toContain(`${N}/server-snippet`); // dropped, not a reason to refuse
  });

  it('is undefined when every finding can be dropped', () => {
    const { findings } = reviewAnnotations('Ingress', { metadata: { annotations: { [`${N}/server-snippet`]: 'x' } } }, ctx);
    expect(annotationRefusal('Ingress', findings)).toBeUndefined();
  });
});

describe('describeFindings', () => {
  it('lists at most `limit` findings and counts the rest', () => {
    const findings = ['a', 'b', 'c'].map((key) => ({ key: `example.com/${key}`, class: 'denied' as const, action: 'drop' as const, why: 'no' }));
    expect(describeFindings(findings, 2)).toBe('example.com/a (no); example.com/b (no); and 1 more');
  });
});
