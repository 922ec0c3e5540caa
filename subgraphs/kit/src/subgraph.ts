import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { RequestContext } from './context';
import { errorLoggingPlugin, formatError } from './errorMasking';
import {
  graphQLErrorResult,
  HttpServer,
  runGraphQL,
  sendGraphQLError,
  sendResult,
  type GraphQLHttpResult,
  type HttpServerOptions,
  type HttpRequest,
  type Route,
} from './http';
import { LoaderRegistry } from './loaders';
import type { Logger } from './logger';
import { ServiceMetrics } from './metrics';
import type { Principal } from './principal';
import { probeRoutes } from './probeRoutes';
import { NonceRegistry } from './nonces';
import { DEFAULT_MAX_SKEW_MS, REQUEST_ID_HEADER, SignatureError, verifySignedRequest, type VerifiedRequest } from './signing';
import { attachSubscriptionServer, type SubscriptionServer } from './subscriptions';

export interface ReadinessCheck {
  name: string;
  /** Throws (or rejects) when the dependency cannot serve. */
  check(): Promise<void>;
}

/** A handler of a route only the router may call, given the principal of the verified request. */
export type SignedRouteHandler = (req: HttpRequest, res: import('node:http').ServerResponse, principal: Principal) => Promise<void> | void;

/**
 * How long one readiness check may take before it counts as failed: a probe must answer in
 * seconds (the router gives a subgraph's `/readyz` 2 s), and a dependency that does not answer
 * within this is not ready, whatever it answers later.
 */
export const READINESS_CHECK_TIMEOUT_MS = 1500;

/** The names of the checks that fail now (or do not answer within `timeoutMs`), all run at once. */
export async function failedChecks(checks: readonly ReadinessCheck[], timeoutMs = READINESS_CHECK_TIMEOUT_MS): Promise<string[]> {
  const failed: string[] = [];
  await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${c.name} did not answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([c.check(), late]);
      } catch {
        failed.push(c.name);
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return failed;
}

export interface SubgraphOptions<TContext extends RequestContext> {
  name: string;
  typeDefs: string | DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  logger: Logger;
  /** HMAC secret shared with the router (see signing.ts). */
  signingSecret: string;
  /** Allowed clock skew for signed requests, either way (default 5 s: router and subgraphs run NTP-synced clocks). */
  maxSkewMs?: number;
  /** Adds the service's own dependencies to the base request context. */
  context(base: RequestContext): TContext | Promise<TContext>;
  /** Extra routes anyone may call (e.g. identity's JWKS). */
  publicRoutes?: Route[];
  /** Extra routes only the router may call: the signature is verified and the principal passed. */
  signedRoutes?: Array<Omit<Route, 'handler'> & { handler: SignedRouteHandler }>;
  readiness?: ReadinessCheck[];
  /**
   * Runs before routing on every request, true when it answered the request itself: routes whose
   * body must stream instead of being buffered up to `maxBodyBytes` (file uploads). It verifies
   * its own signature (`verifyStreamedRequest`).
   */
  intercept?: HttpServerOptions['intercept'];
  maxBodyBytes?: number;
  drainTimeoutMs?: number;
  /** graphql-ws ping interval when the schema has subscriptions (default 12 s). */
  subscriptionKeepAliveMs?: number;
}

export interface Subgraph {
  readonly name: string;
  readonly schema: GraphQLSchema;
  readonly metrics: ServiceMetrics;
  /** Starts Apollo and listens; resolves to the base URL (`http://127.0.0.1:port`). */
  start(port?: number, host?: string): Promise<string>;
  /**
   * Ends subscriptions (sockets closed with 1001), refuses new requests, drains in-flight ones,
   * stops Apollo. Adapters are closed by the caller after.
   */
  stop(): Promise<void>;
  readonly url: string;
  /** Open graphql-ws sockets (0 when the schema has no subscriptions). */
  readonly subscriptionConnections: number;
  /**
   * Serves one `POST /graphql` from the same process (the embedded router), without a socket: the
   * same body limit, signature check, context and Apollo execution as over HTTP. Rejects with
   * `NotServingError` when the subgraph is not listening, as a connection would be refused.
   */
  serveInProcess(headers: Readonly<Record<string, string>>, body: string): Promise<InProcessReply>;
}

/** What `serveInProcess` answers: the status and body `/graphql` would have sent. */
export interface InProcessReply {
  status: number;
  body: string;
}

/**
 * Builds one federated subgraph: Apollo Server 5 over `buildSubgraphSchema` (Federation 2),
 * served on `/graphql` next to `/healthz`, `/readyz` and `/metrics`. Every GraphQL request must
 * carry the router's signature — including `_service` and `_entities` — or it is refused with
 * UNAUTHENTICATED before Apollo sees it. When the schema has a `Subscription` type, `/graphql` also
 * accepts graphql-ws upgrades from the router (see subscriptions.ts). Building connects and
 * listens to nothing.
 */
