import type { ApolloGateway } from '@apollo/gateway';
import { HttpServer, probeRoutes, ServiceMetrics, type Logger, type Route } from '@chatgraph/kit';
import type { KeyValues, KvStore } from '@chatgraph/kit/kv';
import { BanRegistry, PolicyDirectory, type BanRegistryOptions, type LimitPolicy } from '@chatgraph/kit/limits';
import { ApiKeyVerifier } from './apiKeys';
import { createAuthenticator, type Authenticator } from './auth';
import { CorsPolicy, NO_ORIGINS, type CorsOptions } from './cors';
import { SigningDataSource } from './dataSource';
import { FileRoutes } from './files/fileRoutes';
import { RouterGateway } from './gateway';
import { graphqlHandler, sendEarlyRefusal } from './graphqlHandler';
import { JwksCache } from './jwks';
import { sendLandingPage } from './landingPage';
import type { OperationLimits } from './limits';
import { RouterMetrics } from './metrics';
import { PersistedQueries } from './persistedQueries';
import { Pipeline } from './pipeline';
import { RateLimitMetrics, RouterRateLimiter } from './rateLimit';
import { PrincipalGuard } from './principalGuard';
import { unreadySubgraphs } from './readiness';
import { SubgraphTransport, type InProcessSubgraph } from './subgraphTransport';
import { refuseSingleConnectionMode, StreamHandler } from './subscriptions/streamHandler';
import { DEFAULT_SUBSCRIPTION_LIMITS, SubscriptionServer, type SubscriptionLimits } from './subscriptions/subscriptionServer';
import type { SupergraphSource } from './supergraphSource';

/** Request limits; every one is checked before any subgraph is called. */
export interface RouterLimits extends OperationLimits {
  /** Largest request body; larger gets PAYLOAD_TOO_LARGE (413). */
  maxBodyBytes: number;
}

/** How the router talks to identity to authenticate callers. */
export interface RouterAuthOptions {
  /** Base URL of identity: JWKS at `/.well-known/jwks.json`, API keys at `/internal/api-keys/verify`. */
  identityUrl: string;
  /** How long an API-key answer (valid or refused) is cached. Default 5000. */
  apiKeyCacheMs?: number;
  /** How long identity's public keys are cached. Default 300000. */
  jwksCacheMs?: number;
  /** Least time between JWKS fetches caused by unknown `kid`s. Default 10000. */
  jwksMinRefetchIntervalMs?: number;
  /** Longest wait for identity. Default 5000. */
  identityTimeoutMs?: number;
  /** How long a principal-directory read is reused (see `principals`). Default 1000. */
  principalCacheMs?: number;
  /** How often open sockets' principals are checked against the directory. Default 2000. */
  principalRecheckMs?: number;
}

/** Everything `buildRouter` needs; it reads no environment and opens nothing by itself. */
export interface RouterDeps {
  logger: Logger;
  /** HMAC secret shared with the subgraphs (see the kit's signing.ts). */
  signingSecret: string;
  supergraph: SupergraphSource;
  auth: RouterAuthOptions;
  limits?: Partial<RouterLimits>;
  /** Default true; main.ts turns it off in production. */
  introspection?: boolean;
  /** Browser origins allowed (CORS and WebSocket `Origin`). Default: none; configuration sets localhost in development. */
  cors?: CorsOptions;
  /** A subgraph silent for this long fails the fetch as UNAVAILABLE. Default 30000. */
  subgraphTimeoutMs?: number;
  /** Subgraphs running in the router's process (embedded mode), by `/graphql` URL: called without HTTP. */
  inProcessSubgraphs?: ReadonlyMap<string, InProcessSubgraph>;
  /** Longest a graceful stop waits for in-flight requests. Default 10000. */
  drainTimeoutMs?: number;
  /** Subscriptions over graphql-ws (limits, and ping/idle timings for tests). */
  subscriptions?: RouterSubscriptionOptions;
  /**
   * The kv identity publishes its principal directory in (not started or stopped here): every
   * request and every open socket is checked against it (principalGuard.ts). Without it,
   * credentials are checked by signature only.
   */
  principals?: KeyValues;
  /** Most distinct operation names with their own metrics label; later ones share `__other__`. Default 200. */
  metricsMaxOperations?: number;
  /** Rate limits and bans (rateLimit/, the kit's limits/): off without it. */
  rateLimit?: RouterRateLimitOptions;
  /**
   * Proxies in front of the router that append to `X-Forwarded-For`: the client address signed to
   * subgraphs (and keyed by per-IP limits) is that many entries from the right. Default: the rate
   * limits' setting, else 0 (the socket's peer).
   */
  trustedProxyHops?: number;
}

