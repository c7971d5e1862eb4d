import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

/** Lints source text as if it were a file at `path`, and returns the boundary rule's messages. */
async function boundaryErrors(path: string, text: string): Promise<string[]> {
  const [result] = await new ESLint({ cwd: root }).lintText(text, { filePath: join(root, path) });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries (docs/architecture.md, Libraries)', () => {
  beforeAll(() => {
    // The rule silently skips itself without a computed project graph; `npm run check` computes it too.
    execFileSync('npx', ['nx', 'show', 'projects'], { cwd: root, stdio: 'ignore' });
  });

  it('refuses a lib importing a lib its row does not allow', async () => {
    const errors = await boundaryErrors('libs/contracts/src/probe.ts', "import { loadConfig } from '@netbroker/runtime';\nexport const x = loadConfig;\n");
    expect(errors.join('\n')).toMatch(/lib:contracts/);
  });

  it('refuses production code importing the test harness', async () => {
    const errors = await boundaryErrors('libs/runtime/src/probe.ts', "import { startStack } from '@netbroker/testing';\nexport const x = startStack;\n");
    expect(errors).toHaveLength(1);
  });

  it('allows what the table allows', async () => {
    expect(await boundaryErrors('libs/runtime/src/probe.ts', "import * as c from '@netbroker/contracts';\nexport const x = c;\n")).toEqual([]);
    expect(await boundaryErrors('libs/runtime/src/probe.spec.ts', "import { eventually } from '@netbroker/testing';\nexport const x = eventually;\n")).toEqual([]);
  });
});
