import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, no I/O beyond the process) and `integration` (real servers,
// started once per run by test/global-setup.ts and shared; tests use fresh namespaces/keys).
export default defineConfig({
  test: {
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.vitest-report.json' }]] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['libs/*/src/**/*.spec.ts', 'services/*/src/**/*.spec.ts', 'cli/src/**/*.spec.ts', 'portal/src/**/*.spec.ts'],
          // Worker threads, a pool of their own: vitest runs it beside the integration project's
          // forks, so the pure tests (about a minute, most of it imports) leave the one-at-a-time
          // path of the integration files.
          pool: 'threads',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['libs/*/test/**/*.int.spec.ts', 'services/*/test/**/*.int.spec.ts', 'cli/test/**/*.int.spec.ts', 'portal/test/**/*.int.spec.ts', 'test/**/*.int.spec.ts'],
          globalSetup: ['test/global-setup.ts'],
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
