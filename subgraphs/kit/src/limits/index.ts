/** Rate-limit policies, their kv-backed directory and the ban registry, shared by the router and the rate-limit subgraph. */
export * from './policy';
export * from './defaults';
export * from './subject';
export * from './directory';
export * from './bans';
export * from './admin';
