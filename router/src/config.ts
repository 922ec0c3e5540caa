import { bool, ConfigError, int, loadConfig, oneOf, optional, port, str, url, type ConfigOf, type VarSpec } from '@chatgraph/kit';
import { kvStoreConfigSpec } from '@chatgraph/kit/kv';
import { DEVELOPMENT_ORIGINS, NO_ORIGINS, parseOriginEntry, type CorsOptions } from './cors';

/** One subgraph the router composes from in composed mode. */
export interface SubgraphEndpoint {
  name: string;
  /** The subgraph's GraphQL endpoint, e.g. `http://127.0.0.1:4001/graphql`. */
  url: string;
}

/** Parses `name=url,name=url` into endpoints; names are unique GraphQL-style identifiers. */
export function parseSubgraphList(raw: string): SubgraphEndpoint[] {
  const seen = new Set<string>();
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const eq = part.indexOf('=');
      const name = part.slice(0, eq).trim();
      const address = part.slice(eq + 1).trim();
      if (eq <= 0 || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(name))
        throw new Error(`entry "${part}" must look like name=http://host:port/graphql`);
      try {
        new URL(address);
      } catch {
        throw new Error(`entry "${part}" has no absolute URL`);
      }
      if (seen.has(name)) throw new Error(`subgraph "${name}" is listed twice`);
      seen.add(name);
      return { name, url: address };
    });
}

const subgraphList: VarSpec<SubgraphEndpoint[] | undefined> = {
  description:
    'Composed mode: `name=url,name=url` of running subgraphs; the router composes the supergraph from their `_service { sdl }` at start. When unset, the router serves SUPERGRAPH_PATH.',
  default: undefined,
  defaultLabel: '(unset: file mode)',
  parse: parseSubgraphList,
};

/** Parses `origin,origin` (exact origins or `*` patterns) for CORS_ORIGINS; each entry is checked. */
export function parseOriginList(raw: string): string[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map(parseOriginEntry);
}

const originList: VarSpec<string[] | undefined> = {
  description:
    'Browser origins allowed to call the router and open sockets to it (CORS, and the `Origin` check of WebSocket upgrades): `scheme://host[:port]`, comma-separated, `*` for any subdomain or port (`https://*.example.com,http://localhost:*`).',
  default: undefined,
  defaultLabel: '(unset: any port of localhost/127.0.0.1 in development and test, none in production)',
  parse: parseOriginList,
};

/**
 * Every environment variable the router reads. `describeConfig(ROUTER_CONFIG_SPEC)` renders the
 * README table, so the documentation cannot drift from the parser.
 */
