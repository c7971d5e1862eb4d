// Running helm against helm/netbroker from tests: an isolated helm home per process (no user
// config, no repositories, nothing fetched), the real Kubernetes version passed (a go-installed
// helm otherwise assumes v1.20), and server-side apply of rendered objects as dry runs.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { binaryPath, httpsRequest, kubeConfigFor, ownedTempDir, pinnedVersions, repoRoot, type ClusterInfo } from '@netbroker/testing';
import { parseAllDocuments } from 'yaml';

export const CHART = join(repoRoot, 'helm/netbroker');
export const KUBE_VERSION = pinnedVersions().KUBERNETES_VERSION!;

// A vitest worker may end without its exit handlers: the next process's ownedTempDir sweeps it then.
const home = ownedTempDir('netbroker-helm-');
process.on('exit', () => rmSync(home, { recursive: true, force: true }));
export const helmEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: home,
  HELM_CACHE_HOME: join(home, 'cache'),
  HELM_CONFIG_HOME: join(home, 'config'),
  HELM_DATA_HOME: join(home, 'data'),
};

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** helm with the given arguments; resolves with its exit code and output (never throws on a non-zero exit). */
export async function helm(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<HelmResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(binaryPath('helm'), args, { env: { ...helmEnv, ...env }, timeout: timeoutMs, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? err.message };
  }
}

/** `-f` for each values file (relative to the chart) and `--set` for each pair. */
export const valuesArgs = (files: string[] = [], set: Record<string, string> = {}): string[] => [
  ...files.flatMap((f) => ['-f', join(CHART, f)]),
  ...Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
];

/** The chart rendered as objects (`helm template`), for a release in `namespace`. */
export async function render(namespace: string, files: string[] = [], set: Record<string, string> = {}, release = 'nb'): Promise<KubernetesObject[]> {
  const r = await helm(['template', release, CHART, '--namespace', namespace, '--kube-version', KUBE_VERSION, ...valuesArgs(files, set)]);
  if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJSON() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

/** client-node's own resolution of an object's URL path (discovery decides namespaced or not). */
class Paths extends KubernetesObjectApi {
  path(spec: KubernetesObject): Promise<string> {
    return this.specUriPath(spec, 'patch');
  }
}

/**
 * Server-side apply of one object as a dry run with strict field validation: an unknown or
 * duplicate field is an error here (helm install only warns about it). Answers the status and
 * the apiserver's message.
 */
export async function applyDryRun(cluster: ClusterInfo, obj: KubernetesObject): Promise<{ status: number; message: string }> {
  const path = await kubeConfigFor(cluster).makeApiClient(Paths).path(obj);
  const url = `${cluster.server}${path}?dryRun=All&fieldManager=chart-check&fieldValidation=Strict&force=true`;
  const res = await httpsRequest('PATCH', url, { ca: cluster.caPem, token: cluster.tokens.admin!, body: JSON.stringify(obj), contentType: 'application/apply-patch+yaml', timeoutMs: 10_000 });
  const message = res.status >= 300 ? ((JSON.parse(res.body) as { message?: string }).message ?? res.body) : '';
  return { status: res.status, message };
}
