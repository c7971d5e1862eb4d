// Builds the portal (`npm run build`, and the browser tests into a directory of their own): the
// TypeScript and the stylesheet bundled and minified by esbuild into assets/ with content-hashed
// names (served `immutable`), and index.html (served `no-cache`) naming them. No runtime
// dependency: everything the browser runs is in these files.

import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const portalRoot = dirname(fileURLToPath(import.meta.url));

/** The most minified JavaScript the portal may ship (README: "JS budget"); the browser tests hold the build to it. */
export const JS_BUDGET_BYTES = 50 * 1024;

export interface BuiltFile {
  /** Path under the output directory, e.g. `assets/main-3KX7Q2ZP.js`. */
  path: string;
  bytes: number;
  gzipBytes: number;
}

export interface PortalBuild {
  dir: string;
  files: BuiltFile[];
  /** Bytes of minified JavaScript (what JS_BUDGET_BYTES bounds). */
  jsBytes: number;
}

/** Builds the portal into `outDir` (emptied first). */
export async function buildPortal(outDir: string): Promise<PortalBuild> {
  await rm(outDir, { recursive: true, force: true });
  const assets = join(outDir, 'assets');
  const result = await build({
    entryPoints: { main: join(portalRoot, 'src', 'main.ts'), styles: join(portalRoot, 'src', 'styles.css') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Browsers of the last few years: bigint, optional chaining, class fields as written.
    target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
    minify: true,
    sourcemap: 'linked',
    entryNames: '[name]-[hash]',
    outdir: assets,
    metafile: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const pick = (pattern: RegExp): string => {
    const found = outputs.find((o) => pattern.test(o));
    if (!found) throw new Error(`the portal build wrote no file like ${pattern}: ${outputs.join(', ')}`);
    return found;
  };
  const template = await readFile(join(portalRoot, 'index.html'), 'utf8');
  const html = template.replace('%MAIN%', `assets/${pick(/^main-\w+\.js$/)}`).replace('%STYLES%', `assets/${pick(/^styles-\w+\.css$/)}`);
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, 'index.html'), html);

  const files: BuiltFile[] = [];
  for (const path of ['index.html', ...outputs.map((o) => `assets/${o}`)]) {
    const content = await readFile(join(outDir, path));
    files.push({ path, bytes: (await stat(join(outDir, path))).size, gzipBytes: gzipSync(content).length });
  }
  const jsBytes = files.filter((f) => f.path.endsWith('.js')).reduce((sum, f) => sum + f.bytes, 0);
  return { dir: outDir, files, jsBytes };
}
