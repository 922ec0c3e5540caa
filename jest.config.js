/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': swc },
  roots: [
    '<rootDir>/subgraphs',
    '<rootDir>/router',
    '<rootDir>/launcher',
    '<rootDir>/schema',
    '<rootDir>/clients',
    '<rootDir>/e2e',
    '<rootDir>/testing',
  ],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['\\.real\\.test\\.ts$', '/node_modules/'],
  // Real HTTP servers per test file; two cores on CI machines.
  maxWorkers: 2,
  testTimeout: 30000,
};
