import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  buildNetbrokerImage, contextFiles, eventually, freePort, hadolintPath, kubeConfigFor, pinnedVersions, repoRoot, restrictedContainer, restrictedPodSecurity,
  runPodToCompletion, startStack, type NetbrokerImage, type Stack,
} from '../src';

const run = promisify(execFile);
const services = ['api', 'ipam', 'provisioner', 'syncer', 'mapper', 'exposer', 'router-agent'];

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

describe('the Dockerfile', () => {
  const hadolint = (file: string, input?: string) => {
    const child = run(hadolintPath(), ['--no-color', file], { cwd: repoRoot });
    if (input !== undefined) child.child.stdin!.end(input);
    return outcome(child);
  };

  it('has no hadolint findings', async () => {
    expect(await hadolint('Dockerfile')).toEqual({ code: 0, output: '' });
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

  it("serves the api's /docs (swagger-ui's static files from the image's node_modules)", async () => {
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
});
