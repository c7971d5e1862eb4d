import type { KubernetesObject } from '@kubernetes/client-node';
import { DEFAULT_ANNOTATION_POLICY, type AnnotationKindPolicy, type AnnotationPolicy } from '@netbroker/contracts';
import { isDns1123Label, isDns1123Subdomain } from '@netbroker/naming';
import { cidrContains, cidrRange } from './cidr';
import { hostNameIn, refusal, tenantAnnotations, type SyncContext, type SyncRefusal } from './sync-context';
import { hasControlCharacters } from './values';

// Which tenant annotations reach host objects, per kind: the operator's lists (ANNOTATION_POLICY)
// and built-in rules for what host ingress controllers act on. The table, its sources and the
// reasons are in docs/security-annotations.md. Pure: no I/O, no clock.

/** The kinds whose annotations the policy reviews. */
export type PolicyKind = 'Ingress' | 'Service';

/** `drop`: the object syncs without the annotation. `refuse`: the object is not synced at all. */
export type AnnotationAction = 'drop' | 'refuse';

/** Why an annotation does not reach the host: a built-in class, the operator's lists, or a malformed key. */
export type AnnotationClass =
  | 'invalid-key'
  | 'not-allowed'
  | 'denied'
  | 'snippet'
  | 'auth-url'
  | 'mirror'
  | 'hostnames'
  | 'configmap-ref'
  | 'secret-ref'
  | 'service-ref'
  | 'foreign-ref'
  | 'global-auth-opt-out'
  | 'load-balancer'
  | 'unsafe-value';

/** An annotation kept from the host: its key and why, never its value (tenants put credentials in values). */
export interface AnnotationFinding {
  key: string;
  class: AnnotationClass;
  action: AnnotationAction;
  why: string;
}

export interface AnnotationReview {
  /** What goes on the host object: the annotations that pass, some translated. */
  annotations: Record<string, string>;
  /** Those that do not, in key order. */
  findings: AnnotationFinding[];
}

const NGINX = 'nginx.ingress.kubernetes.io';
/** ingress-nginx annotations whose value names a Secret (`name` or `namespace/name`). */
export const SECRET_NAME_ANNOTATIONS: readonly string[] = [`${NGINX}/auth-secret`, `${NGINX}/auth-tls-secret`, `${NGINX}/proxy-ssl-secret`];

const F5_NGINX = ['nginx.org', 'nginx.com'];
/** HAProxy Technologies' controller also reads keys without a prefix. */
const HAPROXY = ['haproxy.org', 'haproxy.com', 'ingress.kubernetes.io', ''];
const HAPROXY_INGRESS = ['haproxy-ingress.github.io', 'ingress.kubernetes.io'];
const TRAEFIK = ['traefik.ingress.kubernetes.io'];
const KONG = ['konghq.com'];
const CONTOUR = ['projectcontour.io', 'contour.heptio.com'];
const EXTERNAL_DNS = 'external-dns.alpha.kubernetes.io';
/** Values under these prefixes end up in a controller's configuration: no control characters. */
const CONTROLLER_PREFIXES = [...HAPROXY, ...HAPROXY_INGRESS, ...TRAEFIK, ...KONG, ...CONTOUR].filter((p) => p !== '');

/** Annotation key prefixes of load-balancer implementations and clouds: netbroker writes those itself. */
const LOAD_BALANCER_PREFIXES = [
  'metallb.',
  'lbipam.cilium.io',
  'io.cilium/lb-ipam',
  'kube-vip.io',
  'service.beta.kubernetes.io',
  'service.kubernetes.io',
  'loadbalancer.openstack.org',
  'loadbalancer.ovhcloud.com',
  'service.nlb.kube-dc.com',
  'network.kube-dc.com',
];
/** Cloud Ingress controllers that build load balancers from annotations (AWS, GCE/GKE). */
const CLOUD_INGRESS_PREFIXES = ['alb.ingress.kubernetes.io', 'ingress.gcp.kubernetes.io', 'networking.gke.io'];
const CLOUD_INGRESS_KEYS = ['kubernetes.io/ingress.global-static-ip-name', 'kubernetes.io/ingress.regional-static-ip-name'];

