import { execFile } from 'node:child_process';

// Network namespaces for the router's packet tests: a shell without a shell (execFile), and
// workloads that ping and connect. Everything a lab makes carries its `run` prefix and is
// deleted by `cleanup()`, even after a failure. Needs root.

/** Runs a program (no shell); rejects with its stderr when it fails. */
export function run(argv: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.join(' ')}: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    // A program that exits without reading its input closes the pipe: not an error of ours.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

export class NetnsLab {
  constructor(
    /** The prefix of every namespace this lab makes. */
    readonly prefix: string,
  ) {}

  inNs(ns: string, argv: string[], input?: string): Promise<string> {
    return run(['ip', 'netns', 'exec', ns, ...argv], input);
  }

  async namespaces(): Promise<string[]> {
    return (JSON.parse((await run(['ip', '-json', 'netns', 'list'])) || '[]') as Array<{ name: string }>).map((n) => n.name);
  }

  /** A namespace with a bridge `nbt0` holding `bridgeAddress`, and a default route when given. */
  async makeNamespace(name: string, bridgeAddress: string, defaultVia?: string): Promise<void> {
    await run(['ip', 'netns', 'add', name]);
    await run(['ip', '-n', name, '-batch', '-'], ['link set lo up', 'link add nbt0 type bridge', `addr add ${bridgeAddress} dev nbt0`, 'link set nbt0 up', ...(defaultVia ? [`route add default via ${defaultVia}`] : [])].join('\n') + '\n');
  }

  /** One ping from a namespace, answered within a second. */
  reaches(from: string, to: string): Promise<boolean> {
    return this.inNs(from, ['ping', '-c', '1', '-W', '1', '-q', to]).then(
      () => true,
      () => false,
    );
  }

  /** A TCP connect from a namespace, as node sees it: true when the handshake completes within 2 s. */
  connects(from: string, host: string, port: number): Promise<boolean> {
    const script = `const s=require('net').connect(${port},'${host}',()=>{s.destroy();process.exit(0)});s.on('error',()=>process.exit(1));setTimeout(()=>process.exit(1),2000);`;
    return this.inNs(from, [process.execPath, '-e', script]).then(
      () => true,
      () => false,
    );
  }

  /** The test's ranges must be free in the root namespace, so nothing can reach or shadow this machine's. */
  async assertRootFree(pattern: RegExp): Promise<void> {
    const seen = `${await run(['ip', '-json', 'addr', 'show'])}${await run(['ip', '-json', 'route', 'show'])}`;
    if (pattern.test(seen)) throw new Error(`the root namespace already holds addresses or routes matching ${pattern}: refusing to run`);
  }

  /** Deletes every namespace of the prefix; throws if one is left. */
  async cleanup(): Promise<void> {
    for (const name of await this.namespaces()) if (name.startsWith(this.prefix)) await run(['ip', 'netns', 'delete', name]).catch(() => undefined);
    const left = (await this.namespaces()).filter((n) => n.startsWith(this.prefix));
    if (left.length > 0) throw new Error(`network namespaces left behind: ${left.join(', ')}`);
  }
}
