import { createPrivateKey, X509Certificate } from 'node:crypto';
import { parseAllDocuments } from 'yaml';

// A tenant's kubeconfig is hostile input: it may carry exec / auth-provider plugins (code run by
// whoever loads it), file paths (local files read and sent to a server of the tenant's choosing),
// proxies, impersonation and basic auth. This module reads it as data and keeps only what
// netbroker needs to reach one API server with inline credentials. No I/O, no clock.

/** Why a kubeconfig (or one field of it) is refused: a closed set, machine-readable. */
export type KubeconfigReason =
  | 'too-large'
  | 'syntax'
  | 'alias'
  | 'structure'
  | 'forbidden-field'
  | 'unknown-field'
  | 'ambiguous'
  | 'missing'
  | 'invalid-value'
  | 'insecure-not-allowed';

/** One refusal: `path` is where in the document (`users[0].user.exec`), never the value. */
export interface KubeconfigProblem {
  path: string;
  reason: KubeconfigReason;
  message: string;
}

/** What netbroker keeps of a tenant's kubeconfig: one server and inline credentials, nothing else. */
export interface TenantCredentials {
  /** `https://host[:port][/path]`, ASCII, no user info, query or fragment. */
  server: string;
  /** base64 PEM, as in `certificate-authority-data`. */
  caData?: string;
  tlsServerName?: string;
  insecureSkipTlsVerify: boolean;
  token?: string;
  /** base64 PEM, as in `client-certificate-data` / `client-key-data` (always both or neither). */
  clientCertificateData?: string;
  clientKeyData?: string;
}

export interface SanitizeOptions {
  /** `insecure-skip-tls-verify: true` is refused unless the operator allows it. */
  allowInsecureTls: boolean;
}

/** `serverPath`: where the server that was kept stands in the document (`clusters[0].cluster.server`). */
export type Sanitized = { ok: true; credentials: TenantCredentials; serverPath: string } | { ok: false; problems: KubeconfigProblem[] };

export const KUBECONFIG_MAX_BYTES = 256 * 1024;
const MAX_ENTRIES = 32;
const MAX_TOKEN = 16 * 1024;
const MAX_PEM_BASE64 = 96 * 1024;

/** Fields that make a client run a program, read a file, or act as someone else: named so the refusal says why. */
const FORBIDDEN: Record<'cluster' | 'user', Record<string, string>> = {
  cluster: {
    'certificate-authority': 'a file path; use certificate-authority-data',
    'proxy-url': 'a proxy would route netbroker through an address the operator did not allow',
  },
  user: {
    exec: 'an exec credential plugin runs a program inside netbroker; use an inline token or client certificate',
    'auth-provider': 'an auth-provider plugin runs code and reads files inside netbroker; use an inline token or client certificate',
    tokenFile: 'a file path; use token',
    'token-file': 'a file path; use token',
    'client-certificate': 'a file path; use client-certificate-data',
    'client-key': 'a file path; use client-key-data',
    username: 'basic authentication is not accepted; use a token or a client certificate',
    password: 'basic authentication is not accepted; use a token or a client certificate',
    as: 'impersonation is not accepted',
    'as-uid': 'impersonation is not accepted',
    'as-groups': 'impersonation is not accepted',
    'as-user-extra': 'impersonation is not accepted',
  },
};

const ALLOWED = {
  top: ['apiVersion', 'kind', 'clusters', 'contexts', 'users', 'current-context', 'preferences', 'extensions'],
  cluster: ['server', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'extensions'],
  user: ['token', 'client-certificate-data', 'client-key-data', 'extensions'],
  context: ['cluster', 'user', 'namespace', 'name', 'extensions'],
  entry: { clusters: 'cluster', users: 'user', contexts: 'context' },
} as const;

