import { spawn } from 'node:child_process';

// The agent's only way to the kernel: `ip` and `nft` run with execve (no shell), their JSON read
// back. Every command is recorded, so a caller (and the tests) can see what one apply did.

export class CommandError extends Error {
  constructor(
    readonly command: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${command.join(' ')} exited ${code}: ${stderr.trim().slice(0, 500)}`);
    this.name = 'CommandError';
  }
}

export interface Runner {
  /** Runs `argv` with `input` on stdin; resolves with stdout, rejects with a CommandError. */
  run(argv: string[], input?: string): Promise<string>;
}

/** Runs programs directly (no shell). */
export function execRunner(): Runner {
  return {
    run: (argv, input) =>
      new Promise((resolve, reject) => {
        const child = spawn(argv[0]!, argv.slice(1), { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new CommandError(argv, code, stderr))));
        if (input !== undefined) {
          child.stdin!.on('error', () => undefined); // a program that exits early: its exit code says what went wrong
          child.stdin!.end(input);
        }
      }),
  };
}

export interface LinkInfo {
  ifname: string;
  ifalias?: string;
  operstate?: string;
  master?: string;
  flags?: string[];
}
export interface AddrInfo {
  ifname: string;
  addr_info: Array<{ family: string; local: string; prefixlen: number }>;
}
export interface RouteInfo {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string | number;
}

const json = <T>(text: string): T => (text.trim() === '' ? ([] as T) : (JSON.parse(text) as T));
const inNs = (ns: string | undefined) => (ns === undefined ? [] : ['-n', ns]);

/** Reads and changes network namespaces through `ip` and `nft`. `changes` counts what was changed. */
export class Netns {
  changes = 0;
  /** The last changing commands (at most 200), newest last: what an apply did. */
  readonly recent: string[] = [];

  /** Reads by namespace ('' the agent's own) since it last changed (or `fresh()`): an apply reads each once, not per device. */
  private readonly reads = new Map<string, Map<string, Promise<unknown>>>();

  constructor(private readonly runner: Runner) {}

  /** Forgets every read: the next ones see what changed meanwhile (by anyone). An apply starts with it. */
  fresh(): void {
    this.reads.clear();
  }

  private read<T>(ns: string | undefined, argv: string[]): Promise<T> {
    const key = argv.join(' ');
    const ofNs = this.reads.get(ns ?? '') ?? new Map<string, Promise<unknown>>();
    this.reads.set(ns ?? '', ofNs);
    let found = ofNs.get(key) as Promise<T> | undefined;
    if (!found) {
      found = this.runner.run(argv).then((text) => json<T>(text));
      ofNs.set(key, found);
      found.catch(() => ofNs.delete(key));
    }
    return found;
  }

  /** The namespaces a changing command touches: the one it runs in, and any `netns <name>` it names (a veth's ends). */
  private forget(argv: string[], input?: string): void {
    const at = argv.indexOf('-n');
    const exec = argv.indexOf('exec');
    this.reads.delete(at >= 0 ? argv[at + 1]! : exec >= 0 ? argv[exec + 1]! : '');
    for (const m of `${argv.join(' ')}\n${input ?? ''}`.matchAll(/\bnetns (?:add |delete )?(\S+)/g)) this.reads.delete(m[1]!);
  }

  private changing(argv: string[], input?: string, count = 1): Promise<string> {
    this.forget(argv, input);
    this.changes += count;
    this.recent.push(`${argv.join(' ')}${input ? `: ${input.trim().replaceAll('\n', '; ').slice(0, 300)}` : ''}`);
    this.recent.splice(0, Math.max(0, this.recent.length - 200));
    return this.runner.run(argv, input);
  }

  async namespaces(): Promise<string[]> {
    return json<Array<{ name: string }>>(await this.runner.run(['ip', '-json', 'netns', 'list'])).map((n) => n.name);
  }

  links(ns: string | undefined): Promise<LinkInfo[]> {
    return this.read(ns, ['ip', ...inNs(ns), '-json', 'link', 'show']);
  }

  addresses(ns: string | undefined): Promise<AddrInfo[]> {
    return this.read(ns, ['ip', ...inNs(ns), '-json', 'addr', 'show']);
  }

  async forwarding(ns: string): Promise<boolean> {
    return (await this.runner.run(['ip', 'netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.ip_forward'])).trim() === '1';
  }

  routes(ns: string, protocol: number): Promise<RouteInfo[]> {
    return this.read(ns, ['ip', '-n', ns, '-json', 'route', 'show', 'proto', String(protocol)]);
  }

  /** The comments of the rules of an nftables table (none when there is no such table). */
  async ruleComments(ns: string, table: string): Promise<string[]> {
    try {
      const out = json<{ nftables: Array<{ rule?: { comment?: string } }> }>(await this.runner.run(['ip', 'netns', 'exec', ns, 'nft', '-j', 'list', 'table', 'inet', table]));
      return out.nftables.flatMap((e) => (e.rule?.comment !== undefined ? [e.rule.comment] : []));
    } catch (e) {
      if (e instanceof CommandError && /No such file or directory/.test(e.stderr)) return [];
      throw e;
    }
  }

  /** `ip -batch`: the lines in order, stopping at the first that fails (no -force). */
  async batch(ns: string | undefined, lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    await this.changing(['ip', ...inNs(ns), '-batch', '-'], `${lines.join('\n')}\n`, lines.length);
  }

  async addNamespace(ns: string): Promise<void> {
    await this.changing(['ip', 'netns', 'add', ns]);
  }

  async deleteNamespace(ns: string): Promise<void> {
    await this.changing(['ip', 'netns', 'delete', ns]);
  }

  /** Turns forwarding on in a namespace (a new namespace starts with it off). */
  async enableForwarding(ns: string): Promise<void> {
    await this.changing(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  }

  /** `nft -f -` in a namespace: the file is one transaction. */
  async nft(ns: string, ruleset: string): Promise<void> {
    await this.changing(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], ruleset);
  }
}
