/**
 * The kit's core entry (`@chatgraph/kit`): what every service needs whatever ports it uses:
 * building and serving a subgraph, configuration, coded errors and their masking, logging,
 * metrics, request context and principal, internal signing and JWTs, startup and shutdown.
 *
 * Each port has its own entry, so a service states which ones it uses and loads only their
 * drivers: `@chatgraph/kit/store`, `/events`, `/kv`, `/limits`, `/search`, `/blob`, `/mail`
 * (see README.md for the map).
 */
export * from './config';
export * from './serviceConfig';
export * from './context';
export * from './errors';
export * from './dependencyUnavailable';
export * from './errorMasking';
export * from './http';
export * from './ids';
export * from './loaders';
export * from './logger';
export * from './adapterLogger';
export * from './metrics';
export * from './principal';
export * from './principalRecords';
export * from './signing';
export * from './streamSigning';
export * from './nonces';
export * from './subgraph';
export * from './descriptor';
export * from './subscriptions';
export type { DataCheckReport } from './dataCheck';
export * from './signedFetch';
export * from './shutdown';
export * from './startup';
export * from './probeRoutes';
export * from './jwt';
export * from './scalars';
export * from './finishReason';
