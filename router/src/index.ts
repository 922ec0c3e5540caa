export {
  buildRouter,
  DEFAULT_LIMITS,
  type Router,
  type RouterDeps,
  type RouterLimits,
  type RouterAuthOptions,
  type RouterSubscriptionOptions,
} from './server';
export { DEFAULT_SUBSCRIPTION_LIMITS, type SubscriptionLimits, type SubscriptionServer } from './subscriptions/subscriptionServer';
export { SUBSCRIPTION_CLOSE_CODES, SUBSCRIPTION_END_CODES, type SubscriptionEndCode } from './subscriptions/errors';
export {
  ROUTER_CONFIG_SPEC,
  loadRouterConfig,
  introspectionEnabled,
  parseSubgraphList,
  type RouterConfig,
  type SubgraphEndpoint,
} from './config';
export { routerDepsFromConfig } from './fromConfig';
export type { SupergraphSource } from './supergraphSource';
export type { InProcessSubgraph, SubgraphReply } from './subgraphTransport';
export type { Authenticator } from './auth';
export type { RouterContext } from './context';
export { ROUTER_PRINCIPAL } from './context';
export { measureOperation, type OperationLimits, type OperationShape } from './limits';
export { compileCost, evaluateCost, DEFAULT_LIST_SIZE, DEFAULT_PAGE_SIZE, type CostNode } from './cost';
export { API_KEY_PREFIX } from './apiKeys';
export { WRITE_SCOPE } from './scopes';
// Rate limiting over a kv (the one-process launcher wires it; benchmarks measure it).
export { rateLimitFromConfig, RouterRateLimiter, RateLimitMetrics } from './rateLimit';
// The request pipeline's parts, which bench/router-pipeline.ts assembles and measures one by one.
export { RequestContext } from './context';
export { RouterGateway } from './gateway';
export type { GraphQLRequest } from './graphqlRequest';
export { PersistedQueries } from './persistedQueries';
export { Pipeline } from './pipeline';
export { SubgraphTransport } from './subgraphTransport';