export const ROUTER_CONFIG_SPEC = {
  ROUTER_PORT: port({ description: 'Port the router listens on.', default: 4000 }),
  ROUTER_HOST: str({ description: 'Interface the router binds to.', default: '127.0.0.1' }),
  INTERNAL_SIGNING_SECRET: str({
    description: 'HMAC secret shared with every subgraph to sign forwarded principals (at least 32 characters).',
    minLength: 32,
  }),
  IDENTITY_URL: url({
    description: 'Base URL of the identity service (JWKS at `/.well-known/jwks.json`, API-key verification).',
    default: 'http://127.0.0.1:4001',
  }),
  SUBGRAPH_URLS: subgraphList,
  SUPERGRAPH_PATH: str({
    description: 'File mode: the composed supergraph SDL, watched and hot-reloaded when it changes.',
    default: 'schema/supergraph.graphql',
  }),
  SUPERGRAPH_POLL_MS: int({
    description: 'File mode: how often the supergraph file is checked when file-system events are missed.',
    default: 2000,
    min: 50,
  }),
  MAX_BODY_BYTES: int({
    description: 'Largest request body accepted; larger ones get PAYLOAD_TOO_LARGE (413).',
    default: 1_048_576,
    min: 1024,
  }),
  MAX_DEPTH: int({ description: 'Deepest selection nesting allowed in an operation (fragments followed).', default: 12, min: 1 }),
  MAX_ALIASES: int({ description: 'Most aliased fields allowed in an operation (fragments expanded).', default: 30, min: 0 }),
  MAX_ROOT_FIELDS: int({ description: 'Most root fields allowed in an operation.', default: 20, min: 1 }),
  MAX_COST: int({
    description:
      'Highest static cost allowed in an operation: each field costs 1, a list or connection field multiplies its selection by its `first`/`last`/`limit` argument (50 when a field taking one gets none, 10 for a list without one).',
    default: 5000,
    min: 1,
  }),
  MAX_TOKENS: int({
    description:
      'Most lexical tokens (and, separately, comments) in a document; the parser stops at one more and the request gets BAD_USER_INPUT (400). Brackets may nest at most 256 deep.',
    default: 5000,
    min: 100,
  }),
  SUBSCRIPTIONS_PER_CONNECTION: int({
    description: 'Most subscriptions open at once on one graphql-ws connection; more are refused with RATE_LIMITED.',
    default: 100,
    min: 1,
  }),
  SUBSCRIPTION_QUEUE_LIMIT: int({
    description:
      'Most events waiting to be sent to one client subscription; one more ends it with SLOW_CONSUMER (the client resubscribes from the last event it received).',
    default: 1000,
    min: 1,
  }),
  SUBSCRIPTION_INIT_TIMEOUT_MS: int({
    description: 'How long a graphql-ws socket may take to send `connection_init` before it is closed (4408).',
    default: 5000,
    min: 100,
  }),
  SUBSCRIPTION_UPSTREAM_HISTORY: int({
    description:
      'Most events a shared upstream subscription keeps to replay to late joiners (capped by SUBSCRIPTION_QUEUE_LIMIT); past it, identical subscriptions open their own upstream.',
    default: 1000,
    min: 0,
  }),
  METRICS_MAX_OPERATIONS: int({
    description:
      'Most distinct operation names labelled on their own in `/metrics` (the first ones seen); later names share the `__other__` label, nameless operations `anonymous`.',
    default: 200,
    min: 1,
  }),
  SUBSCRIPTION_SOCKETS_PER_USER: int({
    description:
      'Most graphql-ws sockets and HTTP subscription streams (SSE, multipart) one user (all their tokens and API keys) may have open; more sockets are closed with 4429, more streams refused with RATE_LIMITED.',
    default: 20,
    min: 1,
  }),
  SUBSCRIPTION_SOCKETS_PER_IP: int({
    description:
      'Most graphql-ws sockets and HTTP subscription streams open from one IP address, authenticated or not; more sockets are closed with 4429, more streams refused with RATE_LIMITED.',
    default: 100,
    min: 1,
  }),
  SUBSCRIPTIONS_PER_USER: int({
    description:
      'Most subscriptions one user may have open over all their sockets and HTTP streams, on every router sharing the kv (counted with 30 s leases, so the subscriptions of a killed router stop counting within a minute); more are refused with RATE_LIMITED. Across routers it is the default of the rate-limit policy `subscriptions-per-user`, which an ADMIN may change at run time.',
    default: 200,
    min: 1,
  }),
  SUBSCRIPTIONS_PER_IP: int({
    description: 'Most subscriptions open from one IP address; more are refused with RATE_LIMITED.',
    default: 500,
    min: 1,
  }),
  SUBSCRIPTION_QUEUE_BUDGET_BYTES: int({
    description:
      'Bytes of events waiting to be sent, over every client subscription together; past it, the clients with the most waiting are ended with SLOW_CONSUMER.',
    default: 64 * 1024 * 1024,
    min: 1024,
  }),
  API_KEY_CACHE_MS: int({
    description: 'How long an API-key verification (valid or refused) is cached; a revocation takes effect within this time.',
    default: 5000,
    min: 0,
  }),
  ...kvStoreConfigSpec,
  PRINCIPAL_CACHE_MS: int({
    description:
      "How long a read of identity's principal directory (in the kv: account status and role, logged-out sessions, revoked API keys) is reused; a logout, revocation, role change, disable or delete reaches this router within about this time. Enforced only when the kv is shared with identity (KV_STORE=redis, or the embedded launcher).",
    default: 1000,
    min: 0,
  }),
  PRINCIPAL_RECHECK_MS: int({
    description:
      'How often the principal of every open graphql-ws socket and HTTP subscription stream is checked against the directory; a socket whose principal no longer stands is closed (4403), a stream ended with UNAUTHENTICATED.',
    default: 2000,
    min: 100,
  }),
  RATE_LIMITS: bool({
    description:
      'Enforce rate limits and bans before any subgraph is called (GCRA in the kv: share it, KV_STORE=redis, so every router spends one budget). Policies: the router README; ADMIN overrides them at run time. Every `/graphql` answer then carries `RateLimit-Policy` and `RateLimit` headers.',
    default: true,
  }),
  TRUSTED_PROXY_HOPS: int({
    description:
      'Proxies in front of the router that append the client address to `X-Forwarded-For`: per-IP limits key on the entry this many from the right, and it is the client address signed to subgraphs (`x-chatgraph-client`, e.g. for new sign-in notices). 0 trusts no header (the socket address is used).',
    default: 0,
    min: 0,
    max: 10,
  }),
  BAN_THRESHOLD: int({
    description:
      'Violation score (1 per rate-limit refusal or forged token, 5 per over-limit operation, within 10 minutes) at which a principal (user, API key or anonymous IP) is banned.',
    default: 50,
    min: 1,
  }),
  BAN_BASE_SECONDS: int({
    description: 'Length of a first ban; each further ban of the same principal within 7 days doubles it (at most 24 hours).',
    default: 60,
    min: 1,
  }),
  JWKS_CACHE_MS: int({
    description: "How long identity's public keys are cached before they are fetched again.",
    default: 300_000,
    min: 1000,
  }),
  CORS_ORIGINS: originList,
  CORS_CREDENTIALS: bool({
    description:
      'Answer allowed origins with `Access-Control-Allow-Credentials: true` (only needed for cookies; bearer tokens and API keys work without it).',
    default: false,
  }),
  CORS_MAX_AGE_SECONDS: int({
    description: 'How long a browser may cache a preflight answer (`Access-Control-Max-Age`).',
    default: 600,
    min: 0,
    max: 86_400,
  }),
  INTROSPECTION: optional(bool({ description: 'Allow introspection queries.', defaultLabel: 'on unless NODE_ENV=production' })),
  NODE_ENV: oneOf(['development', 'test', 'production'] as const, {
    description: 'Runtime environment; `production` turns introspection off.',
    default: 'development',
  }),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
    description: 'Log level (pino).',
    default: 'info',
  }),
};