/** A tenant annotation that would steer a load balancer, an address or a cloud resource. */
export function isLoadBalancerAnnotation(key: string): boolean {
  const k = key.toLowerCase();
  return k.includes('loadbalancer') || k.includes('load-balancer') || LOAD_BALANCER_PREFIXES.some((p) => k.startsWith(p));
}

/**
 * Settings that protect what they are set on (authentication, source-address lists, TLS
 * enforcement, middleware and plugin chains): when one cannot pass, dropping it would serve the
 * object with less protection than the tenant asked for, so the whole object is refused.
 */
const PROTECTIVE_NAMES = [
  /^auth-/,
  /^(allow|white|deny|black)-?list(-source-range)?$/,
  /^inbound-cidrs$/,
  /ssl-redirect$/,
  /^hsts/,
  /^(client|server)-ca$/,
  /^proxy-ssl-/,
  /^secure-verify-ca/,
  /^router\.middlewares$/,
  /^router\.tls(\.options)?$/,
  /^plugins(\.konghq\.com)?$/,
  /^protocols$/,
  /^https-redirect-status-code$/,
  /^tls-(minimum|maximum)-protocol-version$/,
];

/** A key split at its `/`: the prefix lower-cased (DNS names have no case), the name lower-cased for matching. */
interface Key {
  key: string;
  prefix: string;
  name: string;
}

const QUALIFIED_NAME = /^(?:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\/)?([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

/** An annotation key as the API server accepts it (ASCII only: look-alike characters fail), or undefined. */
function parseKey(key: string): Key | undefined {
  const match = QUALIFIED_NAME.exec(key);
  const prefix = match?.[1] ?? '';
  const name = match?.[3] ?? '';
  if (!match || name.length > 63 || (prefix !== '' && !isDns1123Subdomain(prefix))) return undefined;
  return { key, prefix, name: name.toLowerCase() };
}

/** What the action for a key is when it cannot pass: refuse for protective settings, drop otherwise. */
export function actionFor(key: string): AnnotationAction {
  const name = key.slice(key.indexOf('/') + 1).toLowerCase();
  return PROTECTIVE_NAMES.some((re) => re.test(name)) ? 'refuse' : 'drop';
}

interface RuleEnv {
  ctx: SyncContext;
  policy: AnnotationPolicy;
  /** The virtual namespace of the object: names without a namespace are in it. */
  namespace: string;
  /** ingress-nginx's prefixes: the default one and the operator's. */
  nginx: readonly string[];
}

/** The value to write on the host, or why none can be. */
type Verdict = { value: string } | { why: string };

interface Rule {
  class: AnnotationClass;
  kinds: readonly PolicyKind[];
  covers: (k: Key, env: RuleEnv) => boolean;
  /** The value to write (maybe translated), or why it cannot pass. */
  decide: (value: string, env: RuleEnv) => Verdict;
  /** Fixed action; absent: `actionFor(key)`. */
  action?: AnnotationAction;
}

/** A rule whose keys never pass, whatever their value. */
const never = (why: string) => (): Verdict => ({ why });

const under = (prefixes: readonly string[], k: Key) => prefixes.includes(k.prefix);
const named = (k: Key, ...names: string[]) => names.includes(k.name);
const BOTH: readonly PolicyKind[] = ['Ingress', 'Service'];

const PRIVATE_RANGES = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '224.0.0.0/3',
  '::/127',
  '::ffff:0:0/96',
  '64:ff9b::/96',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
].map((c) => cidrRange(c)!);

/** An IP literal in a loopback, unspecified, link-local (cloud metadata), private, shared, multicast or reserved range. */
export function isPrivateAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '');
  const range = cidrRange(`${bare}/${bare.includes(':') ? 128 : 32}`);
  return range !== undefined && PRIVATE_RANGES.some((r) => cidrContains(r, range));
}

