import { existsSync, readFileSync } from 'node:fs';
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

/**
 * The `st` command of the pinned schemathesis: `NETBROKER_BIN_SCHEMATHESIS` when set, otherwise
 * the venv scripts/setup.sh makes under the cache.
 */
export function schemathesisPath(): string {
  const override = process.env.NETBROKER_BIN_SCHEMATHESIS;
  if (override) return override;
  const version = pinnedVersions().SCHEMATHESIS_VERSION;
  if (!version) throw new Error('tools/versions.env has no SCHEMATHESIS_VERSION');
  const path = join(cacheDir(), 'venv', `schemathesis-${version}`, 'bin', 'st');
  if (!existsSync(path)) throw new Error(`schemathesis ${version} is not installed at ${path}: run \`npm run setup\``);
  return path;
}
