import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  buildImage, buildNetbrokerImage, contextFiles, eventually, freePort, hadolintPath, kubeConfigFor, pinnedVersions, repoRoot, restrictedContainer, restrictedPodSecurity,
  runPodToCompletion, startStack, type DockerDaemon, type NetbrokerImage, type Stack,
} from '../src';

const run = promisify(execFile);
const services = ['api', 'ipam', 'provisioner', 'syncer', 'mapper', 'exposer', 'router', 'router-agent'];

/** The shared libraries (and the loader) a program links, as `ldd` names them. */
async function lddLibraries(program: string): Promise<string[]> {
  const { stdout } = await run('ldd', [program]);
  return [...stdout.matchAll(/(?:=> )?(\/\S+) \(0x/g)].map((m) => m[1]!);
}

/** glibc's own libraries: the runtime base has them (from this same machine), and one glibc must serve a process. */
const GLIBC = /\/(libc\.so|ld-linux|libm\.so|libdl\.so|libpthread\.so|librt\.so)/;

/**
 * NET_TOOLS_IMAGE of router-agent.Dockerfile, made from this machine (nothing is pulled): ip, nft
 * and sysctl of its Debian packages (iproute2, nftables, procps; scripts/setup.sh installs them)
 * under /net-tools at their paths, with the libraries ldd names but glibc's — so the Dockerfile's
 * RUN finds /net-tools and installs nothing — and /bin/sh (dash) to run that RUN.
 */
async function netToolsBase(docker: DockerDaemon): Promise<string> {
  const files: Record<string, string> = { '/bin/sh': await realpath('/bin/dash') };
  for (const lib of await lddLibraries('/bin/dash')) files[lib] = lib;
  for (const program of ['/usr/sbin/ip', '/usr/sbin/nft', '/usr/sbin/sysctl']) {
    files[`/net-tools${program}`] = await realpath(program);
    for (const lib of await lddLibraries(program)) if (!GLIBC.test(lib)) files[`/net-tools${lib}`] = lib;
  }
  return buildImage(docker, { name: 'net-tools', files, entrypoint: ['/bin/sh'], user: '0:0' });
}

/**
 * router-agent.Dockerfile built on the netbroker image and the local tools base, tagged by the
 * hash of the three, built only when that tag is missing; earlier builds' tags are removed.
 */
async function buildRouterAgentImage(docker: DockerDaemon, netbroker: NetbrokerImage): Promise<{ ref: string; sizeBytes: number }> {
  const dockerfile = await readFile(join(repoRoot, 'router-agent.Dockerfile'), 'utf8');
  const tools = await netToolsBase(docker);
  const ref = `netbroker.local/netbroker-router-agent:${createHash('sha256').update(`${dockerfile}\0${netbroker.ref}\0${tools}`).digest('hex').slice(0, 16)}`;
  if (!(await docker.docker(['image', 'inspect', ref]).then(() => true, () => false))) {
    // No build context: everything comes from the two images.
    await docker.docker(['build', '-q', '--network', 'none', '--build-arg', `NETBROKER_IMAGE=${netbroker.ref}`, '--build-arg', `NET_TOOLS_IMAGE=${tools}`, '-t', ref, '-'], { input: dockerfile });
  }
  const stale = (await docker.docker(['images', '--format', '{{.Repository}}:{{.Tag}}', 'netbroker.local/netbroker-router-agent'])).split('\n').filter((t) => t && t !== ref);
  if (stale.length) await docker.docker(['rmi', ...stale]);
  return { ref, sizeBytes: Number(await docker.docker(['image', 'inspect', '-f', '{{.Size}}', ref])) };
}

/** A command's exit code and output, whether it failed or not. */
async function outcome(p: Promise<{ stdout: string; stderr: string }>): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await p;
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof err.code === 'number' ? err.code : -1, output: `${err.stdout ?? ''}${err.stderr ?? err.message}` };
  }
}

