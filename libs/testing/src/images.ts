import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DockerDaemon } from './docker';

/** An image made `FROM scratch` out of files on this machine: nothing is pulled. */
export interface ImageSpec {
  /** Repository name under `netbroker.local/`. */
  name: string;
  /** Path in the image → file on this machine (binaries must be static). */
  files: Record<string, string>;
  entrypoint: string[];
  /** `uid:gid`; default 65532:65532 (non-root). */
  user?: string;
}

/** sha256 of a file's contents, hex. */
export const fileHash = (path: string) =>
  new Promise<string>((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path).on('data', (c) => hash.update(c)).on('error', reject).on('end', () => resolve(hash.digest('hex')));
  });

/**
 * Builds the image on the private dockerd unless a build of the same spec and file contents is
 * already there (the tag is their hash; the daemon's data root is kept between runs), and
 * returns its reference.
 */
export async function buildImage(docker: DockerDaemon, spec: ImageSpec): Promise<string> {
  const user = spec.user ?? '65532:65532';
  const entries = Object.entries(spec.files).sort(([a], [b]) => a.localeCompare(b));
  const digest = createHash('sha256').update(JSON.stringify({ entrypoint: spec.entrypoint, user }));
  for (const [to, from] of entries) digest.update(`${to}\0${await fileHash(from)}\0`);
  const ref = `netbroker.local/${spec.name}:${digest.digest('hex').slice(0, 16)}`;
  if (await docker.docker(['image', 'inspect', ref]).then(() => true, () => false)) return ref;

  const ctx = await mkdtemp(join(tmpdir(), 'netbroker-image-'));
  try {
    const lines = ['FROM scratch'];
    for (const [i, [to, from]] of entries.entries()) {
      const name = `f${i}`;
      await mkdir(dirname(join(ctx, name)), { recursive: true });
      await copyFile(from, join(ctx, name));
      lines.push(`COPY ${name} ${to}`);
    }
    lines.push(`USER ${user}`, `ENTRYPOINT ${JSON.stringify(spec.entrypoint)}`);
    await writeFile(join(ctx, 'Dockerfile'), `${lines.join('\n')}\n`);
    await docker.docker(['build', '-q', '-t', ref, ctx]);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
  return ref;
}
