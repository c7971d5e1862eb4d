import { existsSync, renameSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireServerBackend, type BackendLease, type ServerBackend, type ServerProcess } from './backends';
import { eventually } from './eventually';
import { freePort } from './ports';
import { isStopped, ServerExitedError } from './process';
import { natsConfigLines, type NatsClientFiles, type NatsOptions, type OnExit } from './servers';

const STARTUP_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;
const MONITOR_TIMEOUT_MS = 1_000;

export interface NatsClusterOptions extends NatsOptions {
  /** Number of nodes (default 3), named `nats-0` … `nats-<n-1>`. */
  nodes?: number;
  /** Told of every node process launched, at start and by `restart`: a stack tracks them by name. */
  onLaunch?: (proc: ServerProcess) => void;
}

/**
 * A JetStream cluster of nats-server nodes on loopback, and the faults a test inflicts on it.
 * Nodes are addressed by index. A node stopped, killed or paused through this object is not
 * reported as a crash; one that dies on its own is (the `onExit` given at start).
 */
export interface NatsCluster {
  /** Every node's client URL, comma-separated: what `NATS_URL` and `connectBus` take. */
  readonly url: string;
  readonly urls: readonly string[];
  readonly monitorUrls: readonly string[];
  /** Server names, `nats-0` …; the cluster's JetStream reports leaders by these. */
  readonly names: readonly string[];
  readonly files: NatsClientFiles;
  /** The node's current process (a new one after `restart`). */
  proc(i: number): ServerProcess;
  /** SIGTERM (lame duck, then exit); resolves once the node is gone. */
  stop(i: number): Promise<void>;
  /** SIGKILL: a crash; resolves once the node is gone. */
  kill(i: number): Promise<void>;
  /** Starts a stopped or killed node again on its ports, store dir and name; resolves once it rejoined. */
  restart(i: number): Promise<void>;
  /**
   * SIGSTOP: the node is frozen, its sockets stay open (containers too: the signal goes to the
   * container's host pid). Resolves once the kernel shows it stopped: the signal is delivered
   * asynchronously, to every thread.
   */
  pause(i: number): Promise<void>;
  /** SIGCONT; resolves once the node runs again. */
  resume(i: number): Promise<void>;
  /** Index of the node leading `stream` (a KV bucket's stream is `KV_<bucket>`), as the live nodes report it; undefined while none does. */
  leaderOf(stream: string): Promise<number | undefined>;
  /** Waits for a leader of `stream`, other than `not` when given; returns its index. */
  waitLeader(stream: string, opts?: { not?: number; timeoutMs?: number }): Promise<number>;
  /** Resolves once `stream` has a leader and every one of its replicas is current (none offline). */
  waitCurrent(stream: string, opts?: { timeoutMs?: number }): Promise<void>;
  /** Stops every node (paused ones are resumed first) and releases the backend; idempotent. */
  shutdown(): Promise<void>;
}

interface Node {
  index: number;
  name: string;
  clientPort: number;
  monitorPort: number;
  conf: string;
  proc?: ServerProcess;
  /** Down on purpose (stop, kill, shutdown): its exit is no crash. */
  expectedDown: boolean;
  paused: boolean;
}

interface StreamView {
  name: string;
  config?: { num_replicas?: number };
  cluster?: { leader?: string; replicas?: Array<{ name: string; current: boolean; offline?: boolean }> };
}

interface Jsz {
  meta_cluster?: { leader?: string; cluster_size?: number };
  account_details?: Array<{ stream_detail?: StreamView[] }>;
}

