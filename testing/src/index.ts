/**
 * What every service's tests share: start a built subgraph with a signed client (`startSubgraph`),
 * assert on error codes (`ok`, `codeOf`, `expectCode`), poll without timing (`eventually`), run a
 * suite embedded or on the real servers (`Target`, `realServersEnv`). What is left in a service's
 * own `test/harness.ts` is what only that service has.
 */
export * from './codes';
export * from './eventually';
export * from './events';
export * from './harness';
export * from './principals';
export * from './realServers';
export * from './stores';
export * from './targets';