type Obj = Record<string, unknown>;
type Section = keyof typeof ALLOWED.entry;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const NAME = /^[\x20-\x7e]{1,253}$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Plain data only: a `!!binary` Buffer or any other object a YAML tag made is not a kubeconfig value. */
function plainDataProblem(value: unknown, path: string): KubeconfigProblem | undefined {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = plainDataProblem(item, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (!isObj(value)) return { path: path || '(root)', reason: 'syntax', message: 'only plain YAML/JSON values are accepted (no tags)' };
  for (const [key, item] of Object.entries(value)) {
    const found = plainDataProblem(item, path ? `${path}.${key}` : key);
    if (found) return found;
  }
  return undefined;
}

/** YAML 1.2 core (JSON is YAML): one document, unique keys, no aliases, no tags, no warnings. */
function parse(text: string): { ok: true; doc: unknown } | { ok: false; problem: KubeconfigProblem } {
  if (Buffer.byteLength(text, 'utf8') > KUBECONFIG_MAX_BYTES) {
    return { ok: false, problem: { path: '(root)', reason: 'too-large', message: `larger than ${KUBECONFIG_MAX_BYTES} bytes` } };
  }
  const syntax = (message: string): { ok: false; problem: KubeconfigProblem } => ({ ok: false, problem: { path: '(root)', reason: 'syntax', message } });
  let documents: ReturnType<typeof parseAllDocuments>;
  try {
    documents = parseAllDocuments(text, { version: '1.2', schema: 'core', uniqueKeys: true, prettyErrors: false, logLevel: 'silent', merge: false });
  } catch {
    return syntax('not valid YAML or JSON');
  }
  if (!Array.isArray(documents) || documents.length !== 1) return syntax('expected exactly one YAML document');
  const [document] = documents;
  if (!document || document.errors.length > 0) return syntax('not valid YAML or JSON, or more than one document, or a key given twice');
  if (document.warnings.length > 0) return syntax('YAML tags are not accepted');
  let doc: unknown;
  try {
    doc = document.toJS({ maxAliasCount: 0 });
  } catch {
    return { ok: false, problem: { path: '(root)', reason: 'alias', message: 'YAML anchors and aliases are not accepted' } };
  }
  const tagged = plainDataProblem(doc, '');
  return tagged ? { ok: false, problem: tagged } : { ok: true, doc };
}

/** Refuses every key of `obj` outside `allowed`, naming plugins and file paths for what they are. */
function fieldProblems(obj: Obj, path: string, allowed: readonly string[], forbidden: Record<string, string> = {}): KubeconfigProblem[] {
  const problems: KubeconfigProblem[] = [];
  for (const key of Object.keys(obj)) {
    const at = `${path}.${key}`;
    const why = Object.hasOwn(forbidden, key) ? forbidden[key] : key.endsWith('-file') || key.endsWith('File') ? 'a file path' : undefined;
    if (why) problems.push({ path: at, reason: 'forbidden-field', message: `${key} is not accepted: ${why}` });
    else if (!allowed.includes(key)) problems.push({ path: at, reason: 'unknown-field', message: `${key} is not a field netbroker accepts here` });
    else if (key === 'extensions' && !(Array.isArray(obj[key]) && obj[key].length === 0)) {
      problems.push({ path: at, reason: 'unknown-field', message: 'extensions are not understood and not accepted' });
    }
  }
  return problems;
}

/** A named list (`clusters`, `users`, `contexts`): each entry `{ name, <kind>: {…} }`, names unique. */
function entries(doc: Obj, section: Section, problems: KubeconfigProblem[]): Map<string, { path: string; body: Obj }> {
  const found = new Map<string, { path: string; body: Obj }>();
  const list = doc[section];
  if (list === undefined || list === null) return found;
  if (!Array.isArray(list)) {
    problems.push({ path: section, reason: 'structure', message: `${section} must be a list` });
    return found;
  }
  if (list.length > MAX_ENTRIES) {
    problems.push({ path: section, reason: 'too-large', message: `more than ${MAX_ENTRIES} entries` });
    return found;
  }
  const kind = ALLOWED.entry[section];
  for (const [i, entry] of list.entries()) {
    const path = `${section}[${i}]`;
    if (!isObj(entry) || typeof entry.name !== 'string' || !NAME.test(entry.name) || !isObj(entry[kind])) {
      problems.push({ path, reason: 'structure', message: `each entry needs a printable ASCII name and a ${kind} mapping` });
      continue;
    }
    problems.push(...fieldProblems(entry, path, ['name', kind]));
    if (found.has(entry.name)) {
      problems.push({ path: `${path}.name`, reason: 'ambiguous', message: `the name ${JSON.stringify(entry.name)} is used twice in ${section}` });
    }
    found.set(entry.name, { path: `${path}.${kind}`, body: entry[kind] });
  }
  return found;
}

/** base64 of a PEM block that Node can read as `what`. */
function pemProblem(value: unknown, path: string, what: 'certificate' | 'key'): KubeconfigProblem | undefined {
  const invalid = (message: string): KubeconfigProblem => ({ path, reason: 'invalid-value', message });
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PEM_BASE64 || !BASE64.test(value)) {
    return invalid(`must be base64 of at most ${MAX_PEM_BASE64} characters`);
  }
  const pem = Buffer.from(value, 'base64').toString('utf8');
  try {
    if (what === 'key') createPrivateKey(pem);
    else if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no certificate');
    else new X509Certificate(pem);
  } catch {
    return invalid(what === 'key' ? 'is not a PEM private key' : 'is not a PEM certificate');
  }
  return undefined;
}

