// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const importX = require('eslint-plugin-import-x');
const { createTypeScriptImportResolver } = require('eslint-import-resolver-typescript');
const prettier = require('eslint-config-prettier/flat');
const fs = require('node:fs');
const path = require('node:path');
const { noForeignSrc } = require('./scripts/lint/noForeignSrc');

const subgraphs = fs
  .readdirSync(path.join(__dirname, 'subgraphs'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'kit')
  .map((d) => d.name);

/**
 * A subgraph imports the kit and schema/events, never another subgraph (nor the router): each
 * service owns its data and reaches others only through the graph or through events.
 */
const boundaryFor = (name, { tests }) => ({
  files: tests ? [`subgraphs/${name}/test/**/*.ts`] : [`subgraphs/${name}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: [
              '@chatgraph/*',
              '@chatgraph/*/**',
              '!@chatgraph/kit',
              '!@chatgraph/kit/**',
              '!@chatgraph/schema',
              '!@chatgraph/schema/**',
              // Its tests may also use the shared test support (testing/); its source may not.
              ...(tests ? ['!@chatgraph/test-support'] : []),
              `!@chatgraph/${name}`,
              `!@chatgraph/${name}/**`,
            ],
            message: `subgraph ${name} may import only the kit, schema/ and itself`,
          },
          {
            regex: `^(\\.\\./)+((?!kit/|${name}/)[\\w-]+/src|router|e2e)(/|$)`,
            message: `subgraph ${name} may import only the kit, schema/ and itself`,
          },
        ],
      },
    ],
  },
});
const subgraphBoundaries = subgraphs.flatMap((name) => [boundaryFor(name, { tests: false }), boundaryFor(name, { tests: true })]);

/** Workspace packages (pnpm-workspace.yaml), each with its own package.json. */
const packages = [...subgraphs, 'kit'].map((name) => `subgraphs/${name}`).concat(['router', 'schema', 'clients/sdk', 'bench']);

/**
 * Every import of a package must be declared by the package.json of the workspace package that
 * holds the file (pnpm links only what is declared: an undeclared import works by hoisting luck
 * here and breaks in a service's own image). Source declares it in `dependencies`; tests may also
 * lean on the root's devDependencies (jest, clients), which is where the shared test tooling lives.
 */
const declaredDependencies = [
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: { 'import-x/no-extraneous-dependencies': ['error', { devDependencies: true, includeTypes: false }] },
  },
  ...packages.map((dir) => ({
    files: [`${dir}/**/*.ts`],
    rules: { 'import-x/no-extraneous-dependencies': ['error', { devDependencies: false, packageDir: [path.join(__dirname, dir)] }] },
  })),
  ...packages.map((dir) => ({
    files: [`${dir}/test/**/*.ts`, `${dir}/**/*.test.ts`],
    rules: {
      'import-x/no-extraneous-dependencies': ['error', { devDependencies: true, packageDir: [path.join(__dirname, dir), __dirname] }],
    },
  })),
  {
    // These scripts load the kit's own clients through createRequire(subgraphs/kit/package.json).
    files: ['scripts/infra/**/*.mjs'],
    rules: { 'import-x/no-extraneous-dependencies': ['error', { packageDir: [path.join(__dirname, 'subgraphs/kit'), __dirname] }] },
  },
];

/**
 * Imports resolve as TypeScript does (tsconfig.json, workspace packages through node_modules), so
 * import-x can follow them: `no-cycle` refuses a module that reaches itself again through its
 * imports (type-only imports excepted: they vanish at run time), which is what makes a module's
 * load order, and so its top-level values, depend on who imported first.
 */
const imports = {
  files: ['**/*.ts', '**/*.js', '**/*.mjs'],
  plugins: { 'import-x': importX },
  settings: {
    'import-x/resolver-next': [createTypeScriptImportResolver({ project: path.join(__dirname, 'tsconfig.json') })],
    'import-x/extensions': ['.ts', '.js', '.mjs'],
  },
  rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true, allowUnsafeDynamicCyclicDependency: false }] },
};

module.exports = tseslint.config(
  { ignores: ['**/node_modules/**', '.tools/**', '.data/**', '**/generated/**', 'coverage/**', '.infra/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['subgraphs/kit/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@chatgraph/*', '!@chatgraph/schema', '../../*/src/**'], message: 'the kit depends on no service' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: {
      globals: Object.fromEntries(
        [
          'fetch',
          'URL',
          'Buffer',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'performance',
          'AbortController',
          'AbortSignal',
          'TextEncoder',
          'TextDecoder',
          'structuredClone',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
  ...subgraphBoundaries,
  // Another package is imported through its public entry, never from inside its src/ (scripts/lint/noForeignSrc.js).
  { plugins: { chatgraph: { rules: { 'no-foreign-src': noForeignSrc(__dirname) } } }, rules: { 'chatgraph/no-foreign-src': 'error' } },
  imports,
  ...declaredDependencies,
  { files: ['bench/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.mjs', 'schema/*.ts'], rules: { 'no-console': 'off' } },
  // Last: turns off every rule that would argue with Prettier's layout (`pnpm format`).
  prettier,
);
