import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { GraphQLError, type ExecutionArgs, type GraphQLFormattedError } from 'graphql';
import { CloseCode, type ExecutionResult, type FormattedExecutionResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  closeSocket,
  ERROR_CODES,
  HttpError,
  UNKNOWN_CLIENT,
  type ClientInfo,
  type ErrorCode,
  type Logger,
  type Principal,
  type ServiceMetrics,
} from '@chatgraph/kit';
import type { Authenticator } from '../auth';
import { clientInfo } from '../clientInfo';
import { socketAuthorization } from '../credentials';
import { RequestContext } from '../context';
import type { PreparedDocument, PreparedOperation } from '../documents';
import type { RouterGateway, SchemaGeneration } from '../gateway';
import type { GraphQLResponseBody, Pipeline } from '../pipeline';
import type { PrincipalGuard } from '../principalGuard';
import { refusal, type Refusal } from '../refusal';
import { clientAddress, type RouterRateLimiter } from '../rateLimit';
import { admit, type SubscribePayload } from './admission';
import { ClientSubscription } from './clientSubscription';
import { formatSubscriptionErrors, refusedErrors, SUBSCRIPTION_CLOSE_CODES, subscriptionEnd } from './errors';
import { hydrateEvent } from './hydration';
import { HttpSubscriptionStream, type StreamCaller, type StreamOpening } from './httpStream';
import { SubscriptionMetrics } from './metrics';
import { SubscriptionPlanner, type DataSourceFactory, type SubscriptionPlan } from './planner';
import { startPrincipalRecheck, type RecheckTarget } from './principalRecheck';
import { QueueBudget } from './queueBudget';
import { KeyedCounts } from './quotas';
import { SharedUpstreams } from './sharedUpstreams';
import { UpstreamConnections } from './upstreamConnections';

/** Limits of the graphql-ws server (see ROUTER_CONFIG_SPEC for their variables). */
export interface SubscriptionLimits {
  /** Most subscriptions open at once on one connection; more are refused with RATE_LIMITED. */
  maxSubscriptionsPerConnection: number;
  /** Most events waiting to be sent to one client subscription; one more ends it with SLOW_CONSUMER. */
  queueLimit: number;
  /** How long a socket may take to send `connection_init` before it is closed (4408). */
  connectionInitTimeoutMs: number;
  /** Most events a shared upstream keeps for late joiners; past it, it is not shared any more. */
  maxUpstreamHistory: number;
  /** Most sockets one user (any of their tokens and API keys) has open; more are closed with 4429. */
  maxSocketsPerUser: number;
  /** Most sockets open from one IP address (authenticated or not); more are closed with 4429. */
  maxSocketsPerIp: number;
  /** Most subscriptions one user has open over all their sockets; more are refused with RATE_LIMITED. */
  maxSubscriptionsPerUser: number;
  /** Most subscriptions open from one IP address; more are refused with RATE_LIMITED. */
  maxSubscriptionsPerIp: number;
  /** Bytes of events waiting in every client's queue together; over it, the slowest clients end with SLOW_CONSUMER. */
  queueBudgetBytes: number;
}

/** The defaults when configuration sets none (the same as ROUTER_CONFIG_SPEC). */
export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = {
  maxSubscriptionsPerConnection: 100,
  queueLimit: 1000,
  connectionInitTimeoutMs: 5000,
  maxUpstreamHistory: 1000,
  maxSocketsPerUser: 20,
  maxSocketsPerIp: 100,
  maxSubscriptionsPerUser: 200,
  maxSubscriptionsPerIp: 500,
  queueBudgetBytes: 64 * 1024 * 1024,
};

export interface SubscriptionServerOptions {
  gateway: RouterGateway;
  authenticator: Authenticator;
  /** Runs queries and mutations sent over the socket, exactly as over HTTP. */
  pipeline: Pipeline;
  metrics: ServiceMetrics;
  logger: Logger;
  signingSecret: string;
  /** The router's signing data source of a subgraph (for the `_entities` fetches of each event). */
  dataSource: DataSourceFactory;
  limits: SubscriptionLimits;
  maxCost: number;
  /** Largest graphql-ws message accepted from a client. */
  maxPayloadBytes: number;
  /** Ping interval detecting dead clients and subgraphs. Default 12000. */
  keepAliveMs?: number;
  /** How long an upstream connection without subscriptions stays open. Default 5000. */
  upstreamIdleMs?: number;
  /** Longest a stop waits for the shutdown errors to be written before closing sockets. Default 1000. */
  shutdownGraceMs?: number;
  /** Open sockets' principals are re-checked against it (principalRecheck.ts). */
  principals?: PrincipalGuard;
  /** How often. Default 2000. */
  principalRecheckMs?: number;
  /** The CORS origin list: an upgrade carrying an `Origin` it refuses is answered 403. Default: any. */
  allowOrigin?: (origin: string) => boolean;
  /** Rate limits (rateLimit/): queries and mutations over the socket spend the same budgets as over HTTP; each subscribe is counted. */
  rateLimiter?: RouterRateLimiter;
  /** Proxies in front of the router whose `X-Forwarded-For` entry names the client signed to subgraphs. Default 0. */
  trustedProxyHops?: number;
}

