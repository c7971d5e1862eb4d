import { configDefaults, defineConfig } from 'vitest/config';

// Three projects: `unit` (pure logic, no I/O beyond the process), `integration` (real servers,
// started once per run by test/global-setup.ts and shared; tests use fresh namespaces/keys) and
// `long`: integration files that mostly wait (lease expiries, fault windows, the harness's own
// teardown checks), about five minutes together. `npm test` (and so CI, which must stay under 30
// minutes on a fresh 2-core machine) runs the first two; `npm run test:long` runs the third.
const integrationFiles = ['libs/*/test/**/*.int.spec.ts', 'services/*/test/**/*.int.spec.ts', 'cli/test/**/*.int.spec.ts', 'portal/test/**/*.int.spec.ts', 'test/**/*.int.spec.ts'];
const longFiles = [
  'test/faults/**/*.int.spec.ts',
  'services/ipam/test/holders.int.spec.ts',
  'libs/testing/test/teardown.int.spec.ts',
  'libs/testing/test/node-teardown.int.spec.ts',
];
const integration = { globalSetup: ['test/global-setup.ts'], pool: 'forks' as const, testTimeout: 60_000, hookTimeout: 180_000 };

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
        test: { name: 'integration', include: integrationFiles, exclude: [...configDefaults.exclude, ...longFiles], ...integration },
      },
      {
        test: { name: 'long', include: longFiles, ...integration },
      },
    ],
  },
});
