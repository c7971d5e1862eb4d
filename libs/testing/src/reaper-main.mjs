/* global process */
// The harness's reaper: a process of its own (not tied to the test process by a death signal)
// that runs registered clean-up commands when the test process dies without cleaning up. Plain
// JavaScript so it starts with bare `node` (see reaper.ts for the protocol).
//
// stdin, one JSON object per line:
//   {"add": ID, "argv": ["cmd", ...]}   run this command if the owner dies (commands run newest first)
//   {"drop": ID}                        the owner cleaned this up itself
//   {"done": true}                      normal end: exit without running anything
// stdin closing without "done" means the owner died: every command still registered runs, each
// with a time limit, and their output goes to the log file named by argv[2].
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const logFile = process.argv[2];
const log = (line) => {
  if (logFile) appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
};

const commands = new Map();
let done = false;

createInterface({ input: process.stdin })
  .on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      log(`ignored a line that is not JSON: ${line.slice(0, 200)}`);
      return;
    }
    if (msg.done) done = true;
    else if (msg.drop !== undefined) commands.delete(msg.drop);
    else if (msg.add !== undefined && Array.isArray(msg.argv)) commands.set(msg.add, msg.argv);
  })
  .on('close', () => {
    if (done) process.exit(0);
    log(`owner gone: running ${commands.size} clean-up command(s)`);
    for (const argv of [...commands.values()].reverse()) {
      const res = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 60_000 });
      log(`${JSON.stringify(argv).slice(0, 300)} -> ${res.error ? res.error.message : `exit ${res.status}`}${res.stderr ? `\n${res.stderr.trim()}` : ''}`);
    }
    process.exit(0);
  });
// A reaper must outlive its owner's process group signals (Ctrl-C): ignore them, stdin decides.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
process.on('SIGHUP', () => undefined);