/** The legacy subscriptions-transport-ws subprotocol (not graphql-ws's own, despite the name). */
const LEGACY_SUBPROTOCOL = 'graphql-ws';
const LEGACY_REFUSAL = 'subscriptions-transport-ws is not served: use a graphql-ws client (graphql-transport-ws) on this URL';

/** One client graphql-ws connection, once authenticated. */
interface Connection {
  readonly principal: Principal;
  /** The client's address, and its user (none when anonymous): what the per-IP and per-user caps count. */
  readonly ip: string;
  readonly user: string | undefined;
  /** The end client from the upgrade request (user agent, address), signed to subgraphs with the socket's queries and mutations. */
  readonly client: ClientInfo;
  readonly subscriptions: Set<ClientSubscription>;
  /** Operations started and not yet completed, by graphql-ws id, with their request context (a stop waits for them). */
  readonly running: Map<string, RequestContext>;
  expiry: NodeJS.Timeout | undefined;
  /** The rate limits' headers of the last operation decided on it (an HTTP stream's answer carries them). */
  limitHeaders?: Record<string, string>;
}

type Extra = { connection: Connection };

/** What an admitted operation carries from `onSubscribe` to graphql-ws's `subscribe`/`execute`. */
type Operation =
  | { kind: 'subscription'; context: RequestContext; start(): ClientSubscription }
  | { kind: 'result'; context: RequestContext; body: GraphQLResponseBody };

/** setTimeout's largest delay (24.8 days); access tokens live minutes, so it never cuts one short in practice. */
const MAX_TIMER_MS = 2_147_483_647;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The `exp` (ms) of a bearer JWT the authenticator already verified; undefined for API keys. */
function jwtExpiry(authorization: string): number | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization.trim())?.[1];
  const payload = token?.split('.')[1];
  if (!payload || token?.startsWith('cgk_')) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function operationOf(args: ExecutionArgs): Operation {
  return args.contextValue as Operation;
}

/**
 * Federated subscriptions over graphql-ws (`graphql-transport-ws`) on the router's `/graphql`,
 * the way Apollo Router and Hive Gateway serve them: the client authenticates in
 * `connection_init`; each subscription is checked like an HTTP request, planned with the
 * federation query planner, subscribed at the owning subgraph over graphql-ws (signed, shared by
 * identical subscriptions of one principal), and every event is completed with the rest of the
 * plan (`_entities` fetches, signed) by `@apollo/gateway`'s `executeQueryPlan`.
 */
export class SubscriptionServer {
  private readonly wss: WebSocketServer;
  /** Accepts legacy subscriptions-transport-ws upgrades only to close them with a reason. */
  private legacy: WebSocketServer | undefined;
  private readonly connections: UpstreamConnections;
  private readonly upstreams: SharedUpstreams;
  private readonly metrics: SubscriptionMetrics;
  private readonly active = new Set<ClientSubscription>();
  private readonly planners = new WeakMap<SchemaGeneration, SubscriptionPlanner>();
  /** HTTP streams (SSE, multipart) open now: each is a connection with one operation, ended by `end`. */
  private readonly httpStreams = new Map<Connection, (error: GraphQLError) => void>();
  /** Connections by socket, for a stop to see which still have operations running. */
  private readonly socketConnections = new WeakMap<WebSocket, Connection>();
  /** Each socket's client address, from its upgrade request. */
  private readonly socketAddresses = new WeakMap<WebSocket, string>();
  private readonly socketClients = new WeakMap<WebSocket, ClientInfo>();
  private readonly socketsByIp = new KeyedCounts();
  private readonly socketsByUser = new KeyedCounts();
  private readonly subscriptionsByIp = new KeyedCounts();
  private readonly subscriptionsByUser = new KeyedCounts();
  private readonly budget: QueueBudget;
  private readonly log: Logger;
  private server: Server | undefined;
  private closing: Promise<void> | undefined;
  private disposable: { dispose(): Promise<void> | void } | undefined;
  private readonly stopListening: () => void;
  private stopRecheck: (() => void) | undefined;

