// `npm run bench:ipam`: W1 (carve every /24), W2 (fragmentation under churn), W5 (replicas on NATS).
// Prints one table per workload, then one JSON line as the last line.
import { cpus } from 'node:os';
import { printTable } from '../stats';
import { runW1, runW2 } from './pure';
import { runW5, type W5Result } from './w5';

const seed = Number(process.env.BENCH_SEED ?? 42);
const quick = process.env.BENCH_QUICK === '1';

console.log(`ipam benchmark — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, seed ${seed}`);

const w1 = runW1({ rounds: quick ? 2 : 5, seed });
printTable('W1 — every /24 of 10.0.0.0/8 minus ovh-mks-free', w1.rows);

const w2 = runW2({ seed });
printTable('W2 — mixed /16–/28 with churn at ~70% occupancy', w2.rows);

// JetStream replication factors W5 runs at: BENCH_W5_R=1,3 (default: both, R3 on the harness's
// 3-node NATS cluster), 1 or 3.
const w5Replication = (process.env.BENCH_W5_R ?? '1,3').split(',').map((r) => {
  const n = Number(r.trim());
  if (n !== 1 && n !== 3) throw new Error(`BENCH_W5_R: ${r} is not 1 or 3`);
  return n as 1 | 3;
});
const w5: Record<string, Omit<W5Result, 'rows'>> = {};
let w5Sound = true;
for (const natsReplicas of w5Replication) {
  const { rows, ...figures } = await runW5({ allocations: quick ? 2_000 : 10_000, concurrency: 64, replicas: 3, natsReplicas });
  printTable(`W5 — 3 ipam replicas vs raw JetStream KV create(), R${natsReplicas}`, rows);
  w5[`r${natsReplicas}`] = figures;
  w5Sound &&= figures.storedMatches && figures.overlaps === 0;
}

const { rows: _r1, ...w1Figures } = w1;
const { rows: _r2, ...w2Figures } = w2;
console.log(JSON.stringify({ bench: 'ipam', w1: w1Figures, w2: w2Figures, w5 }));
// The figures are printed either way; a wrong answer (overlaps, stored ≠ granted) fails the run.
if (!w5Sound) process.exitCode = 1;
