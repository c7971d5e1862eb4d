import { accessSync, constants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { delimiter, join } from 'node:path';
import { binaryPath, type ServerBinary } from './binaries';
import { ManagedProcess, type ExitInfo, type ServerExitedError } from './process';

export type OnExit = (e: ServerExitedError) => void;

/**
 * A server the harness started, whichever backend runs it: a ManagedProcess, or a container
 * (containers.ts). Tests use only this: `stack.processes.get(name)`.
 */
export interface ServerProcess {
  readonly name: string;
  /** Host pid of the server's process (of a container: its main process as the host sees it). */
  readonly pid: number;
  /** `<dir>/<name>.log`: everything the server wrote to stdout and stderr. */
  readonly logFile: string;
  readonly exited: Promise<ExitInfo>;
  readonly running: boolean;
  tail(lines?: number): string;
  /** Sends a signal without marking the exit as expected: how a test simulates a crash. */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the server is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface LaunchSpec {
  /** Name in logs and errors; the log is `<dir>/<name>.log`. */
  name: string;
  binary: ServerBinary;
  args: string[];
  /**
   * Working dir and log dir. Every path in `args` must lie under it: a container gets this dir
   * bind-mounted at the same path, and nothing else of the host's file system.
   */
  dir: string;
  onExit: OnExit;
}

/** Starts servers; `servers.ts` says what to start, a backend says how. */
export interface ServerBackend {
  launch(spec: LaunchSpec): Promise<ServerProcess>;
}

/** Plain processes under `setpriv --pdeathsig KILL` (ManagedProcess). */
export const processBackend: ServerBackend = {
  launch: async ({ name, binary, args, dir, onExit }) => new ManagedProcess(name, binaryPath(binary), args, dir, onExit),
};

export type BackendKind = 'process' | 'containers';

/**
 * NETBROKER_SERVER_BACKEND=process|containers forces a backend; otherwise containers when a
 * private Docker daemon can run here (dockerd and docker on PATH, running as root), else processes.
 */
export function chooseBackend(env: NodeJS.ProcessEnv, dockerUsable: boolean): { kind: BackendKind; why: string } {
  const forced = env.NETBROKER_SERVER_BACKEND;
  if (forced === 'process' || forced === 'containers') return { kind: forced, why: `NETBROKER_SERVER_BACKEND=${forced}` };
  if (forced) throw new Error(`NETBROKER_SERVER_BACKEND=${forced}: expected process or containers`);
  return dockerUsable
    ? { kind: 'containers', why: 'dockerd is on PATH and we are root' }
    : { kind: 'process', why: 'no dockerd on PATH or not root' };
}

const onPath = (command: string) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

export const dockerUsable = (): boolean => process.getuid?.() === 0 && onPath('dockerd') && onPath('docker');

/**
 * A container's exit status as a process's: 128+N is "killed by signal N" (what Docker reports for
 * a container whose main process a signal ended), anything else an exit code.
 */
export function exitFromStatus(status: number): ExitInfo {
  if (status > 128) {
    const signal = Object.entries(osConstants.signals).find(([, n]) => n === status - 128)?.[0];
    if (signal) return { code: null, signal: signal as NodeJS.Signals };
  }
  return { code: status, signal: null };
}

// --- one backend per test process -----------------------------------------------------------

/** The container backend's side of a lease (containers.ts). */
export interface SharedBackend extends ServerBackend {
  stop(): Promise<void>;
}

export interface BackendLease {
  readonly backend: ServerBackend;
  /** The last lease of a process stops its Docker daemon. Idempotent. */
  release(): Promise<void>;
}

let chosen: BackendKind | undefined;
let shared: { users: Set<{ onExit: OnExit }>; started?: Promise<SharedBackend> } | undefined;
let stopping: Promise<void> = Promise.resolve();

/** Decided once per process, and said once on stderr. */
export function backendKind(): BackendKind {
  if (!chosen) {
    const { kind, why } = chooseBackend(process.env, dockerUsable());
    chosen = kind;
    const what = kind === 'containers' ? 'containers (testcontainers on a private dockerd)' : 'plain processes';
    process.stderr.write(`[harness] servers run as ${what}: ${why} (NETBROKER_SERVER_BACKEND=process|containers chooses)\n`);
  }
  return chosen;
}

/**
 * The process's server backend, held until `release()`. testcontainers talks to one Docker daemon
 * per process (its client is a singleton bound to DOCKER_HOST at first use), so the container
 * backend is one private dockerd per process, started on the first launch and stopped when the
 * last lease is released: one per stack when stacks run one after another, shared when they
 * overlap. A dead daemon reports to every holder's `onExit`.
 */
export function acquireServerBackend(onExit: OnExit): BackendLease {
  if (backendKind() === 'process') return { backend: processBackend, release: async () => undefined };
  if (!shared) shared = { users: new Set() };
  const mine = shared;
  const user = { onExit };
  mine.users.add(user);
  let released = false;
  const start = () => {
    mine.started ??= stopping.then(async () => {
      const { ContainerBackend } = await import('./containers');
      return ContainerBackend.start((e) => mine.users.forEach((u) => u.onExit(e)));
    });
    return mine.started;
  };
  return {
    backend: { launch: async (spec) => (await start()).launch(spec) },
    release: async () => {
      if (released) return;
      released = true;
      mine.users.delete(user);
      if (mine.users.size > 0) return;
      if (shared === mine) shared = undefined;
      if (!mine.started) return;
      stopping = mine.started.then(
        (b) => b.stop(),
        () => undefined, // it never started: its launch reported why
      );
      await stopping;
    },
  };
}

/**
 * For a server started on its own (`startNats(dir, onExit)` without a stack): it holds a lease on
 * the process's backend until its `stop()`.
 */
export const standaloneBackend: ServerBackend = {
  async launch(spec) {
    const lease = acquireServerBackend(spec.onExit);
    let proc: ServerProcess;
    try {
      proc = await lease.backend.launch(spec);
    } catch (e) {
      await lease.release();
      throw e;
    }
    return {
      name: proc.name,
      pid: proc.pid,
      logFile: proc.logFile,
      exited: proc.exited,
      get running() {
        return proc.running;
      },
      tail: (lines) => proc.tail(lines),
      kill: (signal) => proc.kill(signal),
      stop: async (graceMs) => {
        await proc.stop(graceMs);
        await lease.release();
      },
    };
  },
};
