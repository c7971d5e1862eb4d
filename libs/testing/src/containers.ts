import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { copyFile, link, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type * as TestcontainersModule from 'testcontainers';
import type { ContainerRuntimeClient, StartedTestContainer } from 'testcontainers';
import { exitFromStatus, type LaunchSpec, type OnExit, type ServerProcess, type SharedBackend } from './backends';
import { binaryPath, cacheDir, pinnedVersions } from './binaries';
import { KILL_CGROUP, startDockerDaemon, UNMOUNT_UNDER, type DockerDaemon } from './docker';
import { imageSourceFrom, isImagedServer, LOCAL_REGISTRY, localDockerfile, serverImage, serverVersion, type ImagedServer, type ImageSource, type ServerImage } from './server-images';
import { isAlive as alive, ServerExitedError, type ExitInfo } from './process';
import { Reaper } from './reaper';

const run = promisify(execFile);

/** testcontainers takes ~0.7 s to load here: it loads while the daemon starts. */
type Testcontainers = typeof TestcontainersModule;

const TAIL_LINES = 40;
const DAEMON_DIR_PREFIX = 'netbroker-dockerd-';



/** Daemon dirs of processes that died: their reaper has run; what it could not remove goes here. */
async function sweepStaleDaemonDirs(): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(DAEMON_DIR_PREFIX)) continue;
    const pid = Number(entry.slice(DAEMON_DIR_PREFIX.length));
    if (!pid || pid === process.pid || alive(pid)) continue;
    const dir = join(tmpdir(), entry);
    await run('bash', ['-c', UNMOUNT_UNDER, 'unmount', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** sha256 of a binary, remembered beside the cache's images by path, size, mtime and inode. */
async function binarySha256(path: string): Promise<string> {
  const st = statSync(path);
  const key = `${path}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
  const memoDir = join(cacheDir(), 'docker', 'sha256');
  const memo = join(memoDir, createHash('sha256').update(path).digest('hex').slice(0, 16));
  try {
    const [k, sum] = readFileSync(memo, 'utf8').split('\n');
    if (k === key && sum) return sum;
  } catch {
    // not remembered yet
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const sum = hash.digest('hex');
  mkdirSync(memoDir, { recursive: true });
  writeFileSync(memo, `${key}\n${sum}\n`);
  return sum;
}

/**
 * Builds the local image of a server FROM scratch with only its binary, unless the daemon has it.
 * The context is a small temp dir (a hard link to the cached binary and a Dockerfile): docker
 * build cannot read a context that contains the daemon's own data root.
 */
async function ensureLocalImage(daemon: DockerDaemon, server: ImagedServer, image: ServerImage, sha256: string): Promise<void> {
  const exists = await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', image.image]).then(
    () => true,
    () => false,
  );
  if (exists) return;
  const started = Date.now();
  const context = await mkdtemp(join(cacheDir(), 'build', 'image-'));
  try {
    await link(binaryPath(server), join(context, 'server')).catch(() => copyFile(binaryPath(server), join(context, 'server')));
    await writeFile(join(context, 'Dockerfile'), localDockerfile(server, serverVersion(server, pinnedVersions()), sha256));
    await daemon.docker(['build', '--quiet', '--tag', image.image, context]);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  // Older builds of the same server (other binary hashes) only take space in this data root.
  const tags = (await daemon.docker(['images', `${LOCAL_REGISTRY}/${server}`, '--format', '{{.Repository}}:{{.Tag}}'])).split('\n');
  const stale = tags.filter((t) => t && t !== image.image);
  if (stale.length) await daemon.docker(['rmi', ...stale]);
  process.stderr.write(`[harness] built ${image.image} in ${Date.now() - started} ms\n`);
}

/**
 * The container backend: servers run as containers, started through testcontainers on a private
 * dockerd (docker.ts) — never the machine's own Docker — with host networking, the server's dir
 * bind-mounted at the same path, and the same ports, retries and readiness as plain processes.
 * Ryuk is off (it cannot be pulled here): the harness's reaper empties the daemon's cgroup if the
 * test process dies.
 */
export class ContainerBackend implements SharedBackend {
  private readonly images = new Map<ImagedServer, Promise<ServerImage>>();
  private readonly hashes = new Map<ImagedServer, Promise<string>>();

  private constructor(
    private readonly dir: string,
    private readonly daemon: DockerDaemon,
    private readonly reaper: Reaper,
    private readonly tc: Testcontainers,
    private readonly client: ContainerRuntimeClient,
    private readonly source: ImageSource,
  ) {}

  static async start(onDaemonExit: OnExit): Promise<ContainerBackend> {
    const source = imageSourceFrom(process.env);
    await sweepStaleDaemonDirs();
    // One dir per process: testcontainers keeps the DOCKER_HOST it first saw, so the socket path
    // (the daemon's exec root is `<dir>/docker`) must not change between this process's daemons.
    const dir = join(tmpdir(), `${DAEMON_DIR_PREFIX}${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const reaper = await Reaper.start(dir);
    const loading = import('testcontainers');
    loading.catch(() => undefined); // awaited below, once the daemon is up
    const hashes = source === 'local' ? (['nats-server', 'etcd', 'kube-apiserver'] as const).map((s) => [s, binarySha256(binaryPath(s))] as const) : [];
    hashes.forEach(([, h]) => h.catch(() => undefined)); // awaited by the launch that needs it
    let backend: ContainerBackend | undefined;
    let daemon: DockerDaemon;
    try {
      daemon = await startDockerDaemon(dir, reaper, (e) => void backend?.daemonDied(e, onDaemonExit));
    } catch (e) {
      await reaper.close();
      throw e;
    }
    try {
      // Containers a killed run left in this slot's data root: their processes are gone.
      const leftovers = (await daemon.docker(['ps', '-aq'])).split('\n').filter(Boolean);
      if (leftovers.length) await daemon.docker(['rm', '-f', ...leftovers]);
      weighCgroup(daemon.cgroupParent);
      const tc = await loading;
      const client = await testcontainersClient(tc, daemon);
      backend = new ContainerBackend(dir, daemon, reaper, tc, client, source);
      for (const [server, hash] of hashes) backend.hashes.set(server, hash);
      if (source === 'local') for (const [server] of hashes) backend.image(server).catch(() => undefined); // built ahead; awaited by its launch
      return backend;
    } catch (e) {
      await daemon.stop();
      await reaper.close();
      throw e;
    }
  }

  private image(server: ImagedServer): Promise<ServerImage> {
    let image = this.images.get(server);
    if (!image) {
      image = (async () => {
        if (this.source === 'official') return serverImage(server, 'official', pinnedVersions(), '');
        let hash = this.hashes.get(server);
        if (!hash) this.hashes.set(server, (hash = binarySha256(binaryPath(server))));
        const sha256 = await hash;
        const local = serverImage(server, 'local', pinnedVersions(), sha256);
        await ensureLocalImage(this.daemon, server, local, sha256);
        return local;
      })();
      this.images.set(server, image);
    }
    return image;
  }

  async launch(spec: LaunchSpec): Promise<ServerProcess> {
    if (!isImagedServer(spec.binary)) throw new Error(`${spec.binary} has no server image: run it with the process backend`);
    const image = await this.image(spec.binary);
    const log = new LogTail(join(spec.dir, `${spec.name}.log`));
    let container = new this.tc.GenericContainer(image.image)
      .withName(`${spec.name}-${randomBytes(4).toString('hex')}`)
      .withEntrypoint([image.entrypoint])
      .withCommand(spec.args)
      .withNetworkMode('host')
      .withBindMounts([{ source: spec.dir, target: spec.dir, mode: 'rw' }])
      .withTmpFs({ '/tmp': 'rw,mode=1777' })
      .withWorkingDir(spec.dir)
      .withLabels({ 'io.netbroker.server': spec.name })
      .withLogConsumer((stream) => log.follow(stream));
    if (!image.pull) container = container.withPullPolicy(this.tc.PullPolicy.neverPull());
    let started: StartedTestContainer;
    try {
      started = await container.start();
    } catch (e) {
      log.end();
      throw new Error(`${spec.name}: container did not start: ${(e as Error).message}`, { cause: e });
    }
    const handle = this.client.container.getById(started.getId());
    const { State } = await this.client.container.inspect(handle);
    return new ContainerProcess(spec, started, handle.wait() as Promise<{ StatusCode: number }>, State.Pid || Number.NaN, log);
  }

  /** dockerd died: containerd went with it, but shims and containers would run on: end them too. */
  private async daemonDied(e: ServerExitedError, onDaemonExit: OnExit): Promise<void> {
    await run('bash', ['-c', KILL_CGROUP, 'reap', this.daemon.cgroupParent]);
    onDaemonExit(e);
  }

  async stop(): Promise<void> {
    await this.daemon.stop(); // it unmounts its exec root and data root
    await this.reaper.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The CPU scheduler weighs a cgroup like one process (cpu.shares 1024 on cgroup v1, cpu.weight 100
 * on v2) against every process outside it, and all containers of the daemon share one cgroup
 * parent: on a loaded machine a stack's servers would get the time of one process between them,
 * where as plain processes each of their threads gets its own share. The parent is weighed like
 * CPU_WEIGHT processes instead (created here; dockerd creates its children, KILL_CGROUP removes it).
 */
const CPU_WEIGHT = 8;
function weighCgroup(parent: string): void {
  for (const [root, file, value] of [
    ['/sys/fs/cgroup/cpu', 'cpu.shares', 1024 * CPU_WEIGHT], // v1 (or hybrid)
    ['/sys/fs/cgroup', 'cpu.weight', 100 * CPU_WEIGHT], // v2
  ] as const) {
    // Only where that controller is mounted (on v1, /sys/fs/cgroup itself is a plain tmpfs).
    if (!existsSync(join(root, file === 'cpu.shares' ? file : 'cgroup.controllers'))) continue;
    mkdirSync(join(root, parent), { recursive: true });
    if (existsSync(join(root, parent, file))) writeFileSync(join(root, parent, file), String(value));
  }
}

/**
 * Points testcontainers at the private daemon: DOCKER_HOST for its (per-process) client, host
 * `127.0.0.1` (this machine has /.dockerenv, which would make it look for a bridge gateway), and no
 * Ryuk. Refuses to go on if its client talks to any other daemon.
 */
async function testcontainersClient(tc: Testcontainers, daemon: DockerDaemon): Promise<ContainerRuntimeClient> {
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  const saved = { DOCKER_HOST: process.env.DOCKER_HOST, TESTCONTAINERS_HOST_OVERRIDE: process.env.TESTCONTAINERS_HOST_OVERRIDE };
  process.env.DOCKER_HOST = daemon.host;
  process.env.TESTCONTAINERS_HOST_OVERRIDE = '127.0.0.1';
  let client: ContainerRuntimeClient;
  try {
    client = await tc.getContainerRuntimeClient();
  } finally {
    // testcontainers read them once; the servers and services this process starts need not see them.
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  const socket = (client.container.dockerode.modem as { socketPath?: string }).socketPath;
  if (socket !== daemon.socket) {
    throw new Error(
      `testcontainers talks to ${socket ?? client.info.containerRuntime.host}, not the harness's private dockerd at ${daemon.socket} ` +
        '(tc.host in ~/.testcontainers.properties, or testcontainers used before in this process)',
    );
  }
  return client;
}

/** A container's stdout and stderr in `<dir>/<name>.log`, and its last lines in memory. */
class LogTail {
  private readonly file: WriteStream;
  private readonly lines: string[] = [];
  private partial = '';
  private ended: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {
    this.file = createWriteStream(path);
  }

  follow(stream: Readable): void {
    this.ended = once(stream, 'end').then(
      () => undefined,
      () => undefined, // a stream that errs has ended too; the exit status says what happened
    );
    stream.on('data', (chunk: string | Buffer) => {
      const text = chunk.toString();
      this.file.write(text);
      const parts = (this.partial + text).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) this.push(line);
    });
  }

  private push(line: string): void {
    if (!line) return;
    this.lines.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
  }

  /** Waits (briefly) for the log stream to deliver what the container wrote before it exited. */
  async drained(): Promise<void> {
    await Promise.race([this.ended, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  }

  tail(lines: number): string {
    return [...this.lines, ...(this.partial ? [this.partial] : [])].slice(-lines).join('\n');
  }

  end(): void {
    this.file.end();
  }
}

/** A server in a container: the same surface as a ManagedProcess. */
class ContainerProcess implements ServerProcess {
  readonly name: string;
  readonly logFile: string;
  readonly exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | undefined;
  private stopping = false;

  constructor(
    spec: LaunchSpec,
    private readonly container: StartedTestContainer,
    wait: Promise<{ StatusCode: number }>,
    readonly pid: number,
    private readonly log: LogTail,
  ) {
    this.name = spec.name;
    this.logFile = log.path;
    this.exited = wait
      .then(
        ({ StatusCode }) => exitFromStatus(StatusCode),
        // The daemon went away (its death ends the containers, see daemonDied): no status to read.
        async () => {
          while (Number.isFinite(pid) && alive(pid)) await new Promise((resolve) => setTimeout(resolve, 100));
          return { code: null, signal: null };
        },
      )
      .then(async (exit) => {
        await log.drained();
        log.end();
        this.exitInfo = exit;
        if (!this.stopping) spec.onExit(new ServerExitedError(spec.name, exit, this.tail(), this.logFile));
        return exit;
      });
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  tail(lines = TAIL_LINES): string {
    return this.log.tail(lines);
  }

  /** The same syscall `docker kill` makes: the container's main process is a host process. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.running || !Number.isFinite(this.pid)) return;
    try {
      process.kill(this.pid, signal);
    } catch (e) {
      // Exited an instant ago; Docker has not told us yet.
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }

  /** `docker stop` (SIGTERM, SIGKILL after `graceMs`), then the container is removed. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    try {
      await this.container.stop({ timeout: graceMs, remove: true });
    } catch (e) {
      // Gone already: removed, or its daemon died (and took it along).
      if (!/no such container|ENOENT|ECONNREFUSED|is already in progress/i.test(String(e))) throw e;
    }
    await this.exited;
  }
}