  constructor(private readonly options: SubscriptionServerOptions) {
    this.log = options.logger.child({ component: 'subscriptions' });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
    this.connections = new UpstreamConnections({
      signingSecret: options.signingSecret,
      logger: this.log,
      idleMs: options.upstreamIdleMs ?? 5000,
      keepAliveMs: options.keepAliveMs,
    });
    // A late joiner's replay goes through its queue: a history longer than the queue would overflow it.
    this.upstreams = new SharedUpstreams({
      connections: this.connections,
      maxHistory: Math.min(options.limits.maxUpstreamHistory, options.limits.queueLimit),
    });
    this.budget = new QueueBudget(options.limits.queueBudgetBytes);
    this.metrics = new SubscriptionMetrics(options.metrics, {
      clientSubscriptions: () => this.active.size,
      upstreamSubscriptions: () => this.upstreams.size,
      connections: () => this.wss.clients.size + this.httpStreams.size,
      queuedBytes: () => this.budget.bytes,
    });
    // Plans, and the subgraphs' URLs, belong to one supergraph: a reload ends every subscription.
    this.stopListening = options.gateway.onGeneration((generation) => {
      this.endAll(subscriptionEnd('SUBSCRIPTION_SCHEMA_RELOAD', 'The graph was updated; subscribe again'));
      // The planner costs ~0.2 s of CPU: built with the generation, not in the first subscriber's
      // way (issue 10: a user's first answer under load). If it fails, the first subscribe reports it.
      try {
        this.plannerOf(generation);
      } catch {
        // Nothing cached: the first subscribe builds it again and reports the failure.
      }
    });
  }

  /** Client subscriptions open now. */
  get subscriptions(): number {
    return this.active.size;
  }

  /** Router-to-subgraph subscriptions open now. */
  get upstreamSubscriptions(): number {
    return this.upstreams.size;
  }

  /** Totals of events delivered and slow-consumer closes. */
  get totals(): { delivered: number; slowConsumers: number } {
    return this.metrics.totals;
  }

  /** Accepts graphql-ws upgrades on `server` at `/graphql`. */
  attach(server: Server): void {
    if (this.server) throw new Error('subscription server already attached');
    this.server = server;
    server.on('upgrade', this.onUpgrade);
    const guard = this.options.principals;
    if (guard) {
      const targets = (): RecheckTarget[] => [...this.socketTargets(), ...this.streamTargets()];
      this.stopRecheck = startPrincipalRecheck({ guard, targets, intervalMs: this.options.principalRecheckMs ?? 2000, logger: this.log });
    }
    this.disposable = useServer<Record<string, unknown> | undefined, Extra>(
      {
        connectionInitWaitTimeout: this.options.limits.connectionInitTimeoutMs,
        onConnect: (ctx) => this.connect(ctx.connectionParams, ctx.extra.socket, (connection) => (ctx.extra.connection = connection)),
        onClose: (ctx) => {
          const connection = ctx.extra.connection;
          if (connection?.expiry) clearTimeout(connection.expiry);
        },
        onSubscribe: (ctx, id, payload) =>
          ctx.extra.connection
            ? this.subscribe(ctx.extra.connection, id, payload)
            : refusedErrors(refusal('UNAUTHENTICATED', 'Not initialised').errors),
        subscribe: (args) => {
          const operation = operationOf(args);
          if (operation.kind !== 'subscription') throw new Error('a query reached subscribe');
          return operation.start();
        },
        execute: (args) => {
          const operation = operationOf(args);
          if (operation.kind !== 'result') throw new Error('a subscription reached execute');
          return operation.body as ExecutionResult;
        },
        onNext: (_ctx, _id, _payload, args, result): FormattedExecutionResult | undefined => {
          const operation = operationOf(args);
          if (operation.kind === 'result') return operation.body as FormattedExecutionResult;
          this.metrics.eventDelivered();
          return result.errors
            ? { ...result, errors: this.counted(formatSubscriptionErrors(result.errors, operation.context)) }
            : undefined;
        },
        onError: (ctx, id, _payload, errors) => {
          const connection = ctx.extra.connection;
          // The operation's own context when it ran, so an INTERNAL error is logged with its request id.
          const context =
            connection?.running.get(id) ?? new RequestContext(connection?.principal ?? { kind: 'anonymous' }, randomUUID(), this.log);
          return this.counted(formatSubscriptionErrors(errors, context));
        },
        onComplete: (ctx, id) => {
          ctx.extra.connection?.running.delete(id);
        },
      },
      this.wss,
      this.options.keepAliveMs ?? 12_000,
    );
  }

