// The netbroker CLI: `node --import tsx cli/src/main.ts …`, or the `netbroker` bin (cli/bin).
// Composition root: the process's I/O handed to run(); the exit code is the command's.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { text } from 'node:stream/consumers';
import { run } from './run';

// A closed pipe (`netbroker get projects | head -1`) ends the output, not with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

/** A bug, not a refusal: its own exit code (sysexits' EX_SOFTWARE), the stack on stderr. */
const BUG = 70;

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  home: homedir(),
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  errIsTty: process.stderr.isTTY === true,
  fetch: globalThis.fetch,
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  readText: (path) => (path === '-' ? text(process.stdin) : readFile(path, 'utf8')),
  newIdempotencyKey: () => randomUUID(),
}).catch((e: unknown) => {
  process.stderr.write(`error: internal: a bug in netbroker: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return BUG;
});