/** `https://host[:port][/path]` in printable ASCII; the normalised URL string. */
function serverOf(value: unknown, path: string, problems: KubeconfigProblem[]): string | undefined {
  const invalid = (message: string) => problems.push({ path, reason: 'invalid-value', message });
  if (typeof value !== 'string' || value.length === 0) return void invalid('server is required');
  if (value.length > 2048 || !PRINTABLE_ASCII.test(value)) return void invalid('server must be printable ASCII (international names in punycode) of at most 2048 characters');
  if (!URL.canParse(value)) return void invalid('server is not a URL');
  const url = new URL(value);
  if (url.protocol === 'http:') return void problems.push({ path, reason: 'insecure-not-allowed', message: 'server must be an https:// URL' });
  if (url.protocol !== 'https:') return void invalid('server must be an https:// URL');
  if (url.username || url.password || url.search || url.hash) return void invalid('server must not carry user info, a query or a fragment');
  if (!url.hostname) return void invalid('server has no host');
  return url.href.replace(/\/$/, '');
}

function clusterOf(body: Obj, path: string, options: SanitizeOptions, problems: KubeconfigProblem[]): Omit<TenantCredentials, 'token' | 'clientCertificateData' | 'clientKeyData'> | undefined {
  const server = serverOf(body.server, `${path}.server`, problems);
  const insecure = body['insecure-skip-tls-verify'];
  if (insecure !== undefined && typeof insecure !== 'boolean') problems.push({ path: `${path}.insecure-skip-tls-verify`, reason: 'invalid-value', message: 'must be true or false' });
  if (insecure === true && !options.allowInsecureTls) {
    problems.push({ path: `${path}.insecure-skip-tls-verify`, reason: 'insecure-not-allowed', message: 'this installation does not allow skipping TLS verification' });
  }
  const ca = body['certificate-authority-data'];
  if (ca !== undefined) {
    const bad = pemProblem(ca, `${path}.certificate-authority-data`, 'certificate');
    if (bad) problems.push(bad);
    if (insecure === true) problems.push({ path: `${path}.insecure-skip-tls-verify`, reason: 'invalid-value', message: 'a CA and skipping TLS verification contradict each other' });
  }
  const tlsServerName = body['tls-server-name'];
  if (tlsServerName !== undefined && (typeof tlsServerName !== 'string' || !DNS_NAME.test(tlsServerName))) {
    problems.push({ path: `${path}.tls-server-name`, reason: 'invalid-value', message: 'must be a DNS name' });
  }
  if (!server) return undefined;
  return {
    server,
    insecureSkipTlsVerify: insecure === true,
    ...(typeof ca === 'string' ? { caData: ca } : {}),
    ...(typeof tlsServerName === 'string' ? { tlsServerName } : {}),
  };
}

function userOf(body: Obj, path: string, problems: KubeconfigProblem[]): Pick<TenantCredentials, 'token' | 'clientCertificateData' | 'clientKeyData'> {
  const { token } = body;
  const cert = body['client-certificate-data'];
  const key = body['client-key-data'];
  if (token !== undefined && (typeof token !== 'string' || token.length > MAX_TOKEN || !PRINTABLE_ASCII.test(token))) {
    problems.push({ path: `${path}.token`, reason: 'invalid-value', message: `must be printable ASCII of at most ${MAX_TOKEN} characters` });
  }
  if ((cert === undefined) !== (key === undefined)) {
    problems.push({ path: `${path}.${cert === undefined ? 'client-certificate-data' : 'client-key-data'}`, reason: 'missing', message: 'a client certificate needs both client-certificate-data and client-key-data' });
  }
  for (const [field, value, what] of [['client-certificate-data', cert, 'certificate'], ['client-key-data', key, 'key']] as const) {
    const bad = value === undefined ? undefined : pemProblem(value, `${path}.${field}`, what);
    if (bad) problems.push(bad);
  }
  if (token === undefined && cert === undefined && key === undefined) {
    problems.push({ path, reason: 'missing', message: 'the user needs inline credentials: token, or client-certificate-data with client-key-data' });
  }
  return {
    ...(typeof token === 'string' ? { token } : {}),
    ...(typeof cert === 'string' && typeof key === 'string' ? { clientCertificateData: cert, clientKeyData: key } : {}),
  };
}

