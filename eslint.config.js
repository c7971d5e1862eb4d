// Lint = type-aware hygiene + Nx module boundaries. The dependency rules of docs/architecture.md
// ("Libraries") are written here as tag constraints: a lib importing past its row fails `npm test`.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

/** Which libs each project may import, by tag (docs/architecture.md, "Libraries" table). */
const depConstraints = [
  { sourceTag: 'lib:contracts', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'lib:naming', onlyDependOnLibsWithTags: ['lib:contracts'] },
  { sourceTag: 'lib:ipam', onlyDependOnLibsWithTags: ['lib:contracts'] },
  { sourceTag: 'lib:translate', onlyDependOnLibsWithTags: ['lib:contracts', 'lib:naming'] },
  { sourceTag: 'lib:kube', onlyDependOnLibsWithTags: ['lib:contracts', 'lib:naming'] },
  { sourceTag: 'lib:bus', onlyDependOnLibsWithTags: ['lib:contracts'] },
  { sourceTag: 'lib:runtime', onlyDependOnLibsWithTags: ['lib:contracts'] },
  { sourceTag: 'lib:controller', onlyDependOnLibsWithTags: ['lib:contracts', 'lib:naming', 'lib:kube', 'lib:bus', 'lib:runtime'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['*'] },
  // Services compose libs; they never import each other or the test harness.
  { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:data-access'] },
  // The CLI is a client of the public HTTP API only: the contracts (types), no bus, no kube.
  { sourceTag: 'type:client', onlyDependOnLibsWithTags: ['type:contracts'] },
];

/** Tests may also use the harness, and a service's tests may import its own sources. */
const testDepConstraints = depConstraints.map((c) =>
  c.sourceTag === 'type:service' || c.sourceTag === 'type:client' || c.sourceTag.startsWith('lib:')
    ? { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'type:testing', 'type:contracts', 'type:util', 'type:data-access'] }
    : c,
);

const boundaries = (constraints) => [
  'error',
  { enforceBuildableLibDependency: false, banTransitiveDependencies: false, depConstraints: constraints },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', '.netbroker/**', 'helm/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@netbroker/*/*'], message: 'Import a lib through its index (@netbroker/<lib>), never past it.' }] },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(testDepConstraints) },
  },
  // The one exception: the CLI's drift test builds the API's OpenAPI document in-process from the
  // api's route table (as services/api/src/openapi.spec.ts does), to hold the CLI's calls to it.
  {
    files: ['cli/src/calls.spec.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          banTransitiveDependencies: false,
          depConstraints: testDepConstraints,
          allow: ['^\\.\\./\\.\\./services/api/src/(openapi|http/routes|http/route)$'],
        },
      ],
    },
  },
);