  /**
   * Ends every subscription with SUBSCRIPTION_SERVER_SHUTDOWN, waits (bounded) for those errors
   * to be written, closes every socket with 1001 and every upstream connection. New upgrades are
   * refused from the start. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopListening();
      this.stopRecheck?.();
      this.server?.off('upgrade', this.onUpgrade);
      this.endAll(subscriptionEnd('SUBSCRIPTION_SERVER_SHUTDOWN', 'The server is shutting down; subscribe again'));
      const grace = Date.now() + (this.options.shutdownGraceMs ?? 1000);
      while (Date.now() < grace && [...this.wss.clients].some((socket) => this.runningOn(socket) > 0)) await delay(10);
      // Legacy sockets were closed at once; one whose client never answers must not hold the stop.
      for (const legacy of this.legacy?.clients ?? []) legacy.terminate();
      await Promise.all([...this.wss.clients].map((socket) => this.closeSocket(socket)));
      await this.disposable?.dispose();
      await this.connections.close();
    })();
    return this.closing;
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (this.closing || path !== '/graphql') {
      socket.end(
        `HTTP/1.1 ${this.closing ? '503 Service Unavailable' : '404 Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
      return;
    }
    // Browsers always send Origin; a page the CORS list refuses may not open sockets either.
    const origin = req.headers.origin;
    if (origin !== undefined && this.options.allowOrigin && !this.options.allowOrigin(origin)) {
      socket.end(
        'HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: 33\r\n\r\nOrigin not allowed (CORS_ORIGINS)',
      );
      return;
    }
    if (isLegacyOnly(req.headers['sec-websocket-protocol'])) {
      // Accepted only to be closed with a reason the legacy client can show (an HTTP refusal reaches it as a bare error).
      // Its own server: graphql-ws's selects no subprotocol for it, and the client would see a failed handshake.
      this.legacy ??= new WebSocketServer({ noServer: true, handleProtocols: () => LEGACY_SUBPROTOCOL });
      this.legacy.handleUpgrade(req, socket, head, (ws) => ws.close(CloseCode.SubprotocolNotAcceptable, LEGACY_REFUSAL));
      return;
    }
    const ip = req.socket.remoteAddress ?? 'unknown';
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const max = this.options.limits.maxSocketsPerIp;
      if (!this.socketsByIp.allows(ip, max)) {
        ws.close(SUBSCRIPTION_CLOSE_CODES.TOO_MANY_CONNECTIONS, `At most ${max} connections from one address`);
        return;
      }
      this.socketsByIp.add(ip);
      this.socketAddresses.set(ws, ip);
      this.socketClients.set(ws, clientInfo(req, clientAddress(req, this.options.trustedProxyHops ?? 0)));
      ws.once('close', () => this.socketsByIp.remove(ip));
      this.wss.emit('connection', ws, req);
    });
  };

  /**
   * Authenticates `connection_init`: no token is anonymous; a bad one (malformed, invalid, expired,
   * revoked) closes with 4401, which graphql-ws clients treat as fatal, so the app hears at once
   * instead of after five backed-off retries with the same token (about 40 s).
   */
  private async connect(
    params: Record<string, unknown> | undefined,
    socket: WebSocket,
    keep: (connection: Connection) => void,
  ): Promise<boolean> {
    if (this.closing) {
      socket.close(SUBSCRIPTION_CLOSE_CODES.GOING_AWAY, 'Server shutting down');
      return false;
    }
    const given = socketAuthorization(params);
    if (given === null) return this.unauthorized(socket, 'Ambiguous or malformed credentials in connection_init');
    let principal: Principal;
    try {
      principal = await this.options.authenticator.authenticate(given);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      if (err.code !== 'UNAVAILABLE') return this.unauthorized(socket, 'Invalid or expired token');
      socket.close(SUBSCRIPTION_CLOSE_CODES.TRY_AGAIN_LATER, 'Authentication unavailable, try again');
      return false;
    }
    // Closed while authenticating: its 'close' has fired, so nothing counted now would be given back.
    if (socket.readyState !== socket.OPEN) return false;
    const user = principal.kind === 'user' ? principal.userId : undefined;
    if (user !== undefined) {
      const max = this.options.limits.maxSocketsPerUser;
      if (!this.socketsByUser.allows(user, max)) {
        socket.close(SUBSCRIPTION_CLOSE_CODES.TOO_MANY_CONNECTIONS, `At most ${max} connections per user`);
        return false;
      }
      this.socketsByUser.add(user);
      socket.once('close', () => this.socketsByUser.remove(user));
    }
    const ip = this.socketAddresses.get(socket) ?? 'unknown';
    const client = this.socketClients.get(socket) ?? UNKNOWN_CLIENT;
    const connection: Connection = { principal, ip, user, client, subscriptions: new Set(), running: new Map(), expiry: undefined };
    const expiresAt = given && principal.kind === 'user' && principal.via === 'jwt' ? jwtExpiry(given) : undefined;
    if (expiresAt !== undefined) {
      // An access token proves the caller until it expires; the socket does not outlive it. 4403 (not
      // 4401) on purpose: graphql-ws retries it, calling a `connectionParams` function again, so a
      // client that refreshes its token there reconnects and resubscribes without the app noticing.
      connection.expiry = setTimeout(
        () => socket.close(SUBSCRIPTION_CLOSE_CODES.FORBIDDEN, 'Access token expired'),
        Math.min(Math.max(0, expiresAt - Date.now()), MAX_TIMER_MS),
      );
      connection.expiry.unref();
    }
    keep(connection);
    this.socketConnections.set(socket, connection);
    return true;
  }

