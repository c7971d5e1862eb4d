// `npm run build`: every service bundled into dist/<service>/main.mjs (one ES module each, run with plain `node`).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildService, repoRoot } from '@netbroker/testing';

for (const service of readdirSync(join(repoRoot, 'services'))) {
  const file = await buildService(service);
  console.log(`built ${file}`);
}
