// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
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
const subgraphBoundaries = subgraphs.map((name) => ({
  files: [`subgraphs/${name}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: ['@chatgraph/*', '@chatgraph/*/**', '!@chatgraph/kit', '!@chatgraph/kit/**', '!@chatgraph/schema', '!@chatgraph/schema/**', '!@chatgraph/test-support', `!@chatgraph/${name}`, `!@chatgraph/${name}/**`],
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
}));

module.exports = tseslint.config(
  { ignores: ['**/node_modules/**', '.tools/**', '.data/**', '**/generated/**', 'coverage/**', '.infra/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['subgraphs/kit/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@chatgraph/*', '!@chatgraph/schema', '../../*/src/**'], message: 'the kit depends on no service' }] }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: {
      globals: Object.fromEntries(
        ['fetch', 'URL', 'Buffer', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'AbortController', 'AbortSignal', 'TextEncoder', 'TextDecoder', 'structuredClone'].map((g) => [g, 'readonly']),
      ),
    },
  },
  ...subgraphBoundaries,
  // Another package is imported through its public entry, never from inside its src/ (scripts/lint/noForeignSrc.js).
  { plugins: { chatgraph: { rules: { 'no-foreign-src': noForeignSrc(__dirname) } } }, rules: { 'chatgraph/no-foreign-src': 'error' } },
  { files: ['bench/**/*.ts', 'scripts/**/*.ts', 'scripts/**/*.mjs', 'schema/*.ts'], rules: { 'no-console': 'off' } },
);