  /**
   * Opens one operation for an HTTP stream (GraphQL over SSE, Apollo's multipart subscriptions).
   * The stream counts as a socket of its user and address (the same caps), then its operation
   * goes through exactly what a graphql-ws `subscribe` message goes through (`subscribe` below):
   * admission, quotas, planning, the shared upstream, hydration, the bounded queue and its memory
   * budget; the principal re-check and the access token's expiry end it as they close a socket.
   * `subscriptionsOnly` (multipart): a query or mutation is left to the JSON path.
   */
  async openStream(caller: StreamCaller, payload: SubscribePayload, subscriptionsOnly: boolean): Promise<StreamOpening> {
    const client = caller.client ?? UNKNOWN_CLIENT;
    const context = new RequestContext(caller.principal, caller.requestId, this.log, client);
    const refused = (errors: readonly GraphQLFormattedError[], status: number): StreamOpening => ({
      kind: 'refused',
      status,
      errors: this.counted([...errors]),
    });
    if (this.closing) return refused(formatSubscriptionErrors([shutdownError()], context), 503);
    const generation = this.options.gateway.generation;
    if (generation) {
      const admission = admit(generation, payload, this.options.maxCost);
      if (admission.kind === 'operation' && subscriptionsOnly) return { kind: 'operation' };
      if (admission.kind === 'operation' && caller.method === 'GET' && admission.operation.operation.operation !== 'query') {
        const notGet = refusal(
          'BAD_USER_INPUT',
          `GET requests only support query operations, not ${admission.operation.operation.operation} operations`,
          {},
          405,
        );
        return refused(notGet.errors, notGet.status);
      }
    }
    const user = caller.principal.kind === 'user' ? caller.principal.userId : undefined;
    const overCap = this.overStreamCap(caller.ip, user);
    if (overCap) return refused(overCap.errors, overCap.status);
    this.socketsByIp.add(caller.ip);
    if (user !== undefined) this.socketsByUser.add(user);
    const connection: Connection = {
      principal: caller.principal,
      ip: caller.ip,
      user,
      client,
      subscriptions: new Set(),
      running: new Map(),
      expiry: undefined,
    };
    const release = (): void => {
      if (!this.httpStreams.delete(connection)) return;
      if (connection.expiry) clearTimeout(connection.expiry);
      this.socketsByIp.remove(caller.ip);
      if (user !== undefined) this.socketsByUser.remove(user);
    };
    // Counted from now: the principal re-check and the connections gauge see it while it is admitted.
    this.httpStreams.set(connection, () => undefined);
    let admitted: ExecutionArgs | readonly GraphQLError[];
    try {
      admitted = await this.subscribe(connection, 'http', payload);
    } catch (err) {
      release();
      throw err;
    }
    const headers = connection.limitHeaders;
    if (isRefusal(admitted)) {
      release();
      const errors = formatSubscriptionErrors(admitted, context);
      return { ...refused(errors, statusOf(errors)), headers };
    }
    const operation = operationOf(admitted);
    if (operation.kind === 'result') {
      release();
      return { kind: 'result', body: operation.body, headers };
    }
    // Started as over graphql-ws: ended at once if the router began stopping, or the graph changed, meanwhile.
    const subscription = operation.start();
    const end = (error: GraphQLError): void => subscription.end(error);
    this.httpStreams.set(connection, end);
    const expiresAt =
      caller.authorization && caller.principal.kind === 'user' && caller.principal.via === 'jwt'
        ? jwtExpiry(caller.authorization)
        : undefined;
    if (expiresAt !== undefined) {
      // As a socket does not outlive its access token: the client subscribes again with a fresh one (and `after`).
      const expired = new GraphQLError('Access token expired; subscribe again with a fresh token', {
        extensions: { code: 'UNAUTHENTICATED' },
      });
      connection.expiry = setTimeout(() => end(expired), Math.min(Math.max(0, expiresAt - Date.now()), MAX_TIMER_MS));
      connection.expiry.unref();
    }
    const stream = new HttpSubscriptionStream({
      iterator: subscription,
      format: (errors) => this.counted(formatSubscriptionErrors(errors, operation.context)),
      delivered: () => this.metrics.eventDelivered(),
      onEnd: release,
    });
    return { kind: 'stream', stream, headers };
  }

