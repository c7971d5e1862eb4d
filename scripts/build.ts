// `npm run build`: every service bundled into dist/<service>/main.mjs (one ES module each, run with plain `node`).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildPortal, JS_BUDGET_BYTES } from '@netbroker/portal';
import { buildService, repoRoot } from '@netbroker/testing';
import { bundleCli } from '../cli/src/bundle';

for (const service of readdirSync(join(repoRoot, 'services'))) {
  const file = await buildService(service);
  console.log(`built ${file}`);
}

// The CLI: dist/cli/netbroker.mjs, one executable file that runs with plain `node` outside the repository (cli/README.md).
console.log(`built ${await bundleCli(join(repoRoot, 'dist', 'cli', 'netbroker.mjs'))}`);

// The web portal: dist/portal (index.html and content-hashed assets), served by the api under /ui/.
const portal = await buildPortal(join(repoRoot, 'dist', 'portal'));
console.log(`built ${portal.dir} (${(portal.jsBytes / 1024).toFixed(1)} KiB of JavaScript, budget ${JS_BUDGET_BYTES / 1024} KiB)`);