describe('the Dockerfiles', () => {
  const hadolint = (file: string, input?: string) => {
    const child = run(hadolintPath(), ['--no-color', file], { cwd: repoRoot });
    if (input !== undefined) child.child.stdin!.end(input);
    return outcome(child);
  };

  it.each(['Dockerfile', 'router-agent.Dockerfile'])('%s has no hadolint findings', async (file) => {
    expect(await hadolint(file)).toEqual({ code: 0, output: '' });
  });

  it('is linted for real: hadolint reports an unpinned base and apt-get without -y', async () => {
    const { code, output } = await hadolint('-', 'FROM debian:latest\nRUN apt-get install curl\n');
    expect(code).not.toBe(0);
    expect(output).toContain('DL3007');
    expect(output).toContain('DL3014');
  });
});

describe('the netbroker image, on the real node', () => {
  let stack: Stack;
  let image: NetbrokerImage;
  const docker = (args: string[]) => stack.node!.docker.docker(args);
  const core = () => kubeConfigFor(stack.host!).makeApiClient(CoreV1Api);

  beforeAll(async () => {
    stack = await startStack({ nats: false, node: true });
    const started = Date.now();
    image = await buildNetbrokerImage(stack.node!.docker);
    console.log(`[image] ${image.ref}: ${(image.sizeBytes / 2 ** 20).toFixed(0)} MiB (${image.sizeBytes} bytes), built or found in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await stack.node!.importImage(image.ref);
  }, 900_000);
  afterAll(() => stack?.stop());

  it('is tagged by exactly the files docker build sends (.dockerignore and contextFiles agree)', async () => {
    // The build context as the daemon sees it, listed by the runtime base's node.
    const list = "const f=require('fs'),p=require('path');const w=d=>f.readdirSync(d,{withFileTypes:true}).flatMap(e=>e.isDirectory()?w(p.join(d,e.name)):[p.relative('/ctx',p.join(d,e.name))]);console.log(w('/ctx').sort().join('\\n'))";
    const dockerfile = `FROM ${image.bases.runtime}\nCOPY . /ctx\n`;
    const ref = `netbroker.local/context-listing:${Date.now()}`;
    await stack.node!.docker.docker(['build', '-q', '-t', ref, '-f', '-', repoRoot], { input: dockerfile });
    try {
      const sent = (await docker(['run', '--rm', '--network', 'none', '--entrypoint', '/nodejs/bin/node', ref, '-e', list])).trim().split('\n');
      // The daemon always gets the Dockerfile and .dockerignore; COPY leaves them out.
      expect(sent).toEqual((await contextFiles()).filter((f) => f !== 'Dockerfile' && f !== '.dockerignore'));
    } finally {
      await docker(['rmi', ref]);
    }
  });

  it('runs the pinned Node 24 (NODE_IMAGE_VERSION) as uid and gid 65532', async () => {
    const pinned = pinnedVersions().NODE_IMAGE_VERSION;
    expect((await docker(['run', '--rm', '--network', 'none', image.ref, '--version'])).trim()).toBe(`v${pinned}`);
    expect(pinned).toMatch(/^24\./);
    expect((await docker(['run', '--rm', '--network', 'none', image.ref, '-e', 'console.log(process.getuid(), process.getgid())'])).trim()).toBe('65532 65532');
    expect((await docker(['image', 'inspect', '-f', '{{.Config.User}} {{json .Config.Entrypoint}} {{.Config.WorkingDir}}', image.ref])).trim())
      .toBe('65532:65532 ["/nodejs/bin/node","--enable-source-maps"] /app');
  });

  it('stays under 300 MiB', () => {
    expect(image.sizeBytes).toBeLessThan(300 * 2 ** 20);
  });

  it('loads every service bundle on Node 24: each fails fast with its configuration error naming NATS_URL', async () => {
    for (const service of services) {
      const started = Date.now();
      const { code, output } = await outcome(docker(['run', '--rm', '--network', 'none', image.ref, `dist/${service}/main.mjs`]).then((stdout) => ({ stdout, stderr: '' })));
      expect(code, service).not.toBe(0);
      expect(output).toContain('ConfigError: invalid configuration');
      expect(output).toMatch(/- NATS_URL: /);
      expect(output).toContain('Node.js v24.');
      expect(Date.now() - started).toBeLessThan(15_000);
    }
  });

  it("serves the api's /docs (swagger-ui's static files from the image's node_modules) and the portal under /ui/", async () => {
    const natsUrl = inject('stack').natsUrl!;
    const [port, ops] = [await freePort(), await freePort()];
    const id = (await docker([
      'run', '-d', '--network', 'host', '-e', `NATS_URL=${natsUrl}`, '-e', `HTTP_PORT=${port}`, '-e', `OPS_PORT=${ops}`,
      '-e', 'NETBROKER_ADMIN_TOKEN=image-test-admin-token', '-e', `NETBROKER_ENCRYPTION_KEY=${Buffer.alloc(32, 7).toString('base64')}`,
      image.ref, 'dist/api/main.mjs',
    ])).trim();
    try {
      for (const path of ['/docs/static/index.html', '/docs/static/swagger-ui-bundle.js', '/docs/json']) {
        const res = await eventually(async () => {
          const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) });
          if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await docker(['logs', '--tail', '20', id])}`);
          return r;
        }, { timeoutMs: 30_000 });
        expect((await res.text()).length).toBeGreaterThan(100);
      }
      // The portal the image ships (dist/portal), with its policy, and every asset its page names.
      const page = await fetch(`http://127.0.0.1:${port}/ui/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      const assets = [...(await page.text()).matchAll(/(?:src|href)="(\.\/)?(assets\/[^"]+)"/g)].map((m) => m[2]!);
      expect(assets.length).toBeGreaterThanOrEqual(2);
      for (const asset of assets) expect((await fetch(`http://127.0.0.1:${port}/ui/${asset}`)).status, asset).toBe(200);
    } finally {
      await docker(['rm', '-f', id]);
    }
  });

  it('runs as a restricted pod on the node (read-only root, non-root, no capabilities)', async () => {
    const namespace = 'image';
    await core().createNamespace({ body: { metadata: { name: namespace } } });
    await eventually(() => core().readNamespacedServiceAccount({ name: 'default', namespace }));
    const pod = (name: string, args: string[]) => ({
      metadata: { name },
      spec: { securityContext: restrictedPodSecurity, containers: [restrictedContainer({ name: 'netbroker', image: image.ref, args })] },
    });
    expect(await runPodToCompletion(stack.host!, namespace, pod('node', ['-e', 'console.log(process.version, process.getuid())']))).toEqual({ phase: 'Succeeded', exitCode: 0 });
    expect(await stack.node!.podLogs(namespace, 'node')).toMatch(/^v24\.\S+ 65532$/);
    expect(await runPodToCompletion(stack.host!, namespace, pod('ipam', ['dist/ipam/main.mjs']))).toEqual({ phase: 'Failed', exitCode: 1 });
    expect(await stack.node!.podLogs(namespace, 'ipam')).toMatch(/- NATS_URL: /);
  });

  describe('the router agent image (router-agent.Dockerfile)', () => {
    let agent: { ref: string; sizeBytes: number };
    const inAgent = (args: string[]) => outcome(docker(['run', '--rm', '--network', 'none', ...args]).then((stdout) => ({ stdout, stderr: '' })));

    beforeAll(async () => {
      const started = Date.now();
      agent = await buildRouterAgentImage(stack.node!.docker, image);
      console.log(`[image] ${agent.ref}: ${(agent.sizeBytes / 2 ** 20).toFixed(0)} MiB (${((agent.sizeBytes - image.sizeBytes) / 2 ** 20).toFixed(1)} MiB over the netbroker image), built or found in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }, 300_000);

    it('carries ip, nft and sysctl that run, on its PATH, and runs as root', async () => {
      const tool = (path: string, arg: string) => docker(['run', '--rm', '--network', 'none', '--entrypoint', path, agent.ref, arg]);
      expect(await tool('/usr/sbin/ip', '-V')).toMatch(/^ip utility, iproute2-\d/);
      expect(await tool('/usr/sbin/nft', '--version')).toMatch(/^nftables v\d/);
      expect(await tool('/usr/sbin/sysctl', '--version')).toMatch(/procps-ng/);
      expect((await docker(['run', '--rm', '--network', 'none', agent.ref, '-e', 'console.log(process.getuid(), process.env.PATH)'])).trim()).toBe('0 /nodejs/bin:/usr/sbin:/usr/bin:/sbin:/bin');
      expect((await docker(['image', 'inspect', '-f', '{{.Config.User}} {{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Config.WorkingDir}}', agent.ref])).trim())
        .toBe('0:0 ["/nodejs/bin/node","--enable-source-maps"] ["dist/router-agent/main.mjs"] /app');
      expect(agent.sizeBytes - image.sizeBytes).toBeLessThan(16 * 2 ** 20);
    });

    it('runs the agent bundle by default, to its configuration error naming NATS_URL', async () => {
      const { code, output } = await inAgent([agent.ref]);
      expect(code).not.toBe(0);
      expect(output).toContain('ConfigError: invalid configuration');
      expect(output).toMatch(/- NATS_URL: /);
    });

    // The commands the agent runs (services/router-agent/src/netns.ts), in a container with its own
    // mount and network namespaces, as the chart runs it (read-only root, /run/netns a mount):
    // nothing reaches this machine's namespaces, and the container takes all with it.
    const program = `
      const { execFileSync } = require('node:child_process');
      const run = (argv, input) => execFileSync(argv[0], argv.slice(1), { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
      const json = (text) => (text.trim() === '' ? [] : JSON.parse(text));
      const ns = 'nbt-image';
      run(['ip', 'netns', 'add', ns]);
      const out = {};
      // Off, then on: a new namespace may inherit either value from the node's.
      const forwarding = (value) => {
        try {
          run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=' + value]);
        } catch (e) {
          out.refused = String(e.stderr).trim();
        }
        return run(['ip', 'netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.ip_forward']).trim();
      };
      out.forward = [forwarding(0), forwarding(1)];
      run(['ip', '-n', ns, '-batch', '-'], 'link add lan type veth peer name lan-peer\\naddr add 198.18.0.1/30 dev lan\\nlink set lan up\\nlink set lan-peer up\\nroute add 198.18.4.0/24 via 198.18.0.2 proto 211\\n');
      run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], 'table inet netbroker {\\n  chain forward {\\n    type filter hook forward priority 0; policy drop;\\n    counter drop comment "digest"\\n  }\\n}\\n');
      out.namespaces = json(run(['ip', '-json', 'netns', 'list'])).map((n) => n.name);
      out.routes = json(run(['ip', '-n', ns, '-json', 'route', 'show', 'proto', '211'])).map((r) => r.dst);
      out.comments = JSON.parse(run(['ip', 'netns', 'exec', ns, 'nft', '-j', 'list', 'table', 'inet', 'netbroker'])).nftables.flatMap((e) => (e.rule ? [e.rule.comment] : []));
      run(['ip', 'netns', 'delete', ns]);
      out.after = json(run(['ip', '-json', 'netns', 'list'])).map((n) => n.name);
      console.log(JSON.stringify(out));
    `;
    // `--privileged` itself cannot start here (this machine's capability set lacks CAP_SYS_RESOURCE,
    // which it would add): the two capabilities plus writable /proc/sys (systempaths=unconfined) are
    // what privileged gives the agent that it uses, and the two tests differ by the latter only.
    const caps = ['--cap-add', 'NET_ADMIN', '--cap-add', 'SYS_ADMIN', '--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined'];
    const agentContainer = (security: string[]) =>
      inAgent([...caps, ...security, '--read-only', '--tmpfs', '/run/netns', '--tmpfs', '/tmp', agent.ref, '-e', program]);

    it('makes and programs a router namespace as the agent does, with NET_ADMIN, SYS_ADMIN and /proc/sys writable (read-only root, /run/netns a mount)', async () => {
      const { code, output } = await agentContainer(['--security-opt', 'systempaths=unconfined']);
      expect(code, output).toBe(0);
      expect(JSON.parse(output)).toEqual({ forward: ['0', '1'], namespaces: ['nbt-image'], routes: ['198.18.4.0/24'], comments: ['digest'], after: [] });
    });

    it('cannot turn forwarding on with NET_ADMIN and SYS_ADMIN alone: /proc/sys is read-only unless privileged (why the chart runs it privileged)', async () => {
      const { code, output } = await agentContainer([]);
      expect(code, output).toBe(0);
      const result = JSON.parse(output) as { refused?: string; forward: string[]; routes: string[] };
      expect(result.refused).toBe('sysctl: permission denied on key "net.ipv4.ip_forward"');
      expect(result.forward[0]).toBe(result.forward[1]);
      // Everything else worked: the forwarding write is the one thing missing.
      expect(result.routes).toEqual(['198.18.4.0/24']);
    });
  });
});