  /** The refusal when an HTTP stream would take its user or address past their socket caps. */
  private overStreamCap(ip: string, user: string | undefined): Refusal | undefined {
    const { maxSocketsPerUser, maxSocketsPerIp } = this.options.limits;
    if (!this.socketsByIp.allows(ip, maxSocketsPerIp)) {
      return refusal('RATE_LIMITED', `At most ${maxSocketsPerIp} connections from one address`, {
        limit: 'socketsPerIp',
        max: maxSocketsPerIp,
      });
    }
    if (user !== undefined && !this.socketsByUser.allows(user, maxSocketsPerUser)) {
      return refusal('RATE_LIMITED', `At most ${maxSocketsPerUser} connections per user`, {
        limit: 'socketsPerUser',
        max: maxSocketsPerUser,
      });
    }
    return undefined;
  }

  /** Open graphql-ws sockets, for the principal re-check: a socket whose principal fell is closed with 4403. */
  private socketTargets(): RecheckTarget[] {
    return [...this.wss.clients].flatMap((socket) => {
      const connection = this.socketConnections.get(socket);
      if (!connection) return [];
      return [
        {
          principal: connection.principal,
          open: () => socket.readyState === socket.OPEN,
          end: (reason: string) => socket.close(SUBSCRIPTION_CLOSE_CODES.FORBIDDEN, reason),
        },
      ];
    });
  }

  /** Open HTTP streams, for the principal re-check: a stream whose principal fell ends with UNAUTHENTICATED (or FORBIDDEN when only the role changed). */
  private streamTargets(): RecheckTarget[] {
    return [...this.httpStreams].map(([connection, end]) => ({
      principal: connection.principal,
      open: () => this.httpStreams.has(connection),
      end: (reason: string, revoked: boolean) =>
        end(new GraphQLError(reason, { extensions: { code: revoked ? 'UNAUTHENTICATED' : 'FORBIDDEN' } })),
    }));
  }

  /** Refuses `connection_init` with 4401: retrying the same credentials cannot succeed. */
  private unauthorized(socket: WebSocket, reason: string): false {
    socket.close(SUBSCRIPTION_CLOSE_CODES.UNAUTHORIZED, reason);
    return false;
  }

