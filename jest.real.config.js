/**
 * Tests against real backing servers (Kafka, MongoDB/FerretDB, Elasticsearch, Redis), named
 * `*.real.test.ts`. Start the servers first (scripts/infra/*.sh up), then:
 *   pnpm jest -c jest.real.config.js
 * A server that cannot be reached fails its tests: they never skip.
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: ['**/test/**/*.real.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // One file at a time: some tests take a server away on purpose (the outbox test stops and
  // restarts Kafka), which must not pull it from under another file; and the servers themselves
  // already load a 2-core machine.
  maxWorkers: 1,
  // Real servers are slower to answer than in-process adapters (group joins, topic creation).
  testTimeout: 120000,
};
