import type { ServerBinary } from './binaries';

/** The servers the container backend runs (the node's binaries run in the node, see node.ts). */
export type ImagedServer = Extract<ServerBinary, 'nats-server' | 'etcd' | 'kube-apiserver'>;

/** `local` (default): built here FROM scratch from the cached binaries; `official`: the projects' own images. */
export type ImageSource = 'local' | 'official';

export interface ServerImage {
  /** Image reference given to testcontainers. */
  image: string;
  /** Path of the server binary in the image (the container's entrypoint). */
  entrypoint: string;
  /** False for local builds: they are never pulled, and exist before a container starts. */
  pull: boolean;
}

/**
 * Where each server lives in its official image, the tools/versions.env key of its version, and the
 * official image name at that version. Local images put the binary at the same path, so both
 * sources run with the same entrypoint.
 */
const servers: Record<ImagedServer, { versionKey: string; entrypoint: string; official: (version: string) => string }> = {
  'nats-server': { versionKey: 'NATS_SERVER_VERSION', entrypoint: '/nats-server', official: (v) => `nats:${v.replace(/^v/, '')}` },
  etcd: { versionKey: 'ETCD_VERSION', entrypoint: '/usr/local/bin/etcd', official: (v) => `gcr.io/etcd-development/etcd:${v}` },
  'kube-apiserver': {
    versionKey: 'KUBERNETES_VERSION',
    entrypoint: '/usr/local/bin/kube-apiserver',
    official: (v) => `registry.k8s.io/kube-apiserver:${v}`,
  },
};

/** The registry-like prefix of local images: never resolved, and untouched by TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX. */
export const LOCAL_REGISTRY = 'netbroker.local';

export const isImagedServer = (binary: ServerBinary): binary is ImagedServer => binary in servers;

/** NETBROKER_SERVER_IMAGES: unset or `local`, or `official`. */
export function imageSourceFrom(env: NodeJS.ProcessEnv): ImageSource {
  const value = env.NETBROKER_SERVER_IMAGES ?? 'local';
  if (value === 'local' || value === 'official') return value;
  throw new Error(`NETBROKER_SERVER_IMAGES=${value}: expected local or official`);
}

/** The pinned version of a server (tools/versions.env). */
export function serverVersion(server: ImagedServer, versions: Record<string, string>): string {
  const version = versions[servers[server].versionKey];
  if (!version) throw new Error(`tools/versions.env has no ${servers[server].versionKey}`);
  return version;
}

/**
 * The image of a server: the official one at its pinned version, or the local build tagged by
 * version and the binary's content hash (a rebuilt binary of the same version gets a new image).
 */
export function serverImage(server: ImagedServer, source: ImageSource, versions: Record<string, string>, sha256: string): ServerImage {
  const version = serverVersion(server, versions);
  const { entrypoint } = servers[server];
  if (source === 'official') return { image: servers[server].official(version), entrypoint, pull: true };
  if (!/^[0-9a-f]{12,}$/.test(sha256)) throw new Error(`not a sha256 hex digest: ${sha256}`);
  return { image: `${LOCAL_REGISTRY}/${server}:${version}-${sha256.slice(0, 12)}`, entrypoint, pull: false };
}

/** The Dockerfile of a local image: nothing but the binary (static Go builds need no libc). */
export function localDockerfile(server: ImagedServer, version: string, sha256: string): string {
  const { entrypoint } = servers[server];
  return [
    'FROM scratch',
    `COPY server ${entrypoint}`,
    `LABEL org.opencontainers.image.title=${server} org.opencontainers.image.version=${version} io.netbroker.binary.sha256=${sha256}`,
    `ENTRYPOINT ["${entrypoint}"]`,
    '',
  ].join('\n');
}