/** The router's rate limiting: the shared kv (not started or stopped here) and its settings. */
export interface RouterRateLimitOptions {
  /** Shared by every router (Redis in production) so they spend one budget per key. */
  kv: KvStore;
  /** The policies before ADMIN overrides. Default: the kit's DEFAULT_POLICIES. */
  defaults?: readonly LimitPolicy[];
  /** Proxies in front of the router whose `X-Forwarded-For` entry is trusted. Default 0. */
  trustedProxyHops?: number;
  /** Ban thresholds and lengths (the kit's BanRegistry defaults otherwise). */
  bans?: Omit<BanRegistryOptions, 'kv' | 'logger'>;
  /** How often policy overrides are re-read in case an announcement was missed. Default 10000. */
  policyPollMs?: number;
}

/** The graphql-ws server's limits (DEFAULT_SUBSCRIPTION_LIMITS when unset) and timings. */
export interface RouterSubscriptionOptions extends Partial<SubscriptionLimits> {
  /** Ping interval detecting dead clients and subgraphs. Default 12000. */
  keepAliveMs?: number;
  /** How long an upstream connection without subscriptions stays open. Default 5000. */
  upstreamIdleMs?: number;
}

/** A built router: HTTP on `http`, subscriptions over graphql-ws on the same `/graphql` (`subscriptions`). */
export interface Router {
  /** Loads the supergraph, then listens; resolves to the base URL (`http://127.0.0.1:port`). */
  start(port?: number, host?: string): Promise<string>;
  /** Refuses new requests, drains in-flight ones, stops the gateway (watchers, timers). Safe to call twice. */
  stop(): Promise<void>;
  readonly url: string;
  readonly http: HttpServer;
  readonly gateway: ApolloGateway;
  readonly metrics: ServiceMetrics;
  readonly authenticator: Authenticator;
  /** The graphql-ws server (attached to `http.nodeServer` by `start`). */
  readonly subscriptions: SubscriptionServer;
}

/** The limits when configuration sets none (the same defaults as ROUTER_CONFIG_SPEC). */
export const DEFAULT_LIMITS: RouterLimits = {
  maxBodyBytes: 1_048_576,
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 20,
  maxCost: 5000,
  maxTokens: 5000,
};

/**
 * Builds the router: `@apollo/gateway` behind the router's own request pipeline (pipeline.ts),
 * served by the kit's HttpServer at `/graphql` (POST, and GET for queries), with `/` (an offline
 * landing page), `/healthz`, `/readyz` and `/metrics`. Side-effect free: nothing is read, fetched or opened until `start()`.
 */