const portTaken = (e: unknown) => e instanceof ServerExitedError && /address already in use|bind: address/i.test(e.logTail);

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(MONITOR_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** One node's configuration file: the shared auth/TLS lines, its own listeners, store and routes to every node. */
function nodeConfig(shared: string[], node: { name: string; clientPort: number; monitorPort: number; clusterPort: number; storeDir: string }, address: string, routes: string[]): string {
  return [
    ...shared,
    `server_name: ${node.name}`,
    `listen: "${address}:${node.clientPort}"`,
    `http: "${address}:${node.monitorPort}"`,
    `jetstream { store_dir: ${JSON.stringify(node.storeDir)} }`,
    `cluster { name: netbroker, listen: "${address}:${node.clusterPort}", routes: [${routes.map((r) => JSON.stringify(r)).join(', ')}] }`,
    '',
  ].join('\n');
}

/**
 * Starts `nodes` nats-server -js forming one JetStream cluster: distinct client, cluster and
 * monitor ports, store dirs and names, every node routed to every other. Ready once every node's
 * JetStream is enabled and all agree on an elected meta leader. With `backend` (a stack's), the
 * caller owns the backend; without, the cluster holds a lease on the process's backend until
 * `shutdown()`. A port taken while starting restarts the whole cluster on new ports.
 */
export async function startNatsCluster(dir: string, onExit: OnExit, backend?: ServerBackend, opts: NatsClusterOptions = {}): Promise<NatsCluster> {
  const count = opts.nodes ?? 3;
  const address = opts.address ?? '127.0.0.1';
  const scheme = opts.tls ? 'tls' : 'nats';
  const lease: BackendLease | undefined = backend ? undefined : acquireServerBackend(onExit);
  const servers = backend ?? lease!.backend;
  const { lines: shared, files } = await natsConfigLines(dir, 'nats', opts);

  for (let attempt = 1; ; attempt++) {
    const ports = await Promise.all(Array.from({ length: count * 3 }, () => freePort()));
    const nodes: Node[] = Array.from({ length: count }, (_, index) => ({
      index,
      name: `nats-${index}`,
      clientPort: ports[index * 3]!,
      monitorPort: ports[index * 3 + 2]!,
      conf: join(dir, `nats-${index}.conf`),
      expectedDown: false,
      paused: false,
    }));
    const routes = nodes.map((_, i) => `nats-route://${address}:${ports[i * 3 + 1]}`);
    await Promise.all(
      nodes.map((n) =>
        writeFile(n.conf, nodeConfig(shared, { ...n, clusterPort: ports[n.index * 3 + 1]!, storeDir: join(dir, `${n.name}-js-${attempt}`) }, address, routes)),
      ),
    );
    const cluster = new Cluster(dir, nodes, servers, lease, onExit, opts.onLaunch, scheme, address, files);
    try {
      await cluster.start();
      return cluster;
    } catch (e) {
      await cluster.stopNodes();
      if (attempt < START_ATTEMPTS && portTaken(e)) continue;
      await lease?.release();
      throw e;
    }
  }
}

class Cluster implements NatsCluster {
  readonly url: string;
  readonly urls: readonly string[];
  readonly monitorUrls: readonly string[];
  readonly names: readonly string[];
  /** Deaths while starting are start()'s to report; after it, onExit's. */
  private started = false;
  private down = false;

  constructor(
    private readonly dir: string,
    private readonly nodes: Node[],
    private readonly servers: ServerBackend,
    private readonly lease: BackendLease | undefined,
    private readonly onExit: OnExit,
    private readonly onLaunch: ((proc: ServerProcess) => void) | undefined,
    scheme: string,
    address: string,
    readonly files: NatsClientFiles,
  ) {
    this.urls = nodes.map((n) => `${scheme}://${address}:${n.clientPort}`);
    this.url = this.urls.join(',');
    this.monitorUrls = nodes.map((n) => `http://${address}:${n.monitorPort}`);
    this.names = nodes.map((n) => n.name);
  }

  /** Launches every node; resolves once all are ready, rejects with the first node's death. */
  async start(): Promise<void> {
    const procs = await Promise.all(this.nodes.map((n) => this.launch(n)));
    await Promise.race([
      eventually(async () => {
        const leaders = await Promise.all(this.nodes.map(async (n) => {
          await getJson(`${this.monitorUrls[n.index]}/healthz?js-enabled-only=true`);
          const jsz = await getJson<Jsz>(`${this.monitorUrls[n.index]}/jsz`);
          if (!jsz.meta_cluster?.leader) throw new Error(`${n.name}: no JetStream meta leader yet`);
          return jsz.meta_cluster.leader;
        }));
        if (new Set(leaders).size !== 1) throw new Error(`nodes disagree on the meta leader: ${leaders.join(', ')}`);
      }, { timeoutMs: STARTUP_TIMEOUT_MS }),
      ...procs.map((p) =>
        p.exited.then((exit) => {
          throw new ServerExitedError(p.name, exit, p.tail(), p.logFile);
        }),
      ),
    ]);
    this.started = true;
  }

  private async launch(node: Node): Promise<ServerProcess> {
    const log = join(this.dir, `${node.name}.log`);
    // A restarted node writes a new log: the one of its previous life is kept beside it.
    if (node.proc && existsSync(log)) renameSync(log, `${log}.${Date.now()}`);
    node.expectedDown = false;
    node.paused = false;
    const proc = await this.servers.launch({
      name: node.name,
      binary: 'nats-server',
      dir: this.dir,
      args: ['-c', node.conf],
      onExit: (e) => {
        if (this.started && !node.expectedDown && !this.down) this.onExit(e);
      },
    });
    node.proc = proc;
    this.onLaunch?.(proc);
    return proc;
  }

  private node(i: number): Node {
    const node = this.nodes[i];
    if (!node) throw new Error(`no NATS node ${i}: the cluster has ${this.nodes.length}`);
    return node;
  }

  proc(i: number): ServerProcess {
    const { proc, name } = this.node(i);
    if (!proc) throw new Error(`${name} was never started`);
    return proc;
  }

  async stop(i: number): Promise<void> {
    const node = this.node(i);
    node.expectedDown = true;
    if (node.paused) await this.resume(i);
    await this.proc(i).stop();
  }

  async kill(i: number): Promise<void> {
    const node = this.node(i);
    node.expectedDown = true;
    const proc = this.proc(i);
    proc.kill('SIGKILL');
    await proc.exited;
    await proc.stop(); // a container is removed; a process is gone already
    node.paused = false;
  }

  async restart(i: number): Promise<void> {
    const node = this.node(i);
    if (this.proc(i).running) throw new Error(`${node.name} is running: stop or kill it first`);
    const proc = await this.launch(node);
    const monitor = this.monitorUrls[i]!;
    await Promise.race([
      // Full /healthz: JetStream current with the meta leader and every stream it holds caught up.
      eventually(async () => {
        await getJson(`${monitor}/healthz`);
        const jsz = await getJson<Jsz>(`${monitor}/jsz`);
        if (!jsz.meta_cluster?.leader) throw new Error(`${node.name}: no JetStream meta leader seen yet`);
      }, { timeoutMs: STARTUP_TIMEOUT_MS }),
      proc.exited.then((exit) => {
        throw new ServerExitedError(proc.name, exit, proc.tail(), proc.logFile);
      }),
    ]);
  }

  async pause(i: number): Promise<void> {
    this.proc(i).kill('SIGSTOP');
    this.node(i).paused = true;
    await this.untilStopped(i, true);
  }

  async resume(i: number): Promise<void> {
    this.proc(i).kill('SIGCONT');
    this.node(i).paused = false;
    await this.untilStopped(i, false);
  }

  /** Until the kernel shows the node's process stopped (or, resumed, not stopped): a signal is delivered asynchronously. */
  private untilStopped(i: number, stopped: boolean): Promise<void> {
    const proc = this.proc(i);
    return eventually(() => {
      if (stopped ? !isStopped(proc.pid) : proc.running && isStopped(proc.pid)) throw new Error(`${proc.name} (pid ${proc.pid}) is ${stopped ? 'not stopped' : 'still stopped'} yet`);
    }, { timeoutMs: 5_000 });
  }

  /** What each live, unpaused node reports about `stream` (nodes that do not answer are left out). */
  private async views(stream: string): Promise<Array<{ node: Node; view: StreamView }>> {
    const live = this.nodes.filter((n) => n.proc?.running && !n.paused);
    const answers = await Promise.all(
      live.map(async (node) => {
        const jsz = await getJson<Jsz>(`${this.monitorUrls[node.index]}/jsz?accounts=true&streams=true&config=true`).catch(() => undefined);
        const view = jsz?.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === stream);
        return view ? { node, view } : undefined;
      }),
    );
    return answers.filter((a) => a !== undefined);
  }

  /** The node that reports itself as leader; of two (an old leader not told yet), the one the others name. */
  private async leaderView(stream: string): Promise<{ node: Node; view: StreamView } | undefined> {
    const views = await this.views(stream);
    const claims = views.filter((v) => v.view.cluster?.leader === v.node.name);
    if (claims.length <= 1) return claims[0];
    const votes = (name: string) => views.filter((v) => v.view.cluster?.leader === name).length;
    return claims.sort((a, b) => votes(b.node.name) - votes(a.node.name))[0];
  }

  async leaderOf(stream: string): Promise<number | undefined> {
    return (await this.leaderView(stream))?.node.index;
  }

  waitLeader(stream: string, { not, timeoutMs = 30_000 }: { not?: number; timeoutMs?: number } = {}): Promise<number> {
    return eventually(async () => {
      const leader = await this.leaderOf(stream);
      if (leader === undefined || leader === not) throw new Error(`${stream}: no leader${not === undefined ? '' : ` other than ${this.names[not]}`} yet (${leader === undefined ? 'none' : this.names[leader]})`);
      return leader;
    }, { timeoutMs });
  }

  async waitCurrent(stream: string, { timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<void> {
    await eventually(async () => {
      const leader = await this.leaderView(stream);
      if (!leader) throw new Error(`${stream}: no leader`);
      const replicas = leader.view.cluster?.replicas ?? [];
      const expected = (leader.view.config?.num_replicas ?? 1) - 1;
      const lagging = replicas.filter((r) => !r.current || r.offline).map((r) => r.name);
      if (replicas.length !== expected || lagging.length > 0) {
        throw new Error(`${stream}: ${replicas.length}/${expected} followers reported by ${leader.node.name}, not current: ${lagging.join(', ') || 'none'}`);
      }
    }, { timeoutMs });
  }

  async shutdown(): Promise<void> {
    if (this.down) return;
    await this.stopNodes();
    await this.lease?.release();
  }

  async stopNodes(): Promise<void> {
    this.down = true;
    await Promise.all(
      this.nodes.map(async (node) => {
        node.expectedDown = true;
        if (node.paused && node.proc?.running) node.proc.kill('SIGCONT');
        node.paused = false;
        await node.proc?.stop();
      }),
    );
  }
}
