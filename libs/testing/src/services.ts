import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './binaries';
import { eventually } from './eventually';
import { freePort } from './ports';
import { ownedTempDir } from './temp-dirs';
import { ManagedProcess, type ServerExitedError } from './process';

export interface ServiceProcess {
  name: string;
  proc: ManagedProcess;
  /** The service's /healthz /readyz /metrics endpoint. */
  opsUrl: string;
  /** Aborted with a ServerExitedError if the service dies without being stopped. */
  signal: AbortSignal;
  stop(): Promise<void>;
}

export interface StartServiceOptions {
  /** Folder under services/ (`ipam`, `api`…). */
  service: string;
  /** Process name in logs and errors, e.g. `ipam-2`. */
  name?: string;
  env: Record<string, string>;
  /** A bundle from `buildService` to run instead of the TypeScript sources (benchmarks measure what ships). */
  entry?: string;
  /** Flags for node before the entry (e.g. `--inspect-port`, `--cpu-prof`): what a benchmark measures with. */
  nodeArgs?: string[];
  timeoutMs?: number;
}

/**
 * Starts a netbroker service from its real main.ts (what `npm start` and production run) and
 * waits until its /readyz answers 200.
 */
export async function startService({ service, name = service, env, entry, nodeArgs = [], timeoutMs = 30_000 }: StartServiceOptions): Promise<ServiceProcess> {
  const dir = ownedTempDir(`netbroker-svc-${name}-`);
  const opsPort = await freePort();
  const abort = new AbortController();
  const proc = new ManagedProcess(
    name,
    process.execPath,
    [...nodeArgs, ...(entry ? ['--enable-source-maps', entry] : ['--import', 'tsx', join(repoRoot, 'services', service, 'src', 'main.ts')])],
    dir,
    (e: ServerExitedError) => abort.abort(e),
    // Every server of the harness is on loopback: virtual clusters there are allowed (as in `npm start`).
    { ...process.env, OPS_PORT: String(opsPort), LOG_LEVEL: 'info', VCLUSTER_ALLOW_LOOPBACK: 'true', ...env },
    repoRoot,
  );
  const opsUrl = `http://127.0.0.1:${opsPort}`;
  const stop = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      async () => {
        const res = await fetch(`${opsUrl}/readyz`, { signal: AbortSignal.timeout(1_000) });
        if (res.status !== 200) throw new Error(`${name} not ready: ${res.status} ${await res.text()}`);
      },
      { timeoutMs, signal: abort.signal },
    );
  } catch (e) {
    const tail = proc.tail();
    await stop();
    throw new Error(`${name} did not become ready: ${e instanceof Error ? e.message : String(e)}\n--- log ---\n${tail}`, { cause: e });
  }
  return { name, proc, opsUrl, signal: abort.signal, stop };
}

/** One metric's value per label set from a Prometheus text page, e.g. gauge('x', 'pool="a"'). */
export function metricValue(page: string, metric: string, labels = ''): number | undefined {
  for (const line of page.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const [series, value] = line.split(' ');
    if (series === metric || (labels && series?.startsWith(`${metric}{`) && series.includes(labels))) return Number(value);
  }
  return undefined;
}

/** The sum over every series of `metric` carrying all of `labels` (e.g. `controller="mapping"`), 0 when there is none. */
export function metricSum(page: string, metric: string, ...labels: string[]): number {
  let sum = 0;
  for (const line of page.split('\n')) {
    const [series, value] = line.split(' ');
    if (!series || (series !== metric && !series.startsWith(`${metric}{`))) continue;
    if (labels.every((l) => series.includes(l))) sum += Number(value);
  }
  return sum;
}
