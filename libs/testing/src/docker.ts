import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from './binaries';
import { eventually } from './eventually';
import { ManagedProcess, type ServerExitedError } from './process';
import type { Reaper } from './reaper';
import { takeSlot } from './slots';

const run = promisify(execFile);

/** How many private Docker daemons may run on one machine at once (each has its own data root). */
const DOCKER_SLOTS = 4;

export interface DockerDaemon {
  /** `unix://…` for DOCKER_HOST. */
  readonly host: string;
  readonly socket: string;
  /** cgroup parent of every container it runs (what the reaper empties). */
  readonly cgroupParent: string;
  readonly proc: ManagedProcess;
  /** Runs the docker CLI against this daemon. */
  docker(args: string[], opts?: { input?: string; maxBuffer?: number }): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A private dockerd — never the machine's own daemon or configuration: its own data root (kept
 * in the cache per slot, so built images survive runs), exec root, socket and containerd, no
 * bridge (docker0's 172.17.0.0/16 is an OVHcloud-reserved range), no iptables rules, and every
 * container under its own cgroup parent, which the reaper empties if the test process dies.
 */
export async function startDockerDaemon(dir: string, reaper: Reaper, onExit: (e: ServerExitedError) => void): Promise<DockerDaemon> {
  const slot = takeSlot(join(cacheDir(), 'docker', 'slots'), DOCKER_SLOTS, 'private Docker daemon');
  const dataRoot = join(cacheDir(), 'docker', `data-${slot.index}`);
  const execRoot = join(dir, 'docker');
  await mkdir(execRoot, { recursive: true });
  const socket = join(execRoot, 'docker.sock');
  // Its own (empty) configuration: the machine's /etc/docker/daemon.json is never read.
  await writeFile(join(execRoot, 'daemon.json'), '{}\n');
  const cgroupParent = `/netbroker-docker-${slot.index}-${process.pid}`;
  const abort = new AbortController();
  const proc = new ManagedProcess('dockerd', ...inCgroup(`${cgroupParent}/daemon`, ['dockerd',
    '--data-root', dataRoot, '--exec-root', execRoot, '--pidfile', join(execRoot, 'docker.pid'),
    '-H', `unix://${socket}`, '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false',
    '--cgroup-parent', cgroupParent, '--log-level=warn', '--config-file', join(execRoot, 'daemon.json'),
  ]), dir, (e) => (abort.signal.aborted ? onExit(e) : abort.abort(e)));
  // The reaper runs newest first: the processes die, then their overlay and shm mounts go (a
  // SIGKILLed dockerd leaves its data root mounted over itself).
  const unmount = reaper.cleanup(['bash', '-c', UNMOUNT_UNDER, 'unmount', dataRoot, execRoot]);
  const killCgroup = reaper.cleanup(['bash', '-c', KILL_CGROUP, 'reap', cgroupParent]);
  const host = `unix://${socket}`;
  const docker = async (args: string[], opts: { input?: string; maxBuffer?: number } = {}) => {
    const child = run('docker', args, { env: { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '0' }, maxBuffer: opts.maxBuffer ?? 16 << 20 });
    if (opts.input !== undefined) child.child.stdin!.end(opts.input);
    return (await child).stdout;
  };
  try {
    await eventually(() => docker(['version', '--format', '{{.Server.Version}}']), { timeoutMs: 30_000, signal: abort.signal });
  } catch (e) {
    await proc.stop();
    await killCgroup();
    await unmount();
    slot.release();
    throw new Error(`private dockerd did not start: ${(e as Error).message}\n${proc.tail()}`);
  }
  // From here on, a death is the caller's to report.
  abort.abort(new Error('started'));
  const stop = async () => {
    const ids = (await docker(['ps', '-aq']).catch(() => '')).split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '-f', ...ids]).catch(() => undefined);
    await proc.stop(15_000);
    await killCgroup();
    await unmount();
    slot.release();
  };
  return { host, socket, cgroupParent, proc, docker, stop };
}

/**
 * `[command, args]` that runs `argv` inside the cgroup `path` (created; the pids controller on
 * cgroup v1, the unified tree on v2): everything it starts — a daemon's containerd, shims — stays
 * in that subtree, where KILL_CGROUP finds it.
 */
export function inCgroup(path: string, argv: string[]): [string, string[]] {
  const script = 'd=/sys/fs/cgroup/pids; [ -d "$d" ] || d=/sys/fs/cgroup; mkdir -p "$d$0" && echo $$ > "$d$0/cgroup.procs" && exec "$@"';
  return ['bash', ['-c', script, path, ...argv]];
}

/**
 * `bash -c KILL_CGROUP reap /path`: SIGKILLs every process in the cgroup subtree `/path` of every
 * v1 controller (or the v2 tree) and removes the subtree. Idempotent.
 */
export const KILL_CGROUP = `
set -u
for root in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
  d="\${root%/}$1"
  [ -d "$d" ] || continue
  for i in 1 2 3 4 5; do
    pids=$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
    [ -z "$pids" ] && break
    kill -9 $pids 2>/dev/null
    sleep 0.2
  done
  find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
done
exit 0
`;

/**
 * `bash -c UNMOUNT_UNDER unmount DIR...`: lazily unmounts every mount at or below each DIR,
 * deepest first. Idempotent.
 */
export const UNMOUNT_UNDER = `
for d in "$@"; do
  awk -v d="$d" 'index($5, d "/") == 1 || $5 == d { print $5 }' /proc/self/mountinfo
done | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
exit 0
`;
