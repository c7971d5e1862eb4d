import { CoreV1Api } from '@kubernetes/client-node';
import { eventually, kubeConfigFor, mulberry32 } from '@netbroker/testing';
import { check, type Findings } from './invariants';
import type { FaultPlatform } from './platform';
import type { FaultTimes, Scenario } from './scenarios';
import { ApiClient, plan, plannedWrites, runWorkload, virtualNamespace, type Ack, type WorkloadSize } from './workload';

export interface RunResult {
  scenario: string;
  seed: number;
  convergeMs: number;
  acknowledged: number;
  retries: number;
  lost: number;
  duplicates: number;
  findings: Findings;
  durationMs: number;
}

export interface RunOptions {
  size: WorkloadSize;
  times: FaultTimes;
  /** How long the invariants may take to hold after the workload and the fault are done. */
  convergeTimeoutMs: number;
}

/**
 * One run: a fresh tenant, the workload through the api while the scenario's fault hits at a
 * point the seed picks, then every invariant until it holds (or the time-out), then the tenant's
 * projects and virtual Services are removed so that the next run starts from a quiet platform.
 */
export async function runScenario(platform: FaultPlatform, scenario: Scenario, seed: number, opts: RunOptions, log: (line: string) => void): Promise<RunResult> {
  const started = Date.now();
  const tenant = `f${scenario.name.replace(/[^a-z]/g, '').slice(0, 8)}${seed}`;
  const admin = new ApiClient(platform.apis, platform.adminToken);
  const t = await admin.write('POST', '/admin/tenants', { name: tenant, quotas: { maxProjects: 10_000 } });
  if (t.status !== 201) throw new Error(`tenant ${tenant}: ${t.status} ${t.text}`);
  const tok = await admin.write('POST', `/admin/tenants/${tenant}/tokens`, { name: 'faults' });
  if (tok.status !== 201) throw new Error(`token: ${tok.status} ${tok.text}`);
  const api = new ApiClient(platform.apis, String(tok.body.token), 120_000, (line) => log(`[${scenario.name}/${seed}] ${line}`));
  const p = plan(tenant, opts.size, platform.stack.virtual);
  const acks: Ack[] = [];
  const random = mulberry32(seed); // the seed decides when and where the fault hits
  const trigger = Math.floor(plannedWrites(p) * (0.15 + 0.45 * random()));
  const faultDone = (async () => {
    await eventually(() => {
      if (acks.length < trigger) throw new Error(`${acks.length} of ${trigger} writes before the fault`);
    }, { timeoutMs: 600_000, intervalMs: 100 });
    log(`[${scenario.name}/${seed}] fault after ${acks.length} acknowledged writes`);
    await scenario.inject(platform, random, (line) => log(`[${scenario.name}/${seed}] ${line}`), opts.times);
  })();
  const workload = runWorkload(p, api, acks, (line) => log(`[${scenario.name}/${seed}] ${line}`));
  // Both must finish; a failure of either fails the run (the other is awaited first: nothing left running).
  const [w, f] = await Promise.allSettled([workload, faultDone]);
  if (w.status === 'rejected' || f.status === 'rejected') {
    // A registration left behind would fight the next run's over the same virtual cluster.
    await cleanUp(p, api).catch((e: unknown) => log(`[${scenario.name}/${seed}] clean-up failed: ${String(e)}`));
    throw w.status === 'rejected' ? w.reason : (f as PromiseRejectedResult).reason;
  }

  const t0 = Date.now();
  const ctx = { plan: p, acks, api, nc: platform.nc, host: platform.stack.host!, ipamOps: platform.replicas.filter((r) => r.service === 'ipam').map((r) => r.process.opsUrl) };
  let last: Findings = { lost: [], duplicates: [], violations: ['never checked'] };
  let held = true;
  try {
    await eventually(
      async () => {
        last = await check(ctx);
        const n = last.lost.length + last.duplicates.length + last.violations.length;
        if (n > 0) log(`[${scenario.name}/${seed}] ${n} invariant(s) not yet holding, e.g. ${[...last.lost, ...last.duplicates, ...last.violations][0]}`);
        if (n > 0) throw new Error(`${n} invariant(s) broken:\n${[...last.lost, ...last.duplicates, ...last.violations].slice(0, 20).join('\n')}`);
      },
      { timeoutMs: opts.convergeTimeoutMs, intervalMs: 1_000 },
    );
  } catch (e) {
    held = false;
    log(`[${scenario.name}/${seed}] ${e instanceof Error ? e.message : String(e)}`);
  }
  const convergeMs = held ? Date.now() - t0 : -1;
  api.intervalMs = 0;
  await cleanUp(p, api);
  return {
    scenario: scenario.name,
    seed,
    convergeMs,
    acknowledged: acks.length,
    retries: api.retries,
    lost: last.lost.length,
    duplicates: last.duplicates.length,
    findings: last,
    durationMs: Date.now() - started,
  };
}

/** Deletes the run's projects and its virtual Services: the virtual clusters serve the next run. */
async function cleanUp(p: ReturnType<typeof plan>, api: ApiClient) {
  for (const x of p.projects) await api.write('DELETE', `/v1/projects/${x}`);
  for (const x of p.registered) {
    const core = kubeConfigFor(p.vclusterOf(x)).makeApiClient(CoreV1Api);
    const namespace = virtualNamespace(p.tenant, x);
    const services = await core.listNamespacedService({ namespace });
    for (const s of services.items) await core.deleteNamespacedService({ namespace, name: s.metadata!.name! });
  }
}

export function table(results: RunResult[]): string {
  const rows = [['scenario', 'seed', 'converge ms', 'acknowledged', 'retries', 'lost', 'duplicates', 'run ms']];
  for (const r of results) rows.push([r.scenario, String(r.seed), r.convergeMs < 0 ? 'NOT CONVERGED' : String(r.convergeMs), String(r.acknowledged), String(r.retries), String(r.lost), String(r.duplicates), String(r.durationMs)]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ')).join('\n');
}

export function summary(results: RunResult[]): string {
  return JSON.stringify({
    suite: 'faults',
    scenarios: new Set(results.map((r) => r.scenario)).size,
    runs: results.length,
    acknowledged: results.reduce((n, r) => n + r.acknowledged, 0),
    lost: results.reduce((n, r) => n + r.lost, 0),
    duplicates: results.reduce((n, r) => n + r.duplicates, 0),
    maxConvergeMs: Math.max(0, ...results.map((r) => r.convergeMs)),
  });
}
