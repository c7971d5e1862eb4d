import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, chown, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { imageNodeDir, repoRoot } from './binaries';
import type { DockerDaemon } from './docker';
import { fileHash } from './images';

const run = promisify(execFile);

export interface NetbrokerImage {
  /** `netbroker.local/netbroker:<hash of the build's inputs>`. */
  ref: string;
  /** What `docker image inspect` reports: the runtime image with its base. */
  sizeBytes: number;
  /** The local bases it was built on (build arguments BUILD_IMAGE and RUNTIME_IMAGE). */
  bases: { build: string; runtime: string };
}

/**
 * Builds the repo's Dockerfile on a private dockerd, on local bases made from files on this
 * machine (nothing is pulled): tagged by the hash of the build's inputs, and built again only
 * when one of them changed (the daemon's data root is kept per slot). The build stage's `npm ci`
 * reaches the npm registry through the host's network (`docker build --network host`).
 */
export async function buildNetbrokerImage(docker: DockerDaemon): Promise<NetbrokerImage> {
  const bases = { build: await buildBase(docker, 'build'), runtime: await buildBase(docker, 'runtime') };
  const digest = createHash('sha256').update(JSON.stringify(bases));
  for (const file of await contextFiles()) digest.update(`${file}\0${await fileHash(join(repoRoot, file))}\0`);
  const ref = `netbroker.local/netbroker:${digest.digest('hex').slice(0, 16)}`;
  if (!(await exists(docker, ref))) {
    await docker.docker(['build', '--network', 'host', '--build-arg', `BUILD_IMAGE=${bases.build}`, '--build-arg', `RUNTIME_IMAGE=${bases.runtime}`,
      '-t', ref, repoRoot], { maxBuffer: 64 << 20 }).catch((e: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`docker build of the netbroker image failed: ${e.stderr ?? e.message}\n${(e.stdout ?? '').slice(-4_000)}`, { cause: e });
    });
  }
  // Earlier builds' images go: the data root is kept between runs and would otherwise gain a
  // runtime image per change. The build stages' untagged images stay: they are the layer cache
  // (the two `npm ci` layers) of the next build.
  const tags = (await docker.docker(['images', '--format', '{{.Repository}}:{{.Tag}}', 'netbroker.local/netbroker'])).split('\n').filter((t) => t && t !== ref);
  if (tags.length) await docker.docker(['rmi', ...tags]);
  const sizeBytes = Number(await docker.docker(['image', 'inspect', '-f', '{{.Size}}', ref]));
  return { ref, sizeBytes, bases };
}

/**
 * The files `docker build` sends for the Dockerfile: the same choice as .dockerignore (checked by
 * libs/testing/test/image.int.spec.ts), from git's view of the work tree (tracked and untracked,
 * not ignored), so a change to any of them changes the tag.
 */
