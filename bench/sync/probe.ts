// What bench:sync measures inside and around processes: CPU seconds from /proc/<pid>/stat, and a
// running node process's heap through its inspector (activated by SIGUSR1 on the port given with
// `--inspect-port`, so the process runs without it until the measurement).
import { createWriteStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { KubeConfig } from '@kubernetes/client-node';
import fetch from 'node-fetch';

/** user + system CPU seconds of a process so far (clock ticks are 1/100 s on Linux). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function rssMB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round((Number(kb) / 1024) * 10) / 10;
}

interface Socket {
  on(event: 'message', fn: (data: Buffer) => void): void;
  once(event: 'open' | 'error', fn: (e?: unknown) => void): void;
  send(text: string): void;
  close(): void;
}
// `ws` comes with @kubernetes/client-node; node 20 has no WebSocket client of its own.
const WebSocket = createRequire(import.meta.url)('ws') as new (url: string, opts: { maxPayload: number }) => Socket;

/** A Chrome DevTools Protocol session with a node process's inspector. */
export class Inspector {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private onEvent: ((method: string, params: Record<string, unknown>) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('message', (data) => {
      const msg = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown> };
      if (msg.id === undefined) return this.onEvent?.(msg.method ?? '', msg.params ?? {});
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(msg.error.message));
      else p?.resolve(msg.result);
    });
  }

  /** Activates the inspector of `pid` (SIGUSR1) on `port` and connects. */
  static async attach(pid: number, port: number): Promise<Inspector> {
    process.kill(pid, 'SIGUSR1');
    let url: string | undefined;
    for (let i = 0; i < 50 && !url; i++) {
      try {
        const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
        url = targets[0]?.webSocketDebuggerUrl;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (!url) throw new Error(`no inspector on port ${port}`);
    const socket = new WebSocket(url, { maxPayload: 1 << 30 });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new Inspector(socket);
  }

  call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Full GC, then the process's own `process.memoryUsage()`. */
  async memoryAfterGc(): Promise<NodeJS.MemoryUsage> {
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
    const r = await this.call<{ result: { value: string } }>('Runtime.evaluate', { expression: 'JSON.stringify(process.memoryUsage())', returnByValue: true });
    return JSON.parse(r.result.value) as NodeJS.MemoryUsage;
  }

  /** Writes a heap snapshot (it collects garbage first) to `file`. */
  async heapSnapshot(file: string): Promise<void> {
    const out = createWriteStream(file);
    this.onEvent = (method, params) => {
      if (method === 'HeapProfiler.addHeapSnapshotChunk') out.write(params.chunk as string);
    };
    await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    this.onEvent = undefined;
    await new Promise<void>((resolve) => out.end(resolve));
  }

  close(): void {
    this.socket.close();
  }
}

/** Self size and count per (node type, constructor or name) of a `.heapsnapshot`, largest first. */
export function summariseSnapshot(file: string, top = 25): Array<{ what: string; count: number; MB: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const types = snap.snapshot.meta.node_types[0];
  const by = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = type === 'object' || type === 'closure' || type === 'hidden' ? snap.strings[snap.nodes[i + nameAt]!]!.slice(0, 60) : '';
    const what = `${type}${name ? ` ${name}` : ''}`;
    const e = by.get(what) ?? { count: 0, size: 0 };
    e.count++;
    e.size += snap.nodes[i + sizeAt]!;
    by.set(what, e);
  }
  return [...by]
    .map(([what, e]) => ({ what, count: e.count, MB: Math.round((e.size / 1048576) * 10) / 10 }))
    .sort((a, b) => b.MB - a.MB)
    .slice(0, top);
}

/** GET `path` on an apiserver with the kubeconfig's credentials. */
async function apiserverGet(kc: KubeConfig, path: string): Promise<string> {
  const init = await kc.applyToFetchOptions({ method: 'GET' });
  const res = await fetch(`${kc.getCurrentCluster()!.server}${path}`, init as never);
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return res.text();
}

/** apiserver_request_total summed by verb and resource (`POST services`, `WATCH services`…). */
export async function requestCounts(kc: KubeConfig): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of (await apiserverGet(kc, '/metrics')).split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const label = (name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(line)?.[1] ?? '';
    const key = `${label('verb')} ${label('resource')}${label('subresource') ? `/${label('subresource')}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

/** CPU seconds the whole machine spent busy so far (every process, /proc/stat). */
function machineBusySeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  return (user + nice + system + irq + softirq + steal) / 100;
}

/**
 * Starts counting CPU seconds of the given processes, this process (`bench driver`) and the rest
 * of the machine (`other processes`: what else runs there); the returned function reads the split.
 */
export function cpuMeter(pids: ReadonlyMap<string, number>): () => Array<{ process: string; 'CPU s': number }> {
  const before = new Map([...pids].map(([name, pid]) => [name, cpuSeconds(pid)]));
  const driver = process.cpuUsage();
  const machine = machineBusySeconds();
  return () => {
    const rows = [...pids].map(([name, pid]) => ({ process: name, 'CPU s': cpuSeconds(pid) - before.get(name)! }));
    const d = process.cpuUsage(driver);
    rows.push({ process: 'bench driver', 'CPU s': (d.user + d.system) / 1e6 });
    const ours = rows.reduce((sum, r) => sum + r['CPU s'], 0);
    rows.sort((a, b) => b['CPU s'] - a['CPU s']);
    rows.push({ process: 'other processes on the machine', 'CPU s': Math.max(0, machineBusySeconds() - machine - ours) });
    return rows.map((r) => ({ process: r.process, 'CPU s': Math.round(r['CPU s'] * 10) / 10 }));
  };
}