const isIpLiteral = (host: string) => host.startsWith('[') || /^[0-9.]+$/.test(host);

/** `host` is listed, or under a `*.domain` entry (its subdomains, not the domain itself). */
const hostListed = (host: string, patterns: readonly string[]) =>
  patterns.some((p) => (p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p));

/** `svc.ns.svc` or `svc.ns.svc.cluster.local`: a Service the tenant sees in its virtual cluster. */
function clusterServiceOf(host: string): { name: string; namespace: string } | undefined {
  const [name = '', namespace = '', ...rest] = host.split('.');
  const suffix = rest.join('.');
  if ((suffix !== 'svc' && suffix !== 'svc.cluster.local') || !isDns1123Label(name) || !isDns1123Label(namespace)) return undefined;
  return { name, namespace };
}

/**
 * An `auth-url`/`auth-signin` value: http(s), no credentials, no control characters or spaces;
 * `$host` (the request's own, claimed host name), a Service of the virtual cluster (rewritten to
 * its host copy in the project's namespace), or a host the operator allows; never a loopback,
 * link-local or private address.
 */
function authUrl(value: string, env: RuleEnv): Verdict {
  if (!/^[\x21-\x7e]+$/.test(value)) return { why: 'its URL is empty or holds spaces, control or non-ASCII characters' };
  if (/^https?:\/\/\$host([:/?#]|$)/i.test(value)) return { value };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { why: 'its value is not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { why: 'its URL is not http or https' };
  if (url.username !== '' || url.password !== '') return { why: 'its URL carries credentials' };
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (isIpLiteral(host) && isPrivateAddress(host)) return { why: 'its URL points at a loopback, link-local or private address' };
  const service = clusterServiceOf(host);
  if (service) {
    url.hostname = `${hostNameIn(env.ctx, service.name, service.namespace)}.${env.ctx.hostNamespace}.svc.cluster.local`;
    return { value: url.href };
  }
  if (hostListed(host, env.policy.allowedAuthHosts)) return { value };
  return { why: "its URL's host is neither a Service of the project nor one of the operator's allowed auth hosts" };
}

/**
 * `name` or `namespace/name` of a Secret in the virtual cluster -> `hostNamespace/hostName`.
 * Anything else is undefined: such a value is not passed to the host, where it could name a
 * Secret of another namespace.
 */
export function hostSecretRef(value: string, virtualNamespace: string, ctx: SyncContext): string | undefined {
  const parts = value.trim().split('/');
  const [namespace = '', name = ''] = parts.length === 1 ? [virtualNamespace, parts[0]] : parts;
  if (parts.length > 2 || !isDns1123Label(namespace) || !isDns1123Subdomain(name)) return undefined;
  return `${ctx.hostNamespace}/${hostNameIn(ctx, name, namespace)}`;
}

function secretRef(value: string, env: RuleEnv): Verdict {
  const ref = hostSecretRef(value, env.namespace, env.ctx);
  return ref ? { value: ref } : { why: 'it names a Secret neither as `name` nor as `namespace/name`' };
}

/** ingress-nginx `default-backend`: a Service of the Ingress's namespace, renamed to its host copy. */
function serviceRef(value: string, env: RuleEnv): Verdict {
  const name = value.trim();
  return isDns1123Label(name) ? { value: hostNameIn(env.ctx, name, env.namespace) } : { why: 'it does not name a Service of the same namespace' };
}

/** Traefik middlewares/TLS options/transports and Kong plugins: netbroker syncs none, so only the operator's. */
function foreignRefs(value: string, env: RuleEnv): Verdict {
  const refs = value.split(',').map((r) => r.trim()).filter((r) => r !== '');
  return refs.every((r) => env.policy.allowedReferences.includes(r))
    ? { value }
    : { why: 'it names controller objects outside the project that the operator has not allowed' };
}

const isTrue = (value: string): Verdict => (value.trim().toLowerCase() === 'true' ? { value } : { why: "it opts out of the operator's global authentication" });

const isSecretKey = (k: Key, env: RuleEnv) =>
  (under(env.nginx, k) && named(k, 'auth-secret', 'auth-tls-secret', 'proxy-ssl-secret')) ||
  (under(HAPROXY, k) && named(k, 'auth-secret', 'auth-tls-secret', 'server-ca', 'server-crt')) ||
  (under(HAPROXY_INGRESS, k) && named(k, 'auth-secret', 'auth-tls-secret', 'secure-crt-secret', 'secure-verify-ca-secret'));

/** The built-in rules, first match wins. Each is a row of docs/security-annotations.md. */
const RULES: readonly Rule[] = [
  {
    class: 'snippet',
    kinds: BOTH,
    covers: (k) => /snippets?$/.test(k.name) || (under(HAPROXY_INGRESS, k) && k.name.startsWith('config-')),
    decide: never('it injects raw controller configuration, which can read every Secret the controller can'),
  },
  { class: 'auth-url', kinds: ['Ingress'], covers: (k, env) => (under(env.nginx, k) || under(HAPROXY_INGRESS, k)) && named(k, 'auth-url', 'auth-signin'), decide: authUrl },
  { class: 'mirror', kinds: ['Ingress'], covers: (k, env) => under(env.nginx, k) && k.name.startsWith('mirror-'), decide: never('it copies requests to an address of its choosing') },
  {
    class: 'hostnames',
    kinds: BOTH,
    covers: (k, env) =>
      k.prefix === EXTERNAL_DNS ||
      (under(env.nginx, k) && named(k, 'server-alias')) ||
      (under(KONG, k) && named(k, 'host-aliases', 'snis')) ||
      (under(TRAEFIK, k) && k.name.startsWith('router.tls.domains.')),
    decide: never("it names host names outside the project's hostname claims"),
  },
  {
    class: 'configmap-ref',
    kinds: ['Ingress'],
    covers: (k, env) => under(env.nginx, k) && named(k, 'custom-headers', 'auth-proxy-set-headers', 'fastcgi-params-configmap'),
    decide: never('it names a ConfigMap, which may be of another namespace (ConfigMaps are not synced)'),
  },
  { class: 'secret-ref', kinds: BOTH, covers: isSecretKey, decide: secretRef },
  { class: 'service-ref', kinds: ['Ingress'], covers: (k, env) => under(env.nginx, k) && named(k, 'default-backend'), decide: serviceRef },
  {
    class: 'foreign-ref',
    kinds: BOTH,
    covers: (k) =>
      (under(TRAEFIK, k) && named(k, 'router.middlewares', 'router.tls.options', 'service.serverstransport')) ||
      (under(KONG, k) && named(k, 'plugins', 'override')) ||
      (k.prefix === '' && named(k, 'plugins.konghq.com', 'configuration.konghq.com')), // Kong's keys before 0.8
    decide: foreignRefs,
  },
  { class: 'global-auth-opt-out', kinds: ['Ingress'], covers: (k, env) => under(env.nginx, k) && named(k, 'enable-global-auth'), decide: isTrue },
  {
    class: 'load-balancer',
    kinds: ['Service'],
    covers: (k) => isLoadBalancerAnnotation(k.key),
    decide: never('it steers a load balancer or a cloud resource, which netbroker writes itself'),
    action: 'drop',
  },
  {
    class: 'load-balancer',
    kinds: ['Ingress'],
    covers: (k) => isLoadBalancerAnnotation(k.key) || under(CLOUD_INGRESS_PREFIXES, k) || CLOUD_INGRESS_KEYS.includes(k.key.toLowerCase()),
    decide: never('it steers a load balancer or a cloud resource, which netbroker writes itself'),
  },
];

/** ingress-nginx's suggested annotation-value-word-blocklist, plus `;` and backticks. */
const NGINX_UNSAFE = /[{};'"`\\]|load_module|lua_package|_by_lua|proxy_pass|serviceaccount|(^|[^a-z0-9_])(location|root)([^a-z0-9_]|$)/i;

/** Why a value a controller writes into its configuration is unsafe there, if it is. */
function unsafeValue(k: Key, value: string, env: RuleEnv): string | undefined {
  const nginxFamily = under(env.nginx, k) || under(F5_NGINX, k);
  if (!nginxFamily && !under(CONTROLLER_PREFIXES, k)) return undefined;
  if (hasControlCharacters(value)) return 'its value holds control characters (line breaks among them)';
  if (nginxFamily && NGINX_UNSAFE.test(value)) return 'its value holds characters or words that break out into nginx configuration';
  return undefined;
}

const listedIn = (policy: AnnotationKindPolicy, key: string) => {
  const k = key.toLowerCase();
  return policy.keys.includes(k) || policy.prefixes.some((p) => k.startsWith(p));
};

/** One annotation: its host value, or why it does not pass. */
function reviewOne(kind: PolicyKind, key: string, value: string, env: RuleEnv): { value: string } | AnnotationFinding {
  const k = parseKey(key);
  if (!k) return { key, class: 'invalid-key', action: 'drop', why: 'the key is not a valid annotation key (spaces, non-ASCII or look-alike characters)' };
  const finding = (cls: AnnotationClass, why: string, action = actionFor(key)): AnnotationFinding => ({ key, class: cls, action, why });
  const kindPolicy = kind === 'Ingress' ? env.policy.ingress : env.policy.service;
  const listed = listedIn(kindPolicy, key);
  if (kindPolicy.mode === 'allow' && !listed) return finding('not-allowed', `the operator allows only listed annotations on ${kind}s`);
  if (kindPolicy.mode === 'deny' && listed) return finding('denied', `the operator denies it on ${kind}s`);
  let hostValue = value;
  const rule = RULES.find((r) => r.kinds.includes(kind) && r.covers(k, env));
  if (rule) {
    const verdict = rule.decide(value, env);
    if ('why' in verdict) return finding(rule.class, verdict.why, rule.action);
    hostValue = verdict.value;
  }
  const unsafe = unsafeValue(k, hostValue, env);
  return unsafe ? finding('unsafe-value', unsafe) : { value: hostValue };
}

/** The tenant's annotations of `obj` (a virtual `kind`) under the context's policy: what passes, and what does not and why. */
export function reviewAnnotations(kind: PolicyKind, obj: KubernetesObject, ctx: SyncContext): AnnotationReview {
  const policy = ctx.annotationPolicy ?? DEFAULT_ANNOTATION_POLICY;
  const env: RuleEnv = { ctx, policy, namespace: obj.metadata?.namespace ?? 'default', nginx: [NGINX, ...policy.nginxAnnotationPrefixes] };
  const review: AnnotationReview = { annotations: {}, findings: [] };
  for (const [key, value] of Object.entries(tenantAnnotations(obj)).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const verdict = reviewOne(kind, key, value, env);
    if ('why' in verdict) review.findings.push(verdict);
    else review.annotations[key] = verdict.value;
  }
  return review;
}

/** Findings as a message: `key (why); …`, at most `limit` of them. */
export function describeFindings(findings: readonly AnnotationFinding[], limit = 8): string {
  const shown = findings.slice(0, limit).map((f) => `${f.key} (${f.why})`);
  return findings.length > limit ? `${shown.join('; ')}; and ${findings.length - limit} more` : shown.join('; ');
}

/** The refusal of an object with annotations that can neither pass nor be dropped, naming their keys. */
export function annotationRefusal(kind: PolicyKind, findings: readonly AnnotationFinding[]): SyncRefusal | undefined {
  const refused = findings.filter((f) => f.action === 'refuse');
  if (refused.length === 0) return undefined;
  const them = refused.length === 1 ? 'it' : 'them';
  const message = `${kind} not synced: annotation ${describeFindings(refused)}; dropping ${them} would remove protection the ${kind} asks for`;
  return refusal('AnnotationRefused', message, refused.map((f) => f.key));
}