  private async subscribe(connection: Connection, id: string, payload: SubscribePayload): Promise<ExecutionArgs | readonly GraphQLError[]> {
    if (this.closing) return [subscriptionEnd('SUBSCRIPTION_SERVER_SHUTDOWN', 'The server is shutting down; subscribe again')];
    const generation = this.options.gateway.generation;
    if (!generation) return refusedErrors(refusal('UNAVAILABLE', 'The graph is not loaded yet, try again').errors);
    const context = new RequestContext(connection.principal, randomUUID(), this.log, connection.client);
    const admission = admit(generation, payload, this.options.maxCost);
    if (admission.kind === 'refused') return refusedErrors(admission.errors);
    if (admission.kind === 'operation') {
      const gate = this.options.rateLimiter?.open(connection.principal, connection.ip, 0);
      const outcome = await this.options.pipeline.run(
        {
          query: payload.query,
          operationName: payload.operationName ?? undefined,
          variables: payload.variables ?? undefined,
          extensions: undefined,
        },
        'POST',
        context,
        gate,
      );
      if (gate) connection.limitHeaders = (await gate.finish()).headers;
      // Refused before execution (no data at all): a graphql-ws `error`, as for a refused subscription.
      if (outcome.body.data === undefined)
        return refusedErrors(outcome.body.errors ?? [{ message: 'Refused', extensions: { code: 'BAD_USER_INPUT' } }]);
      return this.admitted(connection, id, generation, admission, { kind: 'result', context, body: outcome.body });
    }
    const { maxSubscriptionsPerConnection } = this.options.limits;
    if (connection.subscriptions.size >= maxSubscriptionsPerConnection) {
      return refusedErrors(
        refusal('RATE_LIMITED', `At most ${maxSubscriptionsPerConnection} subscriptions may be open on one connection`, {
          limit: 'subscriptionsPerConnection',
          max: maxSubscriptionsPerConnection,
        }).errors,
      );
    }
    const overQuota = this.overSubscriptionQuota(connection);
    if (overQuota) return refusedErrors(overQuota.errors);
    const limited = await this.options.rateLimiter?.subscribe(connection.principal, connection.ip);
    connection.limitHeaders = limited ? { ...limited.refusal?.headers, ...limited.headers } : undefined;
    if (limited?.refusal) return refusedErrors(limited.refusal.errors);
    // The per-user cap again, over every router sharing the kv (the local count above is this router's only).
    const { user } = connection;
    const overShared = user !== undefined ? await this.options.rateLimiter?.acquireStream(connection.principal, user) : undefined;
    if (overShared) {
      connection.limitHeaders = { ...overShared.headers, ...connection.limitHeaders };
      return refusedErrors(overShared.errors);
    }
    const releaseShared = (): void => {
      if (user !== undefined) this.options.rateLimiter?.releaseStream(user);
    };
    let plan: SubscriptionPlan;
    let planner: SubscriptionPlanner;
    try {
      planner = this.plannerOf(generation);
      plan = planner.plan(generation.documents.schema, admission.prepared, admission.operation);
    } catch (err) {
      context.log.error({ err }, 'subscription planning failed');
      releaseShared();
      return refusedErrors([{ message: 'Internal error', extensions: { code: 'INTERNAL', requestId: context.requestId } }]);
    }
    const { prepared, variables } = admission;
    const operationName = admission.operation.name ?? undefined;
    const subscription = new ClientSubscription({
      queueLimit: this.options.limits.queueLimit,
      shape: (event) =>
        hydrateEvent(planner, plan, event, {
          prepared,
          operationName,
          variables,
          context,
          schema: generation.documents.schema,
          logger: this.options.gateway.logger,
        }),
      join: (listener) =>
        this.upstreams.join(
          {
            url: plan.subgraphUrl,
            principal: connection.principal,
            operationKey: plan.upstreamKey,
            request: upstreamRequest(plan, variables),
          },
          listener,
        ),
      budget: this.budget,
      onEnd: (reason) => {
        connection.subscriptions.delete(subscription);
        this.active.delete(subscription);
        this.subscriptionsByIp.remove(connection.ip);
        if (connection.user !== undefined) this.subscriptionsByUser.remove(connection.user);
        releaseShared();
        if (reason !== 'slow') return;
        this.metrics.slowConsumer();
        context.log.warn({ operation: operationName, queueLimit: this.options.limits.queueLimit }, 'subscription ended: slow consumer');
      },
    });
    connection.subscriptions.add(subscription);
    this.active.add(subscription);
    this.subscriptionsByIp.add(connection.ip);
    if (connection.user !== undefined) this.subscriptionsByUser.add(connection.user);
    const start = (): ClientSubscription => {
      // Planned against a supergraph that was replaced meanwhile: end it as the reload ended the others.
      if (this.options.gateway.generation !== generation)
        subscription.end(subscriptionEnd('SUBSCRIPTION_SCHEMA_RELOAD', 'The graph was updated; subscribe again'));
      else if (this.closing)
        subscription.end(subscriptionEnd('SUBSCRIPTION_SERVER_SHUTDOWN', 'The server is shutting down; subscribe again'));
      else subscription.start();
      return subscription;
    };
    return this.admitted(connection, id, generation, admission, { kind: 'subscription', context, start });
  }

