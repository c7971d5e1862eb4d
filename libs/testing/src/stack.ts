import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManagedProcess, ServerExitedError } from './process';
import { startEtcd, startKubeApiserver, startNats, type ClusterInfo } from './servers';

export interface StackOptions {
  /** Start nats-server -js (default true). */
  nats?: boolean;
  /** Start etcd and the host apiserver (default true). */
  host?: boolean;
  /** Number of virtual apiservers sharing the host's etcd (default 0). */
  virtualClusters?: number;
  /** Service CIDR of every apiserver: equal on host and virtual, as ClusterIP back-sync needs. */
  serviceCidr?: string;
  /** Restricted users created on every apiserver (default alice, bob). */
  users?: string[];
}

/** The part of a stack that crosses process boundaries (vitest `provide`, `.netbroker/stack.json`). */
export interface StackInfo {
  natsUrl?: string;
  /** etcd's client URL (the apiservers' store). */
  etcdUrl?: string;
  host?: ClusterInfo;
  virtual: ClusterInfo[];
}

export interface Stack extends StackInfo {
  readonly dir: string;
  readonly processes: ReadonlyMap<string, ManagedProcess>;
  /** Aborted, with a ServerExitedError as reason, when any server stops unexpectedly. */
  readonly signal: AbortSignal;
  /** Throws the ServerExitedError of a server that died. */
  assertHealthy(): void;
  info(): StackInfo;
  stop(): Promise<void>;
}

const PREFIX = 'netbroker-stack-';

/** Temp dirs of runs that were killed before their teardown; their owner pid is gone. */
function sweepStaleDirs(): void {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), entry);
    try {
      const pid = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPERM') continue;
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * Starts real servers on free loopback ports in a temp dir: nats-server -js, etcd, one host
 * kube-apiserver and N virtual ones (own --etcd-prefix each). `stop()` ends them all and removes
 * the dir; if the test process dies first, the kernel kills the servers (see ManagedProcess).
 */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const { nats = true, host = true, virtualClusters = 0, serviceCidr = '10.96.0.0/16', users = ['alice', 'bob'] } = opts;
  if (virtualClusters > 0 && !host) throw new Error('virtual clusters share the host etcd: host must be true');
  sweepStaleDirs();
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  const processes = new Map<string, ManagedProcess>();
  const abort = new AbortController();
  const onExit = (e: ServerExitedError) => abort.abort(e);
  const track = <T extends { proc: ManagedProcess }>(server: T): T => {
    processes.set(server.proc.name, server.proc);
    return server;
  };

  const stop = async () => {
    await Promise.all([...processes.values()].map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [natsServer, etcd] = await Promise.all([
      nats ? startNats(dir, onExit).then(track) : undefined,
      host ? startEtcd(dir, onExit).then(track) : undefined,
    ]);
    const apiserver = (name: string, compaction: boolean) =>
      startKubeApiserver(dir, { name, etcdUrl: etcd!.url, serviceCidr, users, compaction }, onExit).then(track);
    const [hostServer, ...virtual] = host
      ? await Promise.all([apiserver('host', true), ...Array.from({ length: virtualClusters }, (_, i) => apiserver(`virtual-${i + 1}`, false))])
      : [];
    const info: StackInfo = { natsUrl: natsServer?.url, etcdUrl: etcd?.url, host: hostServer?.info, virtual: virtual.map((v) => v.info) };
    return {
      ...info,
      dir,
      processes,
      signal: abort.signal,
      assertHealthy: () => {
        if (abort.signal.aborted) throw abort.signal.reason;
      },
      info: () => structuredClone(info),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
