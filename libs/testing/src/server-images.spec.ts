import { describe, expect, it } from 'vitest';
import { imageSourceFrom, localDockerfile, serverImage } from './server-images';

const versions = { NATS_SERVER_VERSION: 'v2.12.15', ETCD_VERSION: 'v3.5.35', KUBERNETES_VERSION: 'v1.34.4' };
const sha = '009c2e27600fc84c0d7c3d3888868d7b3d1d48afbf197bfe1f013acd1ca68815';

describe('serverImage', () => {
  it.each([
    ['nats-server', 'official', 'nats:2.12.15', '/nats-server'],
    ['etcd', 'official', 'gcr.io/etcd-development/etcd:v3.5.35', '/usr/local/bin/etcd'],
    ['kube-apiserver', 'official', 'registry.k8s.io/kube-apiserver:v1.34.4', '/usr/local/bin/kube-apiserver'],
    ['nats-server', 'local', 'netbroker.local/nats-server:v2.12.15-009c2e27600f', '/nats-server'],
    ['etcd', 'local', 'netbroker.local/etcd:v3.5.35-009c2e27600f', '/usr/local/bin/etcd'],
    ['kube-apiserver', 'local', 'netbroker.local/kube-apiserver:v1.34.4-009c2e27600f', '/usr/local/bin/kube-apiserver'],
  ] as const)('names the %s image from the %s source as %s, run as %s', (server, source, image, entrypoint) => {
    expect(serverImage(server, source, versions, sha)).toEqual({ image, entrypoint, pull: source === 'official' });
  });

  it('tags a rebuilt binary of the same version as a different image', () => {
    const other = `1${sha.slice(1)}`;
    expect(serverImage('etcd', 'local', versions, sha).image).not.toBe(serverImage('etcd', 'local', versions, other).image);
  });

  it('refuses a version tools/versions.env does not pin', () => {
    expect(() => serverImage('etcd', 'official', {}, sha)).toThrow(/ETCD_VERSION/);
  });
});

describe('imageSourceFrom', () => {
  it.each([
    [undefined, 'local'],
    ['local', 'local'],
    ['official', 'official'],
  ])('reads NETBROKER_SERVER_IMAGES=%s as %s', (value, source) => {
    expect(imageSourceFrom(value === undefined ? {} : { NETBROKER_SERVER_IMAGES: value })).toBe(source);
  });

  it('rejects any other value', () => {
    expect(() => imageSourceFrom({ NETBROKER_SERVER_IMAGES: 'hub' })).toThrow(/local or official/);
  });
});

describe('localDockerfile', () => {
  it('copies only the binary onto scratch, at the official image path', () => {
    expect(localDockerfile('kube-apiserver', 'v1.34.4', sha)).toMatch(
      /^FROM scratch\nCOPY server \/usr\/local\/bin\/kube-apiserver\n.*\nENTRYPOINT \["\/usr\/local\/bin\/kube-apiserver"\]\n$/,
    );
  });
});