export function createSubgraph<TContext extends RequestContext>(options: SubgraphOptions<TContext>): Subgraph {
  const { name, logger, signingSecret } = options;
  const maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  // One registry for every way in (HTTP, in process, signed routes, graphql-ws): a request signed for one cannot be replayed on another.
  const nonces = new NonceRegistry(maxSkewMs);
  const typeDefs = typeof options.typeDefs === 'string' ? parse(options.typeDefs) : options.typeDefs;
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }]);
  const metrics = new ServiceMetrics(name);
  const apollo = new ApolloServer<TContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    // Only the router reaches a subgraph; it composes from `_service`, not introspection.
    introspection: false,
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      metrics.plugin(),
      errorLoggingPlugin() as never,
    ],
  });

  const authenticate = (req: HttpRequest): VerifiedRequest =>
    verifySignedRequest(signingSecret, req.headers, req.body, { maxSkewMs, nonces });

  const refuse = (res: import('node:http').ServerResponse, err: unknown, req: HttpRequest): void => {
    if (err instanceof SignatureError) {
      logger.warn({ reason: err.reason, path: req.path, remote: req.raw.socket.remoteAddress }, 'refused unsigned or invalid request');
      sendGraphQLError(res, 'UNAUTHENTICATED', 'Request must come through the router');
      return;
    }
    throw err;
  };

  /** The handler with the router's signature checked first: unsigned or invalid requests are refused. */
  const verified =
    (
      handler: (req: HttpRequest, res: import('node:http').ServerResponse, request: VerifiedRequest) => Promise<void> | void,
    ): Route['handler'] =>
    async (req, res) => {
      let request: VerifiedRequest;
      try {
        request = authenticate(req);
      } catch (err) {
        refuse(res, err, req);
        return;
      }
      await handler(req, res, request);
    };
  const signed = (handler: SignedRouteHandler): Route['handler'] => verified((req, res, request) => handler(req, res, request.principal));

  /** `/graphql` once the signature is verified, over HTTP or in process. */
  const serveGraphQL = (
    { principal, client }: VerifiedRequest,
    headers: Readonly<Record<string, string | string[] | undefined>>,
    search: string,
    body: Buffer | string,
  ): Promise<GraphQLHttpResult> => {
    const header = headers[REQUEST_ID_HEADER];
    const requestId = (typeof header === 'string' && header.length <= 128 ? header : undefined) ?? randomUUID();
    const base: RequestContext = { principal, requestId, log: logger.child({ requestId }), loaders: new LoaderRegistry(), client };
    return runGraphQL(apollo, { method: 'POST', headers, search, body }, async () => options.context(base));
  };

  const graphqlRoute: Route = {
    method: 'POST',
    path: '/graphql',
    handler: verified(async (req, res, request) => sendResult(res, await serveGraphQL(request, req.headers, req.search, req.body))),
  };

  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const serveInProcess = async (headers: Readonly<Record<string, string>>, body: string): Promise<GraphQLHttpResult> => {
    if (Buffer.byteLength(body) > maxBodyBytes)
      return graphQLErrorResult('PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBodyBytes} bytes`);
    let request: VerifiedRequest;
    try {
      request = verifySignedRequest(signingSecret, headers, body, { maxSkewMs, nonces });
    } catch (err) {
      if (!(err instanceof SignatureError)) throw err;
      logger.warn({ reason: err.reason, path: '/graphql', remote: 'in-process' }, 'refused unsigned or invalid request');
      return graphQLErrorResult('UNAUTHENTICATED', 'Request must come through the router');
    }
    return serveGraphQL(request, headers, '', body);
  };

  const checks = options.readiness ?? [];
  const routes: Route[] = [
    graphqlRoute,
    ...probeRoutes({ service: name, failedChecks: () => failedChecks(checks), draining: () => http.draining, metrics }),
    ...(options.publicRoutes ?? []),
    ...(options.signedRoutes ?? []).map((route): Route => ({ method: route.method, path: route.path, handler: signed(route.handler) })),
  ];
  const http = new HttpServer({ logger, routes, maxBodyBytes, drainTimeoutMs: options.drainTimeoutMs, intercept: options.intercept });
  let started = false;
  let subscriptions: SubscriptionServer | undefined;

  return {
    name,
    schema,
    metrics,
    get url() {
      return http.url;
    },
    get subscriptionConnections() {
      return subscriptions?.connections ?? 0;
    },
    async serveInProcess(headers, body) {
      const { status, body: text } = await http.serveInProcess(() => serveInProcess(headers, body));
      return { status, body: text };
    },
    async start(port = 0, host = '127.0.0.1') {
      if (!started) {
        await apollo.start();
        started = true;
      }
      const url = await http.listen(port, host);
      const server = http.nodeServer;
      if (schema.getSubscriptionType() && server) {
        subscriptions = attachSubscriptionServer({
          server,
          path: '/graphql',
          schema,
          logger,
          signingSecret,
          maxSkewMs,
          nonces,
          maxPayloadBytes: maxBodyBytes,
          context: options.context,
          keepAliveMs: options.subscriptionKeepAliveMs,
        });
      }
      logger.info({ url }, `${name} subgraph listening`);
      return url;
    },
    async stop() {
      await subscriptions?.close();
      await http.stop();
      if (started) {
        started = false;
        await apollo.stop();
      }
    },
  };
}
