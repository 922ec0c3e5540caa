import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  getOperationAST,
  GraphQLError,
  parse,
  subscribe,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RequestContext } from './context';
import { formatError } from './errorMasking';
import { LoaderRegistry } from './loaders';
import type { Logger } from './logger';
import type { NonceRegistry } from './nonces';
import type { Principal } from './principal';
import { REQUEST_ID_HEADER, SignatureError, signRequest, UNKNOWN_CLIENT, verifyRequest, type VerifyOptions } from './signing';

/**
 * Router -> subgraph subscriptions over graphql-ws (`graphql-transport-ws`). The principal is
 * per connection: the router signs its `connection_init` payload the way it signs an HTTP request
 * (same headers, same HMAC), over this fixed body, so a subgraph refuses any socket that did not
 * come from the router. The nonce makes a captured payload useless (one socket per signature) and
 * the timestamp bounds how long the subgraph must remember it.
 */
const CONNECTION_SIGNED_BODY = 'graphql-transport-ws:connection_init';

/** Close codes a subgraph's socket may end with (besides the protocol's own). */
export const SUBSCRIPTION_CLOSE = {
  /** The `connection_init` payload is not a valid router signature (graphql-ws's Forbidden). */
  FORBIDDEN: CloseCode.Forbidden,
  /** The server is stopping; reconnect (to another instance). */
  GOING_AWAY: 1001,
} as const;

/**
 * Closes a WebSocket with `code` and resolves once it is closed; a peer that does not answer the
 * close handshake within `timeoutMs` is cut off.
 */
export function closeSocket(ws: WebSocket, code: number, reason: string, timeoutMs = 1000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close(code, reason);
    setTimeout(() => {
      ws.terminate();
      resolve();
    }, timeoutMs).unref();
  });
}

/** The `connection_init` payload the router sends to a subgraph for `principal`. */
export function signConnectionParams(secret: string, principal: Principal, now = Date.now()): Record<string, string> {
  return signRequest(secret, principal, CONNECTION_SIGNED_BODY, now);
}

/** The principal of a signed `connection_init` payload; throws `SignatureError` otherwise. */
export function verifyConnectionParams(secret: string, params: unknown, options: VerifyOptions): Principal {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new SignatureError('missing');
  const bag: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(params)) if (typeof value === 'string') bag[key.toLowerCase()] = value;
  return verifyRequest(secret, bag, CONNECTION_SIGNED_BODY, options);
}

export interface SubscriptionServerOptions<TContext extends RequestContext> {
  server: Server;
  /** The path upgrades are accepted on (the subgraph's `/graphql`). */
  path: string;
  schema: GraphQLSchema;
  logger: Logger;
  signingSecret: string;
  maxSkewMs: number;
  /** The subgraph's accepted nonces: a signed `connection_init` opens one socket, once. */
  nonces?: NonceRegistry;
  /** Largest message accepted from the router. */
  maxPayloadBytes: number;
  context(base: RequestContext): TContext | Promise<TContext>;
  /** Ping interval that detects dead peers (default 12 s). */
  keepAliveMs?: number;
}

export interface SubscriptionServer {
  /** Open sockets. */
  readonly connections: number;
  /** Refuses new upgrades, closes every socket with 1001 (their subscriptions end), disposes the server. */
  close(): Promise<void>;
}

type Extra = { principal?: Principal };

function coded(errors: readonly GraphQLError[], code: string): GraphQLError[] {
  return errors.map(
    (e) =>
      new GraphQLError(e.message, {
        nodes: e.nodes,
        source: e.source,
        positions: e.positions,
        path: e.path,
        extensions: { ...e.extensions, code },
      }),
  );
}

/**
 * Serves the subgraph's `Subscription` fields over graphql-ws on its HTTP server. Every socket must
 * open with the router's signed `connection_init` (else it is closed with 4403); each subscription
 * gets the same request context as an HTTP request. Errors are masked exactly as over HTTP, and an
 * error thrown while creating a subscription (a resolver's `subscribe` refusing the caller) reaches
 * the router as a graphql-ws `error` message carrying the error's code.
 */
export function attachSubscriptionServer<TContext extends RequestContext>(
  options: SubscriptionServerOptions<TContext>,
): SubscriptionServer {
  const { schema, logger, signingSecret, maxSkewMs, nonces } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  let closing = false;

  const onUpgrade = (req: import('node:http').IncomingMessage, socket: Duplex, head: Buffer): void => {
    const { pathname } = new URL(req.url ?? '/', 'http://local');
    if (closing || pathname !== options.path) {
      socket.end(`HTTP/1.1 ${closing ? '503 Service Unavailable' : '404 Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  options.server.on('upgrade', onUpgrade);

  /** Subscriptions created in `onSubscribe` (so refusals become `error` messages), picked up by `subscribe`. */
  const prepared = new WeakMap<ExecutionArgs, AsyncGenerator<ExecutionResult, void, void>>();
  const format = (errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((error) => {
      const formatted = formatError(error.toJSON(), error);
      if (formatted.extensions?.code === 'INTERNAL') logger.error({ err: error.originalError ?? error }, 'subscription failed');
      return formatted;
    });

  const disposable = useServer<Record<string, unknown> | undefined, Extra>(
    {
      schema,
      onConnect(ctx) {
        try {
          ctx.extra.principal = verifyConnectionParams(signingSecret, ctx.connectionParams, { maxSkewMs, nonces });
          return true;
        } catch (err) {
          if (!(err instanceof SignatureError)) throw err;
          logger.warn(
            { reason: err.reason, remote: ctx.extra.request.socket.remoteAddress },
            'refused unsigned or invalid subscription connection',
          );
          return false;
        }
      },
      async onSubscribe(ctx, id, payload) {
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (err) {
          return coded([err instanceof GraphQLError ? err : new GraphQLError('Syntax error')], 'BAD_USER_INPUT');
        }
        const invalid = validate(schema, document);
        if (invalid.length > 0) return coded(invalid, 'BAD_USER_INPUT');
        const header = ctx.connectionParams?.[REQUEST_ID_HEADER];
        const requestId = typeof header === 'string' && header.length <= 128 ? `${header}:${id}` : randomUUID();
        const principal = ctx.extra.principal;
        if (!principal) return coded([new GraphQLError('Connection is not authenticated')], 'UNAUTHENTICATED');
        // The router signs the end client's details on HTTP requests only; a subscription has none.
        const base: RequestContext = {
          principal,
          requestId,
          log: logger.child({ requestId }),
          loaders: new LoaderRegistry(),
          client: UNKNOWN_CLIENT,
        };
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await options.context(base),
        };
        if (getOperationAST(document, payload.operationName)?.operation === 'subscription') {
          const result = await subscribe(args);
          if (!(Symbol.asyncIterator in result)) return result.errors ?? [new GraphQLError('Subscription failed')];
          prepared.set(args, result);
        }
        return args;
      },
      subscribe: (args) => prepared.get(args) ?? subscribe(args),
      onError: (_ctx, _id, _payload, errors) => format(errors),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: format(result.errors as readonly GraphQLError[]) } : undefined,
    },
    wss,
    options.keepAliveMs ?? 12_000,
  );

  let closed: Promise<void> | undefined;
  return {
    get connections() {
      return wss.clients.size;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        options.server.off('upgrade', onUpgrade);
        await Promise.all([...wss.clients].map((ws) => closeSocket(ws, SUBSCRIPTION_CLOSE.GOING_AWAY, 'Server shutting down')));
        await disposable.dispose();
      })();
      return closed;
    },
  };
}
