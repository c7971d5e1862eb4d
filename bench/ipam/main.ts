// `npm run bench:ipam`: W1 (carve every /24), W2 (fragmentation under churn), W5 (replicas on NATS).
// Prints one table per workload, then one JSON line as the last line.
import { cpus } from 'node:os';
import { printTable } from '../stats';
import { runW1, runW2 } from './pure';
import { runW5 } from './w5';

const seed = Number(process.env.BENCH_SEED ?? 42);
const quick = process.env.BENCH_QUICK === '1';

console.log(`ipam benchmark — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, seed ${seed}`);

const w1 = runW1({ rounds: quick ? 2 : 5, seed });
printTable('W1 — every /24 of 10.0.0.0/8 minus ovh-mks-free', w1.rows);

const w2 = runW2({ seed });
printTable('W2 — mixed /16–/28 with churn at ~70% occupancy', w2.rows);

const w5 = await runW5({ allocations: quick ? 2_000 : 10_000, concurrency: 64, replicas: 3 });
printTable('W5 — 3 ipam replicas vs raw JetStream KV create()', w5.rows);

const { rows: _r1, ...w1Figures } = w1;
const { rows: _r2, ...w2Figures } = w2;
const { rows: _r5, ...w5Figures } = w5;
console.log(JSON.stringify({ bench: 'ipam', w1: w1Figures, w2: w2Figures, w5: w5Figures }));
