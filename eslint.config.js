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
  // The portal's browser code: DOM only through createElement and text (tenant names and
  // descriptions are hostile input), types only from the contracts (no zod in the bundle), no
  // Node globals (its tsconfig has Node's types only for the contracts' sake).
  {
    files: ['portal/src/**/*.ts'],
    ignores: ['portal/src/**/*.spec.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'srcdoc'].map((property) => ({ property, message: 'Build DOM with h()/textContent: data never becomes HTML.' })),
        { object: 'document', property: 'write', message: 'Build DOM with h()/textContent: data never becomes HTML.' },
        { object: 'document', property: 'writeln', message: 'Build DOM with h()/textContent: data never becomes HTML.' },
        { object: 'localStorage', message: 'The token lives in sessionStorage only (session.ts).' },
        { object: 'document', property: 'cookie', message: 'Bearer tokens only: no cookies.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='createContextualFragment']", message: 'Build DOM with h()/textContent: data never becomes HTML.' },
        { selector: "NewExpression[callee.name='DOMParser']", message: 'Build DOM with h()/textContent: data never becomes HTML.' },
      ],
      'no-restricted-globals': ['error', 'eval', 'localStorage', 'process', 'Buffer', 'require', '__dirname'],
      'no-implied-eval': 'error',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: '@netbroker/contracts', allowTypeImports: true, message: 'The portal imports types only: no zod in the bundle.' }], patterns: [{ group: ['node:*'], message: 'Browser code: no Node modules.' }] },
      ],
    },
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
