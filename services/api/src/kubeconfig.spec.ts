import { describe, expect, it } from 'vitest';
import { kubeconfigProblems } from './kubeconfig';

const valid = `apiVersion: v1
kind: Config
clusters:
  - name: vc
    cluster: { server: 'https://10.0.0.1:6443', certificate-authority-data: Zm9v }
users:
  - name: admin
    user: { token: s3cret-token }
contexts:
  - name: vc
    context: { cluster: vc, user: admin }
current-context: vc
`;

describe('kubeconfigProblems', () => {
  it('accepts a kubeconfig in YAML and the same in JSON', () => {
    expect(kubeconfigProblems(valid)).toEqual([]);
    const json = JSON.stringify({
      clusters: [{ name: 'c', cluster: { server: 'https://h:443' } }],
      contexts: [{ name: 'x', context: { cluster: 'c' } }],
      'current-context': 'x',
    });
    expect(kubeconfigProblems(json)).toEqual([]);
  });

  it.each([
    ['text that is not YAML', 'a: [b', /not valid YAML/],
    ['a scalar', 'hello', /not a kubeconfig/],
    ['no current context', valid.replace('current-context: vc', ''), /current-context is missing/],
    ['a current context that does not exist', valid.replace('current-context: vc', 'current-context: other'), /not in contexts/],
    ['a context whose cluster does not exist', valid.replace('{ cluster: vc,', '{ cluster: nope,'), /not in clusters/],
    ['a cluster without a server', valid.replace("server: 'https://10.0.0.1:6443', ", ''), /server URL/],
    ['a server that is not a URL', valid.replace('https://10.0.0.1:6443', 'not a url'), /server URL/],
    ['a user that does not exist', valid.replace('user: admin }', 'user: ghost }'), /user/],
    ['another kind', valid.replace('kind: Config', 'kind: Pod'), /kind/],
  ])('refuses %s', (_name, text, message) => {
    const problems = kubeconfigProblems(text);
    expect(problems.join('; ')).toMatch(message);
    expect(problems.join('; ')).not.toContain('s3cret');
  });
});