export function buildRouter(deps: RouterDeps): Router {
  const { logger } = deps;
  const limits: RouterLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  const metrics = new ServiceMetrics('router', { defaultMetrics: true, maxOperations: deps.metricsMaxOperations });
  const identityUrl = deps.auth.identityUrl.replace(/\/$/, '');
  const identityTimeoutMs = deps.auth.identityTimeoutMs ?? 5000;
  const authLogger = logger.child({ component: 'auth' });
  const principals = deps.principals
    ? new PrincipalGuard({ kv: deps.principals, cacheMs: deps.auth.principalCacheMs ?? 1000, logger: authLogger })
    : undefined;
  const authenticator = createAuthenticator({
    principals,
    jwks: new JwksCache({
      url: `${identityUrl}/.well-known/jwks.json`,
      cacheMs: deps.auth.jwksCacheMs ?? 300_000,
      minRefetchIntervalMs: deps.auth.jwksMinRefetchIntervalMs ?? 10_000,
      timeoutMs: identityTimeoutMs,
      logger: authLogger,
    }),
    apiKeys: new ApiKeyVerifier({
      url: `${identityUrl}/internal/api-keys/verify`,
      signingSecret: deps.signingSecret,
      cacheMs: deps.auth.apiKeyCacheMs ?? 5000,
      timeoutMs: identityTimeoutMs,
      logger: authLogger,
    }),
  });
  const transport = new SubgraphTransport(deps.subgraphTimeoutMs ?? 30_000, deps.inProcessSubgraphs);
  const gateway = new RouterGateway({
    supergraph: deps.supergraph,
    signingSecret: deps.signingSecret,
    logger,
    limits,
    introspection: deps.introspection ?? true,
    transport,
  });
  const pipeline = new Pipeline({ gateway, persistedQueries: new PersistedQueries(), maxCost: limits.maxCost });
  const rateLimiter = deps.rateLimit ? rateLimiterOf(deps.rateLimit, metrics, logger.child({ component: 'rate-limit' })) : undefined;
  // Shared by per-IP limits and the client address signed to subgraphs, on every way in.
  const trustedProxyHops = deps.trustedProxyHops ?? deps.rateLimit?.trustedProxyHops ?? 0;
  const cors = new CorsPolicy(deps.cors ?? { origins: NO_ORIGINS, credentials: false, maxAgeSeconds: 600 });
  const subscriptions = new SubscriptionServer({
    allowOrigin: (origin) => cors.allows(origin),
    gateway,
    authenticator,
    pipeline,
    metrics,
    logger,
    signingSecret: deps.signingSecret,
    dataSource: (name, url) => new SigningDataSource({ name, url, signingSecret: deps.signingSecret, logger: gateway.logger, transport }),
    limits: { ...DEFAULT_SUBSCRIPTION_LIMITS, ...deps.subscriptions },
    maxCost: limits.maxCost,
    maxPayloadBytes: limits.maxBodyBytes,
    keepAliveMs: deps.subscriptions?.keepAliveMs,
    upstreamIdleMs: deps.subscriptions?.upstreamIdleMs,
    principals,
    principalRecheckMs: deps.auth.principalRecheckMs,
    rateLimiter,
    trustedProxyHops,
  });
  const routerMetrics = new RouterMetrics(metrics);
  // Subscriptions over HTTP (SSE, multipart) run on the graphql-ws server's machinery: same caps, quotas and re-checks.
  const streams = new StreamHandler({
    authenticator,
    opener: subscriptions,
    metrics: routerMetrics,
    keepAliveMs: deps.subscriptions?.keepAliveMs,
    trustedProxyHops,
  });
  const graphql = graphqlHandler({
    authenticator,
    pipeline,
    metrics: routerMetrics,
    logger,
    streams,
    rateLimiter,
    trustedProxyHops,
  });

  // File bytes (uploads, downloads) stream through to the file subgraph, ahead of the buffering routes.
  const files = new FileRoutes({
    signingSecret: deps.signingSecret,
    logger: logger.child({ component: 'files' }),
    fileBase: () =>
      gateway
        .subgraphs()
        .find((s) => s.name === 'file')
        ?.url.replace(/\/graphql$/, ''),
  });
  const routes: Route[] = [
    { method: 'POST', path: '/graphql', handler: graphql },
    { method: 'GET', path: '/graphql', handler: graphql },
    { method: 'PUT', path: '/graphql', handler: refuseSingleConnectionMode },
    { method: 'DELETE', path: '/graphql', handler: refuseSingleConnectionMode },
    { method: 'GET', path: '/', handler: (_req, res) => sendLandingPage(res) },
    ...probeRoutes({
      service: 'router',
      failedChecks: async () => (gateway.hasSchema() ? await unreadySubgraphs(gateway.subgraphs(), 2000) : ['supergraph']),
      draining: () => http.draining,
      metrics,
    }),
  ];
  const http = new HttpServer({
    logger,
    routes,
    maxBodyBytes: limits.maxBodyBytes,
    drainTimeoutMs: deps.drainTimeoutMs,
    // CORS headers on every answer, preflights answered here (cors.ts); refusals before a route
    // answers (413, shutting down) in the media type the client asked for, as the router's own are.
    intercept: (req, res) => cors.handle(req, res) || files.handle(req, res),
    refuse: sendEarlyRefusal,
  });

  let started: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  return {
    http,
    gateway: gateway.gateway,
    metrics,
    authenticator,
    subscriptions,
    get url() {
      return http.url;
    },
    async start(port = 0, host = '127.0.0.1') {
      if (stopping) throw new Error('router was stopped');
      started ??= (async () => {
        await gateway.load();
        await rateLimiter?.options.policies.start();
        await rateLimiter?.options.bans.start();
      })();
      await started;
      const url = await http.listen(port, host);
      if (http.nodeServer) {
        subscriptions.attach(http.nodeServer);
      }
      logger.info({ url }, 'router listening');
      return url;
    },
    stop() {
      stopping ??= (async () => {
        // Subscriptions end (and their sockets close with 1001) while HTTP drains: the HTTP
        // server's close waits for every socket, upgraded ones included.
        // File bytes first: the HTTP server does not count them and would cut them when it closes.
        await files.drain(deps.drainTimeoutMs);
        await Promise.all([subscriptions.close(), http.stop()]);
        await gateway.stop();
        await rateLimiter?.options.policies.stop();
        await rateLimiter?.options.bans.stop();
        transport.close();
        logger.info('router stopped');
      })();
      return stopping;
    },
  };
}

function rateLimiterOf(options: RouterRateLimitOptions, metrics: ServiceMetrics, logger: Logger): RouterRateLimiter {
  const { kv } = options;
  return new RouterRateLimiter({
    kv,
    policies: new PolicyDirectory({ kv, logger, defaults: options.defaults, pollMs: options.policyPollMs }),
    bans: new BanRegistry({ kv, logger, ...options.bans }),
    metrics: new RateLimitMetrics(metrics),
    logger,
  });
}
