// The fault suite: a workload through the api against a real stack (3-node NATS, host and
// virtual apiservers, two replicas of every service) while a fault hits, then every invariant.
// Short form here (in `npm test`); `npm run test:faults` runs the full workload with more seeds.
import { appendFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultPlatform, type FaultPlatform } from './platform';
import { FULL_TIMES, SHORT_TIMES, scenarios } from './scenarios';
import { runScenario, summary, table, type RunResult } from './suite';
import { FULL, SHORT } from './workload';

const full = process.env.FAULTS_FULL === '1';
const only = process.env.FAULTS_SCENARIOS?.split(',');
const seeds = process.env.FAULTS_SEEDS?.split(',').map(Number) ?? (full ? [1, 2, 3] : [1]);
const size = full ? FULL : SHORT;
// `npm test` runs every fault once (seed 1) with a small workload and shorter faults; the full
// form adds the fault-free baseline and more seeds.
const chosen = scenarios.filter((s) => (only ? only.includes(s.name) : full || s.name !== 'none'));
const results: RunResult[] = [];
const progress = process.env.FAULTS_LOG;
const log = (line: string) => {
  const stamped = `${new Date().toISOString()} [faults] ${line}\n`;
  process.stderr.write(stamped);
  if (progress) appendFileSync(progress, stamped);
};

let platform: FaultPlatform;

beforeAll(async () => {
  // One virtual apiserver per registered project (the first N projects register).
  platform = await startFaultPlatform({ virtualClusters: Number(process.env.FAULTS_VCLUSTERS ?? (full ? 6 : 3)) });
}, 300_000);
afterAll(async () => {
  await platform?.stop();
  if (results.length > 0) process.stdout.write(`\n${table(results)}\n${summary(results)}\n`);
}, 120_000);

describe('faults: acknowledged writes survive and the platform converges', () => {
  for (const scenario of chosen) {
    for (const seed of seeds) {
      it(`${scenario.name}, seed ${seed}`, async () => {
        const result = await runScenario(platform, scenario, seed, { size, times: full ? FULL_TIMES : SHORT_TIMES, convergeTimeoutMs: full ? 300_000 : 180_000 }, log);
        results.push(result);
        expect(result.findings, `${scenario.name} seed ${seed}`).toEqual({ lost: [], duplicates: [], violations: [] });
        expect(result.convergeMs).toBeGreaterThanOrEqual(0);
      }, full ? 1_800_000 : 400_000);
    }
  }
});