/**
 * Reads a tenant's kubeconfig (YAML or JSON) as data and returns the server and inline
 * credentials of its current context, or every problem found (each with its field path). Every
 * entry is checked, used or not; nothing is fetched, resolved, run or read from disk.
 */
export function sanitizeKubeconfig(text: string, options: SanitizeOptions): Sanitized {
  const parsed = parse(text);
  if (!parsed.ok) return { ok: false, problems: [parsed.problem] };
  const { doc } = parsed;
  if (!isObj(doc)) return { ok: false, problems: [{ path: '(root)', reason: 'structure', message: 'expected a mapping with clusters, users, contexts and current-context' }] };
  const problems = fieldProblems(doc, '(root)', ALLOWED.top).map((p) => ({ ...p, path: p.path.replace(/^\(root\)\./, '') }));
  if (doc.kind !== undefined && doc.kind !== 'Config') problems.push({ path: 'kind', reason: 'invalid-value', message: 'kind must be Config' });
  if (doc.apiVersion !== undefined && doc.apiVersion !== 'v1') problems.push({ path: 'apiVersion', reason: 'invalid-value', message: 'apiVersion must be v1' });
  if (doc.preferences !== undefined && !(isObj(doc.preferences) && Object.keys(doc.preferences).length === 0)) {
    problems.push({ path: 'preferences', reason: 'unknown-field', message: 'preferences are not understood; leave them empty' });
  }
  const clusters = entries(doc, 'clusters', problems);
  const users = entries(doc, 'users', problems);
  const contexts = entries(doc, 'contexts', problems);
  for (const [section, found] of [['cluster', clusters], ['user', users], ['context', contexts]] as const) {
    for (const { path, body } of found.values()) problems.push(...fieldProblems(body, path, ALLOWED[section], section === 'context' ? {} : FORBIDDEN[section]));
  }
  for (const { path, body } of contexts.values()) {
    if (body.namespace !== undefined && (typeof body.namespace !== 'string' || !DNS_LABEL.test(body.namespace))) {
      problems.push({ path: `${path}.namespace`, reason: 'invalid-value', message: 'must be a DNS-1123 label' });
    }
  }
  const currentName = doc['current-context'];
  if (typeof currentName !== 'string' || currentName === '') {
    problems.push({ path: 'current-context', reason: 'missing', message: 'current-context is required' });
    return { ok: false, problems };
  }
  const current = contexts.get(currentName);
  if (!current) {
    problems.push({ path: 'current-context', reason: 'missing', message: 'the current context is not in contexts' });
    return { ok: false, problems };
  }
  const ref = (field: 'cluster' | 'user', from: Map<string, { path: string; body: Obj }>) => {
    const name = current.body[field];
    const target = typeof name === 'string' ? from.get(name) : undefined;
    if (!target) problems.push({ path: `${current.path}.${field}`, reason: 'missing', message: `the current context's ${field} is not in ${field}s` });
    return target;
  };
  const clusterRef = ref('cluster', clusters);
  const userRef = ref('user', users);
  const cluster = clusterRef && clusterOf(clusterRef.body, clusterRef.path, options, problems);
  const user = userRef && userOf(userRef.body, userRef.path, problems);
  if (problems.length > 0 || !cluster || !user) return { ok: false, problems };
  return { ok: true, credentials: { ...cluster, ...user }, serverPath: `${clusterRef.path}.server` };
}

/** One line for logs and statuses: where and why, never a value. */
export const describeProblems = (problems: readonly KubeconfigProblem[]): string => problems.map((p) => `${p.path}: ${p.message}`).join('; ');
