import { issueCertificate } from '@netbroker/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isConfigError, loadConfig, serviceEnv } from './config';
import { busOptionsFrom, busPlan, type NatsEnv } from './nats-env';

const schema = z.object(serviceEnv);
const problemsOf = (run: () => unknown): readonly string[] => {
  try {
    run();
  } catch (e) {
    if (isConfigError(e)) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
};
const config = (extra: Partial<NatsEnv> = {}): NatsEnv => ({ NATS_URL: 'nats://nats:4222', ...extra });

describe('NATS_URL', () => {
  it.each([
    ['a user and password', 'nats://svc:s3cret@nats:4222'],
    ['a token', 'nats://s3cret@nats:4222'],
    ['a token, without a scheme', 's3cret@nats:4222'],
    ['credentials in the second URL of a list', 'nats://a:4222, tls://svc:s3cret@b:4222'],
  ])('is refused when it carries %s, pointing at the *_FILE variables without repeating the secret', (_, url) => {
    const problems = problemsOf(() => loadConfig(schema, { NATS_URL: url }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^NATS_URL: carries credentials/);
    expect(problems[0]).toContain('NATS_TOKEN_FILE');
    expect(problems[0]).toContain('NATS_CREDS_FILE');
    expect(problems[0]).not.toContain('s3cret');
  });

  it.each(['nats://nats:4222', 'tls://nats.example:4222', 'nats:4222', '127.0.0.1:4222', 'nats://[::1]:4222', 'nats://a:4222,nats://b:4222', 'nats://nats:4222/?x=a@b'])(
    'accepts %s',
    (url) => {
      expect(loadConfig(schema, { NATS_URL: url }).NATS_URL).toBe(url);
    },
  );

  it('takes an empty *_FILE value (an unset Helm value) as not set', () => {
    const parsed = loadConfig(schema, { NATS_URL: 'nats://nats:4222', NATS_TOKEN_FILE: '', NATS_CA_FILE: '' });
    expect(parsed.NATS_TOKEN_FILE).toBeUndefined();
    expect(busPlan(parsed, 'api')).toEqual({ settings: { servers: ['nats://nats:4222'], name: 'api' }, problems: [] });
  });
});

describe('busPlan', () => {
  it('connects without credentials or TLS when no file is named', () => {
    expect(busPlan(config(), 'ipam')).toEqual({ settings: { servers: ['nats://nats:4222'], name: 'ipam' }, problems: [] });
  });

  it('splits a comma-separated list of servers', () => {
    expect(busPlan(config({ NATS_URL: 'nats://a:4222, nats://b:4222' }), 'ipam').settings.servers).toEqual(['nats://a:4222', 'nats://b:4222']);
  });

  it.each<[string, Partial<NatsEnv>, object]>([
    ['a token file', { NATS_TOKEN_FILE: '/s/token' }, { tokenFile: '/s/token' }],
    ['a creds file', { NATS_CREDS_FILE: '/s/user.creds' }, { credsFile: '/s/user.creds' }],
    ['a user with a password file', { NATS_USER: 'svc', NATS_PASSWORD_FILE: '/s/password' }, { user: 'svc', passwordFile: '/s/password' }],
  ])('authenticates with %s', (_, extra, auth) => {
    expect(busPlan(config(extra), 'api')).toEqual({ settings: { servers: ['nats://nats:4222'], name: 'api', auth }, problems: [] });
  });

  it('requires TLS with the system CAs for a tls:// URL, and with the given CA and client certificate when named', () => {
    expect(busPlan(config({ NATS_URL: 'tls://nats:4222' }), 'api').settings.tls).toEqual({});
    expect(busPlan(config({ NATS_CA_FILE: '/s/ca.crt' }), 'api').settings.tls).toEqual({ caFile: '/s/ca.crt' });
    expect(busPlan(config({ NATS_CA_FILE: '/s/ca.crt', NATS_CERT_FILE: '/s/tls.crt', NATS_KEY_FILE: '/s/tls.key' }), 'api').settings.tls).toEqual({
      caFile: '/s/ca.crt',
      certFile: '/s/tls.crt',
      keyFile: '/s/tls.key',
    });
  });

  it.each<[string, Partial<NatsEnv>, RegExp]>([
    ['a token and a creds file', { NATS_TOKEN_FILE: '/t', NATS_CREDS_FILE: '/c' }, /^NATS_TOKEN_FILE, NATS_CREDS_FILE: set only one way to authenticate$/],
    ['a token and a user', { NATS_TOKEN_FILE: '/t', NATS_USER: 'u', NATS_PASSWORD_FILE: '/p' }, /^NATS_TOKEN_FILE, NATS_USER\/NATS_PASSWORD_FILE: set only one way/],
    ['a user without a password file', { NATS_USER: 'u' }, /^NATS_PASSWORD_FILE: required with NATS_USER/],
    ['a password file without a user', { NATS_PASSWORD_FILE: '/p' }, /^NATS_USER: required with NATS_PASSWORD_FILE/],
    ['a client certificate without its key', { NATS_CERT_FILE: '/c' }, /^NATS_KEY_FILE: required with NATS_CERT_FILE/],
    ['a key without its certificate', { NATS_KEY_FILE: '/k' }, /^NATS_CERT_FILE: required with NATS_KEY_FILE/],
  ])('refuses %s, naming the variable', (_, extra, problem) => {
    const { problems } = busPlan(config(extra), 'api');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });
});

describe('busOptionsFrom', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const ca = issueCertificate({ cn: 'CA', kind: 'ca', now });
  const client = issueCertificate({ cn: 'svc', kind: 'client', issuer: ca, now });
  const creds = '-----BEGIN NATS USER JWT-----\neyJ0.eyJ1.sig\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\nSUAXYZ\n------END USER NKEY SEED------\n';
  const files: Record<string, string> = { '/s/token': 's3cret\n', '/s/empty': '\n', '/s/user.creds': creds, '/s/ca.crt': ca.certPem, '/s/tls.crt': client.certPem, '/s/tls.key': client.keyPem };
  const readFile = (path: string) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };

  it('reads every named file once and returns the plan', () => {
    const read: string[] = [];
    const env = config({ NATS_TOKEN_FILE: '/s/token', NATS_CA_FILE: '/s/ca.crt', NATS_CERT_FILE: '/s/tls.crt', NATS_KEY_FILE: '/s/tls.key' });
    const settings = busOptionsFrom(env, 'api', { readFile: (p) => (read.push(p), readFile(p)) });
    expect(settings).toEqual({ servers: ['nats://nats:4222'], name: 'api', auth: { tokenFile: '/s/token' }, tls: { caFile: '/s/ca.crt', certFile: '/s/tls.crt', keyFile: '/s/tls.key' } });
    expect(read.sort()).toEqual(['/s/ca.crt', '/s/tls.crt', '/s/tls.key', '/s/token']);
  });

  it('accepts a .creds file', () => {
    expect(busOptionsFrom(config({ NATS_CREDS_FILE: '/s/user.creds' }), 'api', { readFile }).auth).toEqual({ credsFile: '/s/user.creds' });
  });

  it('names the variable of a file that cannot be read, and of every file that holds the wrong thing, in one error', () => {
    const env = config({ NATS_TOKEN_FILE: '/s/missing', NATS_CA_FILE: '/s/token', NATS_CERT_FILE: '/s/tls.key', NATS_KEY_FILE: '/s/tls.crt' });
    expect(problemsOf(() => busOptionsFrom(env, 'api', { readFile }))).toEqual([
      'NATS_TOKEN_FILE: cannot read /s/missing (ENOENT)',
      'NATS_CA_FILE: /s/token holds no PEM certificate',
      'NATS_CERT_FILE: /s/tls.key holds no PEM certificate',
      'NATS_KEY_FILE: /s/tls.crt holds no PEM private key',
    ]);
  });

  it.each<[string, Partial<NatsEnv>, string]>([
    ['an empty token file', { NATS_TOKEN_FILE: '/s/empty' }, 'NATS_TOKEN_FILE: /s/empty is empty'],
    ['an empty password file', { NATS_USER: 'svc', NATS_PASSWORD_FILE: '/s/empty' }, 'NATS_PASSWORD_FILE: /s/empty is empty'],
    ['a creds file without a JWT and seed', { NATS_CREDS_FILE: '/s/token' }, 'NATS_CREDS_FILE: /s/token is not a NATS .creds file (a user JWT and an nkey seed)'],
  ])('refuses %s', (_, extra, problem) => {
    expect(problemsOf(() => busOptionsFrom(config(extra), 'api', { readFile }))).toEqual([problem]);
  });

  it('reports the rules broken along with the files, and never the contents of a file', () => {
    const problems = problemsOf(() => busOptionsFrom(config({ NATS_TOKEN_FILE: '/s/token', NATS_CREDS_FILE: '/s/ca.crt' }), 'api', { readFile }));
    expect(problems).toEqual(['NATS_TOKEN_FILE, NATS_CREDS_FILE: set only one way to authenticate', 'NATS_CREDS_FILE: /s/ca.crt is not a NATS .creds file (a user JWT and an nkey seed)']);
    expect(problems.join('\n')).not.toContain('s3cret');
  });
});
