import { chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// Build time only (scripts/build.ts, and the test that runs the bundle outside the repository):
// nothing the CLI imports at run time.

const cliRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The CLI as one file that runs with plain `node` (20 or later) anywhere: every dependency inlined
 * (the contracts are types only; `yaml` is the one package it runs), no node_modules, no
 * TypeScript loader, `#!/usr/bin/env node` and mode 0755 so it is a command by itself.
 * Answers the file written.
 */
export async function bundleCli(outfile: string): Promise<string> {
  await build({
    entryPoints: [join(cliRoot, 'src', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // `require` for the CommonJS build of yaml (what its `node` export condition names) inside an ES module.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __netbrokerRequire } from 'node:module'; const require = __netbrokerRequire(import.meta.url);" },
    // Smaller and faster to load; names kept, so that a bug's stack trace (exit 70) still reads.
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    charset: 'ascii',
    legalComments: 'eof',
    outfile,
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
  return outfile;
}
