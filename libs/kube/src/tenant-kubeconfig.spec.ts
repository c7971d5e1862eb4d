import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { TEST_CERT_B64, TEST_KEY_B64 } from './fixtures/pem';
import { KUBECONFIG_MAX_BYTES, sanitizeKubeconfig, type KubeconfigReason } from './tenant-kubeconfig';

type Doc = Record<string, unknown>;

/** A usable kubeconfig as data; each case changes one thing. */
function base(): Doc {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'vc', cluster: { server: 'https://vc.example.com:6443', 'certificate-authority-data': TEST_CERT_B64 } }],
    users: [{ name: 'admin', user: { token: 's3cret-token' } }],
    contexts: [{ name: 'vc', context: { cluster: 'vc', user: 'admin', namespace: 'default' } }],
    'current-context': 'vc',
    preferences: {},
  };
}

const cluster = (d: Doc) => (d.clusters as Array<{ cluster: Doc }>)[0]!.cluster;
const user = (d: Doc) => (d.users as Array<{ user: Doc }>)[0]!.user;
const edit = (change: (d: Doc) => void): string => {
  const d = base();
  change(d);
  return stringify(d);
};
const strict = { allowInsecureTls: false };

describe('sanitizeKubeconfig', () => {
  it('keeps the server, CA and token of the current context, from YAML and from JSON', () => {
    const expected = { server: 'https://vc.example.com:6443', caData: TEST_CERT_B64, insecureSkipTlsVerify: false, token: 's3cret-token' };
    expect(sanitizeKubeconfig(stringify(base()), strict)).toEqual({ ok: true, credentials: expected, serverPath: 'clusters[0].cluster.server' });
    expect(sanitizeKubeconfig(JSON.stringify(base()), strict)).toEqual({ ok: true, credentials: expected, serverPath: 'clusters[0].cluster.server' });
  });

  it('keeps an inline client certificate and key, and a TLS server name', () => {
    const text = edit((d) => {
      (d.users as Array<{ user: Doc }>)[0]!.user = { 'client-certificate-data': TEST_CERT_B64, 'client-key-data': TEST_KEY_B64 };
      cluster(d)['tls-server-name'] = 'kubernetes.default.svc';
    });
    const result = sanitizeKubeconfig(text, strict);
    expect(result.ok && result.credentials).toMatchObject({ clientCertificateData: TEST_CERT_B64, clientKeyData: TEST_KEY_B64, tlsServerName: 'kubernetes.default.svc' });
  });

  it('accepts insecure-skip-tls-verify only where the operator allows it', () => {
    const text = edit((d) => {
      delete cluster(d)['certificate-authority-data'];
      cluster(d)['insecure-skip-tls-verify'] = true;
    });
    expect(sanitizeKubeconfig(text, { allowInsecureTls: true })).toMatchObject({ ok: true, credentials: { insecureSkipTlsVerify: true } });
    expect(sanitizeKubeconfig(text, strict)).toMatchObject({ ok: false, problems: [{ path: 'clusters[0].cluster.insecure-skip-tls-verify', reason: 'insecure-not-allowed' }] });
  });

  const hostile: Array<[string, string, string, KubeconfigReason]> = [
    ['an exec credential plugin', edit((d) => (user(d).exec = { command: 'sh', args: ['-c', 'touch /tmp/pwned'], apiVersion: 'client.authentication.k8s.io/v1' })), 'users[0].user.exec', 'forbidden-field'],
    ['an auth-provider plugin', edit((d) => (user(d)['auth-provider'] = { name: 'gcp', config: { 'cmd-path': '/bin/sh' } })), 'users[0].user.auth-provider', 'forbidden-field'],
    ['a tokenFile', edit((d) => (user(d).tokenFile = '/var/run/secrets/kubernetes.io/serviceaccount/token')), 'users[0].user.tokenFile', 'forbidden-field'],
    ['a client-certificate path', edit((d) => (user(d)['client-certificate'] = '/etc/kubernetes/pki/admin.crt')), 'users[0].user.client-certificate', 'forbidden-field'],
    ['a client-key path', edit((d) => (user(d)['client-key'] = '/etc/kubernetes/pki/admin.key')), 'users[0].user.client-key', 'forbidden-field'],
    ['a certificate-authority path', edit((d) => (cluster(d)['certificate-authority'] = '/etc/ssl/private/ca.pem')), 'clusters[0].cluster.certificate-authority', 'forbidden-field'],
    ['any other *-file field', edit((d) => (user(d)['password-file'] = '/etc/shadow')), 'users[0].user.password-file', 'forbidden-field'],
    ['a username and password', edit((d) => Object.assign(user(d), { username: 'admin', password: 'x' })), 'users[0].user.username', 'forbidden-field'],
    ['a proxy-url', edit((d) => (cluster(d)['proxy-url'] = 'socks5://169.254.169.254:1080')), 'clusters[0].cluster.proxy-url', 'forbidden-field'],
    ['impersonation', edit((d) => (user(d).as = 'system:admin')), 'users[0].user.as', 'forbidden-field'],
    ['impersonated groups', edit((d) => (user(d)['as-groups'] = ['system:masters'])), 'users[0].user.as-groups', 'forbidden-field'],
    ['user extensions', edit((d) => (user(d).extensions = [{ name: 'x', extension: {} }])), 'users[0].user.extensions', 'unknown-field'],
    ['top-level extensions', edit((d) => (d.extensions = [{ name: 'x', extension: { a: 1 } }])), 'extensions', 'unknown-field'],
    ['an unknown field', edit((d) => (cluster(d)['disable-compression'] = true)), 'clusters[0].cluster.disable-compression', 'unknown-field'],
    ['a zero-width character in a key', edit((d) => (user(d)['exec\u200b'] = { command: 'sh' })), 'users[0].user.exec\u200b', 'unknown-field'],
    ['a Cyrillic look-alike key', edit((d) => (user(d)['\u0435x\u0435c'] = { command: 'sh' })), 'users[0].user.\u0435x\u0435c', 'unknown-field'],
    ['a __proto__ key', JSON.stringify(base()).replace('"preferences":{}', '"preferences":{},"__proto__":{"polluted":true}'), '__proto__', 'unknown-field'],
    ['an exec plugin in a user no context uses', edit((d) => (d.users as unknown[]).push({ name: 'other', user: { exec: { command: 'sh' } } })), 'users[1].user.exec', 'forbidden-field'],
    ['two clusters of one name', edit((d) => (d.clusters as unknown[]).push({ name: 'vc', cluster: { server: 'https://evil.example.com' } })), 'clusters[1].name', 'ambiguous'],
    ['two users of one name', edit((d) => (d.users as unknown[]).push({ name: 'admin', user: { token: 'other' } })), 'users[1].name', 'ambiguous'],
    ['two contexts of one name', edit((d) => (d.contexts as unknown[]).push({ name: 'vc', context: { cluster: 'vc', user: 'admin' } })), 'contexts[1].name', 'ambiguous'],
    ['no current context', edit((d) => delete d['current-context']), 'current-context', 'missing'],
    ['a current context that is not there', edit((d) => (d['current-context'] = 'nope')), 'current-context', 'missing'],
    ['a user without credentials', edit((d) => ((d.users as Array<{ user: Doc }>)[0]!.user = {})), 'users[0].user', 'missing'],
    ['a certificate without its key', edit((d) => ((d.users as Array<{ user: Doc }>)[0]!.user = { 'client-certificate-data': TEST_CERT_B64 })), 'users[0].user.client-key-data', 'missing'],
    ['a key that is not a key', edit((d) => ((d.users as Array<{ user: Doc }>)[0]!.user = { 'client-certificate-data': TEST_CERT_B64, 'client-key-data': TEST_CERT_B64 })), 'users[0].user.client-key-data', 'invalid-value'],
    ['a CA that is not base64', edit((d) => (cluster(d)['certificate-authority-data'] = 'not base64!')), 'clusters[0].cluster.certificate-authority-data', 'invalid-value'],
    ['a CA that is base64 of no certificate', edit((d) => (cluster(d)['certificate-authority-data'] = Buffer.from('hello').toString('base64'))), 'clusters[0].cluster.certificate-authority-data', 'invalid-value'],
    ['a plain http server', edit((d) => (cluster(d).server = 'http://vc.example.com')), 'clusters[0].cluster.server', 'insecure-not-allowed'],
    ['a server with user info', edit((d) => (cluster(d).server = 'https://user:pw@vc.example.com')), 'clusters[0].cluster.server', 'invalid-value'],
    ['a server with a query', edit((d) => (cluster(d).server = 'https://vc.example.com/?x=1')), 'clusters[0].cluster.server', 'invalid-value'],
    ['a server that is not a URL', edit((d) => (cluster(d).server = 'vc.example.com:443')), 'clusters[0].cluster.server', 'invalid-value'],
    ['a unicode server name', edit((d) => (cluster(d).server = 'https://v\u0441.example.com')), 'clusters[0].cluster.server', 'invalid-value'],
    ['a right-to-left override in a name', edit((d) => ((d.contexts as Array<{ name: string }>)[0]!.name = 'vc\u202e')), 'contexts[0]', 'structure'],
    ['a token with a newline (header injection)', edit((d) => (user(d).token = 'abc\r\nX-Injected: 1')), 'users[0].user.token', 'invalid-value'],
    ['a namespace that is not a label', edit((d) => (((d.contexts as Array<{ context: Doc }>)[0]!.context.namespace = '../etc'))), 'contexts[0].context.namespace', 'invalid-value'],
    ['another kind', edit((d) => (d.kind = 'Pod')), 'kind', 'invalid-value'],
    ['non-empty preferences', edit((d) => (d.preferences = { colors: true })), 'preferences', 'unknown-field'],
    ['clusters that are not a list', edit((d) => (d.clusters = { vc: {} })), 'clusters', 'structure'],
    ['too many entries', edit((d) => (d.users = Array.from({ length: 33 }, (_, i) => ({ name: `u${i}`, user: { token: 't' } })))), 'users', 'too-large'],
  ];

  it.each(hostile)('refuses %s with the field path', (_name, text, path, reason) => {
    const result = sanitizeKubeconfig(text, strict);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toContainEqual(expect.objectContaining({ path, reason }));
    const said = JSON.stringify(result.problems);
    for (const secret of ['s3cret-token', '/tmp/pwned', '/etc/shadow', 'touch']) expect(said).not.toContain(secret);
  });

  const unparsable: Array<[string, string, KubeconfigReason]> = [
    ['text that is not YAML', 'a: [b', 'syntax'],
    ['a scalar', 'hello', 'structure'],
    ['two YAML documents', `${stringify(base())}---\n${stringify(base())}`, 'syntax'],
    ['a key given twice', `current-context: vc\ncurrent-context: other\n`, 'syntax'],
    ['a billion-laughs alias bomb', ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n'), 'alias'],
    ['a single harmless alias', `${stringify(base())}x: &y 1\nz: *y\n`, 'alias'],
    ['a !!binary tag', `${stringify(base())}blob: !!binary aGVsbG8=\n`, 'syntax'],
    ['a custom tag', `${stringify(base())}thing: !js/function "return 1"\n`, 'syntax'],
    ['a document over the size limit', `${stringify(base())}# ${'x'.repeat(KUBECONFIG_MAX_BYTES)}\n`, 'too-large'],
  ];

  it.each(unparsable)('refuses %s as a whole', (_name, text, reason) => {
    const result = sanitizeKubeconfig(text, strict);
    expect(result).toMatchObject({ ok: false, problems: [expect.objectContaining({ reason })] });
  });
});
