import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './binaries';

/** What `require` means inside an ESM bundle (some dependencies still call it). */
const REQUIRE_SHIM = "import { createRequire as __netbrokerRequire } from 'node:module'; const require = __netbrokerRequire(import.meta.url);";

/**
 * Bundles one service into a single ES module for Node (what the image ships): no TypeScript
 * loader at run time, which is most of a tsx-run process's memory. Answers the file written.
 */
export async function buildService(service: string, outDir = join(repoRoot, 'dist')): Promise<string> {
  const outfile = join(outDir, service, 'main.mjs');
  await build({
    entryPoints: [join(repoRoot, 'services', service, 'src', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    banner: { js: REQUIRE_SHIM },
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
