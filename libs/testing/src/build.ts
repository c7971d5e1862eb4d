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
    // The map without the sources' text: stack traces still name files and lines, and node
    // (--enable-source-maps) does not keep every dependency's source in the heap.
    sourcesContent: false,
    // No comments or whitespace: node keeps the module's source text for the life of the
    // process, and one non-ASCII character in a comment made it a two-byte string (2 × 7.4 MB).
    // Identifiers and names are kept: stack traces and errors read as in the sources.
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    charset: 'ascii',
    banner: { js: REQUIRE_SHIM },
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
