import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryPath, helmUnittestEnv } from '../src';

const run = promisify(execFile);

/** `helm unittest CHART` with the harness's plugin dir and helm homes: exit code and output. */
async function unittest(chart: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(binaryPath('helm'), ['unittest', '--color=false', chart], { env: { ...process.env, ...helmUnittestEnv() } });
    return { code: 0, output: stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/** A throwaway chart: one ConfigMap template and one test suite asserting `expected`. */
async function chart(dir: string, expected: string): Promise<string> {
  const root = join(dir, `tiny-${expected}`);
  await mkdir(join(root, 'templates'), { recursive: true });
  await mkdir(join(root, 'tests'), { recursive: true });
  await writeFile(join(root, 'Chart.yaml'), 'apiVersion: v2\nname: tiny\nversion: 0.1.0\n');
  await writeFile(join(root, 'values.yaml'), 'greeting: hello\n');
  await writeFile(join(root, 'templates', 'configmap.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-tiny\ndata:\n  greeting: {{ .Values.greeting | quote }}\n');
  await writeFile(join(root, 'tests', 'configmap_test.yaml'), [
    'suite: tiny configmap',
    'templates: [configmap.yaml]',
    'tests:',
    '  - it: renders the greeting',
    '    asserts:',
    '      - isKind: {of: ConfigMap}',
    `      - equal: {path: data.greeting, value: ${expected}}`,
    '',
  ].join('\n'));
  return root;
}

describe('helm unittest (the plugin scripts/setup.sh builds)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netbroker-helm-unittest-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a chart test suite with no network and passes what holds', async () => {
    const result = await unittest(await chart(dir, 'hello'));
    expect(result.output).toMatch(/Tests:\s+1 passed, 1 total/);
    expect(result.code).toBe(0);
  });

  it('fails a suite whose assertion does not hold', async () => {
    const result = await unittest(await chart(dir, 'goodbye'));
    expect(result.output).toMatch(/Tests:\s+1 failed, 0 passed, 1 total/);
    expect(result.code).not.toBe(0);
  });
});
