import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { repoRoot } from './binaries';

/**
 * What `require` means inside an ESM bundle (some dependencies still call it), and
 * `__netbrokerPath(relative)`: a path relative to the bundle file (realModulePaths).
 */
const BANNER = [
  "import { createRequire as __netbrokerRequire } from 'node:module';",
  "import { fileURLToPath as __netbrokerUrlPath } from 'node:url';",
  'const require = __netbrokerRequire(import.meta.url);',
  'const __netbrokerPath = (p) => __netbrokerUrlPath(new URL(p, import.meta.url));',
].join(' ');

/**
 * `__dirname` and `__filename` for the CommonJS dependencies that read files beside themselves
 * (@fastify/swagger-ui serves its static/ folder; pino finds its worker): an ES module has neither,
 * so each such file gets its own, its real place relative to the bundle — `../../node_modules/…`
 * from dist/<service>/main.mjs, in the repo and in the image alike (the image keeps the production
 * node_modules beside dist/ for exactly these files: Dockerfile).
 */
function realModulePaths(outDir: string): Plugin {
  return {
    name: 'real-module-paths',
    setup(b) {
      b.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!/\b__(dirname|filename)\b/.test(source)) return undefined;
        // No import.meta here: esbuild would take the file for an ES module.
        const rel = (p: string) => JSON.stringify(relative(outDir, p).split(sep).join('/'));
        const prelude = `var __filename = __netbrokerPath(${rel(args.path)}), __dirname = __netbrokerPath(${rel(dirname(args.path))});`;
        const shebang = source.startsWith('#!') ? source.slice(0, source.indexOf('\n') + 1) : '';
        return { contents: `${shebang}${prelude}${source.slice(shebang.length)}`, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

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
    banner: { js: BANNER },
    plugins: [realModulePaths(dirname(outfile))],
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