export type RouterConfig = ConfigOf<typeof ROUTER_CONFIG_SPEC>;

/** Reads and validates the router's configuration; throws a ConfigError naming every bad variable. */
export function loadRouterConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): RouterConfig {
  const config = loadConfig(ROUTER_CONFIG_SPEC, env);
  if (config.KV_STORE === 'redis' && !config.REDIS_URL) throw new ConfigError(['REDIS_URL is required when KV_STORE=redis']);
  return config;
}

/** CORS_ORIGINS when set; otherwise localhost origins except in production, where nobody is allowed until it is set. */
export function corsOptions(
  config: Pick<RouterConfig, 'CORS_ORIGINS' | 'CORS_CREDENTIALS' | 'CORS_MAX_AGE_SECONDS' | 'NODE_ENV'>,
): CorsOptions {
  const origins = config.CORS_ORIGINS ?? (config.NODE_ENV === 'production' ? NO_ORIGINS : DEVELOPMENT_ORIGINS);
  return { origins, credentials: config.CORS_CREDENTIALS, maxAgeSeconds: config.CORS_MAX_AGE_SECONDS };
}

/** Introspection is on by default except in production, where INTROSPECTION can still turn it on. */
export function introspectionEnabled(config: Pick<RouterConfig, 'INTROSPECTION' | 'NODE_ENV'>): boolean {
  return config.INTROSPECTION ?? config.NODE_ENV !== 'production';
}