export async function contextFiles(): Promise<string[]> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--deduplicate'], { cwd: repoRoot, maxBuffer: 16 << 20 });
  const top = new Set(['Dockerfile', '.dockerignore', 'package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'tsconfig.base.json', 'scripts/build.ts']);
  const inContext = (f: string) =>
    top.has(f) || (/^(libs|services|cli|portal)\//.test(f) && !/(^|\/)test(\/|$)/.test(f) && !f.endsWith('.spec.ts'));
  const files = stdout.split('\0').filter((f) => f && inContext(f));
  // Deleted but still tracked: not part of the context.
  const present = await Promise.all(files.map((f) => readFile(join(repoRoot, f)).then(() => true, () => false)));
  return files.filter((_, i) => present[i]).sort();
}

type Base = 'build' | 'runtime';

/** One file of a base's root file system: copied from this machine, or written. */
type Entry = { path: string; mode: number; uid?: number } & ({ from: string } | { text: string } | { dir: true });

/**
 * A base image `FROM scratch` (docker import of a root file system): the Node of tools/versions.env
 * (NODE_IMAGE_VERSION), the shared libraries it links (copied from this machine: `ldd`), users
 * root and nonroot (65532), CA certificates, /tmp. `runtime` is laid out like the distroless
 * Node image (node at /nodejs/bin/node, no shell); `build` like the official Node image (node and
 * npm on PATH under /usr/local/bin), with /bin/sh, /usr/bin/env and rm for npm's scripts and
 * the Dockerfile's. npm is this machine's (`npm root -g`): a build tool only, none of it reaches
 * the runtime image.
 */
async function buildBase(docker: DockerDaemon, kind: Base): Promise<string> {
  const node = join(imageNodeDir(), 'bin', 'node');
  const version = (await run(node, ['--version'])).stdout.trim().replace(/^v/, '');
  const programs: Record<string, string> = kind === 'runtime'
    ? { '/nodejs/bin/node': node }
    : { '/usr/local/bin/node': node, '/bin/sh': '/bin/dash', '/usr/bin/env': '/usr/bin/env', '/bin/rm': '/usr/bin/rm' };
  const npm = kind === 'build' ? await npmPackage() : undefined;
  const libraries = await sharedLibraries(Object.values(programs));
  const wrapper = (cli: string) => `#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/${cli} "$@"\n`;
  const entries: Entry[] = [
    ...Object.entries(programs).map(([path, from]) => ({ path, mode: 0o755, from })),
    ...libraries.map((lib) => ({ path: lib, mode: 0o755, from: lib })),
    ...(npm
      ? [
          { path: '/usr/local/bin/npm', mode: 0o755, text: wrapper('npm-cli.js') },
          { path: '/usr/local/bin/npx', mode: 0o755, text: wrapper('npx-cli.js') },
        ]
      : []),
    { path: '/etc/passwd', mode: 0o644, text: 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' },
    { path: '/etc/group', mode: 0o644, text: 'root:x:0:\nnonroot:x:65532:\n' },
    { path: '/etc/nsswitch.conf', mode: 0o644, text: 'passwd: files\ngroup: files\nhosts: files dns\n' },
    { path: '/etc/ssl/certs/ca-certificates.crt', mode: 0o644, from: '/etc/ssl/certs/ca-certificates.crt' },
    { path: '/tmp', mode: 0o1777, dir: true },
    { path: '/root', mode: 0o700, dir: true },
    { path: '/home/nonroot', mode: 0o700, uid: 65532, dir: true },
  ];
  // npm in the build stage trusts this machine's CA bundle, as this machine's npm does (its
  // `cafile`): the registry may be reached through a TLS-inspecting proxy whose CA only the
  // bundle has. Node itself reads only its own CA list.
  const env = kind === 'runtime'
    ? ['PATH=/nodejs/bin:/usr/bin:/bin']
    : ['PATH=/usr/local/bin:/usr/bin:/bin', 'HOME=/root', 'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'];
  const digest = createHash('sha256').update(JSON.stringify({ kind, env, npm: npm?.version }));
  for (const e of entries) digest.update(`${JSON.stringify({ ...e, from: undefined })}\0${'from' in e ? await fileHash(e.from) : ''}\0`);
  const ref = `netbroker.local/node:${version}-${kind}-${digest.digest('hex').slice(0, 12)}`;
  if (await exists(docker, ref)) return ref;

  const dir = await mkdtemp(join(tmpdir(), `netbroker-base-${kind}-`));
  try {
    const rootfs = join(dir, 'rootfs');
    for (const e of entries) {
      const to = join(rootfs, e.path);
      await mkdir('dir' in e ? to : dirname(to), { recursive: true });
      if ('from' in e) await copyFile(e.from, to);
      if ('text' in e) await writeFile(to, e.text);
      await chmod(to, e.mode);
      if (e.uid !== undefined) await chown(to, e.uid, e.uid);
    }
    if (npm) {
      await mkdir(join(rootfs, 'usr/local/lib/node_modules'), { recursive: true });
      await run('cp', ['-a', npm.dir, join(rootfs, 'usr/local/lib/node_modules/npm')]);
    }
    const tar = join(dir, 'rootfs.tar');
    await run('tar', ['--numeric-owner', '--sort=name', '-C', rootfs, '-cf', tar, '.']);
    await docker.docker(['import', ...env.flatMap((v) => ['--change', `ENV ${v}`]), tar, ref]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return ref;
}

/** This machine's npm (its package folder and version): the build base's package manager. */
async function npmPackage(): Promise<{ dir: string; version: string }> {
  const dir = join((await run('npm', ['root', '-g'])).stdout.trim(), 'npm');
  const { version } = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { dir, version };
}

/** The shared libraries (and the dynamic loader) the programs link, as `ldd` names them. */
async function sharedLibraries(programs: string[]): Promise<string[]> {
  const libs = new Set<string>();
  for (const program of programs) {
    const { stdout } = await run('ldd', [program]);
    for (const m of stdout.matchAll(/(?:=> )?(\/\S+) \(0x/g)) libs.add(m[1]!);
  }
  return [...libs].sort();
}

const exists = (docker: DockerDaemon, ref: string) => docker.docker(['image', 'inspect', ref]).then(() => true, () => false);
