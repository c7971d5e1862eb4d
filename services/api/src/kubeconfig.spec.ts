import { parsePolicyEntries, type TenantAccess } from '@netbroker/kube';
import { describe, expect, it } from 'vitest';
import { kubeconfigErrors } from './kubeconfig';

const kubeconfig = (server: string, user: string) => `apiVersion: v1
kind: Config
clusters: [{ name: vc, cluster: { server: '${server}' } }]
users: [{ name: admin, user: ${user} }]
contexts: [{ name: vc, context: { cluster: vc, user: admin } }]
current-context: vc
`;

const denied = parsePolicyEntries('10.96.0.1');
const access: TenantAccess = { policy: { allowed: { cidrs: [], suffixes: [] }, denied, allowLoopback: false }, allowInsecureTls: false };

describe('kubeconfigErrors', () => {
  it('has nothing to say about an inline token and an allowed https server', () => {
    expect(kubeconfigErrors(kubeconfig('https://vc.example.com:6443', '{ token: s3cret }'), access)).toEqual([]);
  });

  it.each([
    ['an exec plugin', kubeconfig('https://vc.example.com', '{ exec: { command: sh, args: [-c, id] } }'), 'kubeconfig.users[0].user.exec', 'forbidden-field'],
    ['a token file', kubeconfig('https://vc.example.com', '{ tokenFile: /var/run/secrets/token }'), 'kubeconfig.users[0].user.tokenFile', 'forbidden-field'],
    ['cloud metadata', kubeconfig('https://169.254.169.254', '{ token: s3cret }'), 'kubeconfig.clusters[0].cluster.server', 'server-not-allowed'],
    ['loopback', kubeconfig('https://127.0.0.1:6443', '{ token: s3cret }'), 'kubeconfig.clusters[0].cluster.server', 'server-not-allowed'],
    ['the host apiserver', kubeconfig('https://10.96.0.1', '{ token: s3cret }'), 'kubeconfig.clusters[0].cluster.server', 'server-not-allowed'],
    ['text that is not YAML', 'a: [b', 'kubeconfig', 'syntax'],
  ])('refuses %s with the field path under kubeconfig', (_name, text, path, reason) => {
    const errors = kubeconfigErrors(text, access);
    expect(errors).toContainEqual(expect.objectContaining({ path, reason }));
    expect(JSON.stringify(errors)).not.toContain('s3cret');
  });
});
