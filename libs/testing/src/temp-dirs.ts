import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A temp dir `<tmp>/<prefix>XXXXXX` that names its owner (`owner.pid`), after removing the dirs of
 * that prefix whose owner is gone: a test process killed before its teardown (or a vitest worker
 * ended without its exit handlers) leaves nothing behind for long.
 */
export function ownedTempDir(prefix: string): string {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(prefix)) continue;
    const dir = join(tmpdir(), entry);
    try {
      process.kill(Number(readFileSync(join(dir, 'owner.pid'), 'utf8')), 0);
    } catch (e) {
      // EPERM: alive, another user's. No owner.pid (being made, or not ours to judge): left alone.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPERM' || code === 'ENOENT') continue;
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  return dir;
}
