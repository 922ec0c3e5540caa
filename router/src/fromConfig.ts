import type { Logger } from '@chatgraph/kit';
import { corsOptions, introspectionEnabled, type RouterConfig } from './config';
import type { RouterDeps } from './server';

/**
 * Maps validated configuration to `buildRouter`'s dependencies: composed mode when SUBGRAPH_URLS
 * is set, file mode (SUPERGRAPH_PATH, hot-reloaded) otherwise.
 */
export function routerDepsFromConfig(config: RouterConfig, logger: Logger): RouterDeps {
  return {
    logger,
    signingSecret: config.INTERNAL_SIGNING_SECRET,
    supergraph: config.SUBGRAPH_URLS
      ? { kind: 'composed', subgraphs: config.SUBGRAPH_URLS }
      : { kind: 'file', path: config.SUPERGRAPH_PATH, pollMs: config.SUPERGRAPH_POLL_MS },
    auth: {
      identityUrl: config.IDENTITY_URL,
      apiKeyCacheMs: config.API_KEY_CACHE_MS,
      jwksCacheMs: config.JWKS_CACHE_MS,
      principalCacheMs: config.PRINCIPAL_CACHE_MS,
      principalRecheckMs: config.PRINCIPAL_RECHECK_MS,
    },
    limits: {
      maxBodyBytes: config.MAX_BODY_BYTES,
      maxDepth: config.MAX_DEPTH,
      maxAliases: config.MAX_ALIASES,
      maxRootFields: config.MAX_ROOT_FIELDS,
      maxCost: config.MAX_COST,
      maxTokens: config.MAX_TOKENS,
    },
    introspection: introspectionEnabled(config),
    metricsMaxOperations: config.METRICS_MAX_OPERATIONS,
    trustedProxyHops: config.TRUSTED_PROXY_HOPS,
    cors: corsOptions(config),
    subscriptions: {
      maxSubscriptionsPerConnection: config.SUBSCRIPTIONS_PER_CONNECTION,
      queueLimit: config.SUBSCRIPTION_QUEUE_LIMIT,
      connectionInitTimeoutMs: config.SUBSCRIPTION_INIT_TIMEOUT_MS,
      maxUpstreamHistory: config.SUBSCRIPTION_UPSTREAM_HISTORY,
      maxSocketsPerUser: config.SUBSCRIPTION_SOCKETS_PER_USER,
      maxSocketsPerIp: config.SUBSCRIPTION_SOCKETS_PER_IP,
      maxSubscriptionsPerUser: config.SUBSCRIPTIONS_PER_USER,
      maxSubscriptionsPerIp: config.SUBSCRIPTIONS_PER_IP,
      queueBudgetBytes: config.SUBSCRIPTION_QUEUE_BUDGET_BYTES,
    },
  };
}