  /** The refusal when the connection's user or address already holds its most subscriptions. */
  private overSubscriptionQuota(connection: Connection): Refusal | undefined {
    const { maxSubscriptionsPerUser, maxSubscriptionsPerIp } = this.options.limits;
    if (connection.user !== undefined && !this.subscriptionsByUser.allows(connection.user, maxSubscriptionsPerUser)) {
      return refusal('RATE_LIMITED', `At most ${maxSubscriptionsPerUser} subscriptions may be open for one user`, {
        limit: 'subscriptionsPerUser',
        max: maxSubscriptionsPerUser,
      });
    }
    if (!this.subscriptionsByIp.allows(connection.ip, maxSubscriptionsPerIp)) {
      return refusal('RATE_LIMITED', `At most ${maxSubscriptionsPerIp} subscriptions may be open from one address`, {
        limit: 'subscriptionsPerIp',
        max: maxSubscriptionsPerIp,
      });
    }
    return undefined;
  }

  /** The execution arguments graphql-ws passes on to `subscribe` or `execute`, carrying the operation. */
  private admitted(
    connection: Connection,
    id: string,
    generation: SchemaGeneration,
    admission: { prepared: PreparedDocument; operation: PreparedOperation },
    operation: Operation,
  ): ExecutionArgs {
    const { document } = admission.prepared;
    if (!document) throw new Error('admitted an invalid document');
    connection.running.set(id, operation.context);
    // graphql-ws reads only the operation's type from these; everything else was done by the router.
    return { schema: generation.documents.schema, document, operationName: admission.operation.name, contextValue: operation };
  }

  /** Errors sent over the socket count in `graphql_errors_total` by code, as over HTTP. */
  private counted(errors: GraphQLFormattedError[]): GraphQLFormattedError[] {
    for (const error of errors) this.options.metrics.errors.inc({ code: String(error.extensions?.code ?? 'INTERNAL') });
    return errors;
  }

  private plannerOf(generation: SchemaGeneration): SubscriptionPlanner {
    let planner = this.planners.get(generation);
    if (!planner) {
      planner = new SubscriptionPlanner(generation.supergraphSdl, this.options.dataSource);
      this.planners.set(generation, planner);
    }
    return planner;
  }

  private endAll(error: GraphQLError): void {
    for (const subscription of [...this.active]) subscription.end(error);
  }

  /** Operations still running on a socket (a stop waits for their shutdown errors to be written). */
  private runningOn(socket: WebSocket): number {
    return this.socketConnections.get(socket)?.running.size ?? 0;
  }

  private closeSocket(socket: WebSocket): Promise<void> {
    return closeSocket(socket, SUBSCRIPTION_CLOSE_CODES.GOING_AWAY, 'Server shutting down');
  }
}

/** `subscribe` refused the operation (graphql-ws errors) rather than admitting it (execution arguments). */
function isRefusal(admitted: ExecutionArgs | readonly GraphQLError[]): admitted is readonly GraphQLError[] {
  return Array.isArray(admitted);
}

/** The error ending every subscription when the router stops. */
function shutdownError(): GraphQLError {
  return subscriptionEnd('SUBSCRIPTION_SERVER_SHUTDOWN', 'The server is shutting down; subscribe again');
}

/** The HTTP status of a refusal's first error, as its code says (a JSON answer carries it). */
function statusOf(errors: readonly GraphQLFormattedError[]): number {
  const code = errors[0]?.extensions?.code;
  if (code === 'SUBSCRIPTION_SERVER_SHUTDOWN') return 503;
  return typeof code === 'string' && code in ERROR_CODES ? ERROR_CODES[code as ErrorCode].http : 400;
}

/** True when the client offers the legacy subprotocol and not graphql-ws's `graphql-transport-ws`. */
function isLegacyOnly(header: string | undefined): boolean {
  const offered = (header ?? '').split(',').map((protocol) => protocol.trim());
  return offered.includes(LEGACY_SUBPROTOCOL) && !offered.includes('graphql-transport-ws');
}

/** The primary fetch as sent to the subgraph: its operation and the variables it uses. */
function upstreamRequest(
  plan: SubscriptionPlan,
  variables: Record<string, unknown>,
): { query: string; operationName: string | undefined; variables: Record<string, unknown> } {
  const used: Record<string, unknown> = {};
  for (const name of plan.primary.variableUsages ?? []) if (variables[name] !== undefined) used[name] = variables[name];
  return { query: plan.primary.operation, operationName: plan.primary.operationName, variables: used };
}
