import { DEFAULT_ANNOTATION_POLICY } from '@netbroker/contracts';
import { isConfigError, loadConfig } from '@netbroker/runtime';
import { describe, expect, it } from 'vitest';
import { SyncerConfig } from './config';

const env = (extra: Record<string, string>) => ({ NATS_URL: 'nats://127.0.0.1:4222', NETBROKER_ENCRYPTION_KEY: 'k', ...extra });

/** The problems loadConfig reports for `extra`, or [] when it parses. */
function problems(extra: Record<string, string>): readonly string[] {
  try {
    loadConfig(SyncerConfig, env(extra));
    return [];
  } catch (e) {
    if (isConfigError(e)) return e.problems;
    throw e;
  }
}

describe('ANNOTATION_POLICY', () => {
  it.each([
    ['unset', {}],
    ['empty', { ANNOTATION_POLICY: '' }],
    ['an empty object', { ANNOTATION_POLICY: '{}' }],
  ])('is the safe default when %s', (_case, extra) => {
    expect(loadConfig(SyncerConfig, env(extra)).ANNOTATION_POLICY).toEqual(DEFAULT_ANNOTATION_POLICY);
  });

  it('reads per-kind modes, keys and prefixes (lower-cased), auth hosts and references', () => {
    const policy = {
      ingress: { mode: 'allow', keys: ['Cert-Manager.io/Cluster-Issuer'], prefixes: ['nginx.ingress.kubernetes.io/proxy-'] },
      allowedAuthHosts: ['Auth.Example.com', '*.sso.example.com'],
      allowedReferences: ['shared-ratelimit@kubernetescrd'],
    };
    expect(loadConfig(SyncerConfig, env({ ANNOTATION_POLICY: JSON.stringify(policy) })).ANNOTATION_POLICY).toEqual({
      ingress: { mode: 'allow', keys: ['cert-manager.io/cluster-issuer'], prefixes: ['nginx.ingress.kubernetes.io/proxy-'] },
      service: { mode: 'deny', keys: [], prefixes: [] },
      allowedAuthHosts: ['auth.example.com', '*.sso.example.com'],
      allowedReferences: ['shared-ratelimit@kubernetescrd'],
      nginxAnnotationPrefixes: [],
    });
  });

  it.each([
    ['not JSON', '{mode: allow}', 'ANNOTATION_POLICY: must be a JSON object'],
    ['an unknown mode', '{"ingress":{"mode":"permit"}}', 'ANNOTATION_POLICY.ingress.mode'],
    ['a misspelt field', '{"ingres":{"mode":"allow"}}', 'ANNOTATION_POLICY'],
    ['a key with a space', '{"ingress":{"keys":["a b"]}}', 'ANNOTATION_POLICY.ingress.keys.0: must be printable ASCII'],
    ['an auth host with a path', '{"allowedAuthHosts":["auth.example.com/x"]}', 'ANNOTATION_POLICY.allowedAuthHosts.0: must be a host name'],
    ['an nginx prefix with its slash', '{"nginxAnnotationPrefixes":["ingress.example.com/"]}', 'ANNOTATION_POLICY.nginxAnnotationPrefixes.0: must be an annotation key prefix'],
  ])('stops the start when it is %s', (_case, value, expected) => {
    expect(problems({ ANNOTATION_POLICY: value }).join('\n')).toContain(expected);
  });
});
