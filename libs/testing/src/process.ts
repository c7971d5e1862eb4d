import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A server the harness started stopped without being asked to. */
export class ServerExitedError extends Error {
  override readonly name = 'ServerExitedError';
  constructor(
    readonly server: string,
    readonly exit: ExitInfo,
    readonly logTail: string,
    readonly logFile: string,
  ) {
    const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
    super(`${server} exited unexpectedly (${how}); full log: ${logFile}\n--- last lines ---\n${logTail}`);
  }
}

export const isServerExited = (e: unknown): e is ServerExitedError => e instanceof ServerExitedError;

/** Whether a process exists (one of another user's counts: signalling it was refused, not missed). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a process is stopped by a signal (SIGSTOP): its state in /proc is `T`. False when it is gone. */
export function isStopped(pid: number): boolean {
  try {
    // "pid (comm) S …": the state follows the last ") ", since comm may itself hold one.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2)[0] === 'T';
  } catch {
    return false;
  }
}

const live = new Set<ManagedProcess>();
let exitHookInstalled = false;

/** When the test process ends, however it ends, its servers end too. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
}

const TAIL_LINES = 40;

/**
 * One server process started by the harness. It runs under `setpriv --pdeathsig KILL`, so the
 * kernel kills it if the process that started it dies, even by SIGKILL: nothing outlives a test run.
 */
export class ManagedProcess {
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | undefined;
  private stopping = false;
  private readonly tailLines: string[] = [];

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    dir: string,
    onUnexpectedExit: (e: ServerExitedError) => void,
    env: NodeJS.ProcessEnv = process.env,
    cwd: string = dir,
  ) {
    installExitHook();
    this.logFile = join(dir, `${name}.log`);
    const log = createWriteStream(this.logFile);
    const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd,
      env,
      // Own process group: a Ctrl-C in the terminal reaches the harness, which stops servers in
      // order, instead of reaching every server at once.
      detached: true,
    });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    this.pid = child.pid;
    live.add(this);
    const keep = (chunk: Buffer) => {
      log.write(chunk);
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        this.tailLines.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
        if (this.tailLines.length > TAIL_LINES) this.tailLines.shift();
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        live.delete(this);
        this.exitInfo = { code, signal };
        log.end();
        if (!this.stopping) onUnexpectedExit(new ServerExitedError(name, this.exitInfo, this.tail(), this.logFile));
        resolve(this.exitInfo);
      });
    });
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  tail(lines = TAIL_LINES): string {
    return this.tailLines.slice(-lines).join('\n');
  }

  /** Sends a signal without marking the exit as expected: how a test simulates a crash. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) process.kill(this.pid, signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    if (!this.running) return;
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
