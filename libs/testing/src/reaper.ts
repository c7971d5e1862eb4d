import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const script = fileURLToPath(new URL('./reaper-main.mjs', import.meta.url));

/**
 * Clean-up that survives the test process. Servers die with the test process (pdeathsig), but what
 * they leave behind does not: containers (their shims are re-parented to init), network
 * namespaces, bridges, mounts, cgroups. The reaper is a separate process holding a list of
 * clean-up commands; if its stdin closes before `close()` — the test process died, even by
 * SIGKILL — it runs them, newest first. Its log is `<dir>/reaper.log`.
 *
 * Register a command right after creating the thing it removes; `drop` it once the harness has
 * removed the thing itself.
 */
export class Reaper {
  private nextId = 1;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
  ) {}

  static async start(dir: string): Promise<Reaper> {
    const child = spawn(process.execPath, [script, join(dir, 'reaper.log')], {
      stdio: ['pipe', 'ignore', 'ignore'],
      // Its own session: a terminal's Ctrl-C or a process-group kill of the tests misses it.
      detached: true,
    });
    await once(child, 'spawn');
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
    return new Reaper(child, child.pid!);
  }

  /** Runs `argv` (no shell) if the owner dies first; returns the id to drop it with. */
  onDeath(argv: string[]): number {
    const id = this.nextId++;
    this.send({ add: id, argv });
    return id;
  }

  drop(id: number): void {
    this.send({ drop: id });
  }

  /**
   * The usual pair: `argv` runs if the owner dies; the returned function runs it now (the
   * harness's own orderly clean-up) and drops it from the reaper's list.
   */
  cleanup(argv: string[]): () => Promise<void> {
    const id = this.onDeath(argv);
    return async () => {
      await run(argv[0]!, argv.slice(1));
      this.drop(id);
    };
  }

  /** Normal end: the harness cleaned up; the reaper exits without running anything. */
  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.ref(); // unref'd so a test process can end; here we wait for it
    const exited = once(this.child, 'exit');
    this.send({ done: true });
    this.child.stdin!.end();
    await exited;
  }

  private send(msg: object): void {
    this.child.stdin!.write(`${JSON.stringify(msg)}\n`);
  }
}
