import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { ERROR_CODES, type ErrorCode } from './errors';
import type { Logger } from './logger';

/**
 * A small HTTP server on node:http shared by every subgraph and the router: routing, body limits,
 * Apollo execution, and a lifecycle whose `stop()` refuses new work, drains what is in flight,
 * then closes. Owning this layer (rather than a framework) keeps the hot path short and lets
 * signature checks run on the exact bytes received.
 */
export interface HttpRequest {
  method: string;
  path: string;
  search: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  raw: IncomingMessage;
}

export type RouteHandler = (req: HttpRequest, res: ServerResponse) => Promise<void> | void;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handler: RouteHandler;
}

export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message?: string) {
    super(message ?? ERROR_CODES[code].message);
    this.code = code;
    this.status = ERROR_CODES[code].http;
  }
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A GraphQL-shaped error response, for failures before execution (auth, limits, body size). */
export function sendGraphQLError(res: ServerResponse, code: ErrorCode, message?: string, extra: Record<string, unknown> = {}): void {
  sendResult(res, graphQLErrorResult(code, message, extra));
}

/**
 * Reads a request body up to `limit` bytes. Listens for the stream's events instead of iterating
 * it: an async iterator per request costs measurably more on the hot path (bench/router-overhead.ts).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(new HttpError('PAYLOAD_TOO_LARGE', `Request body exceeds ${limit} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // Stop buffering; the rest of the body is drained and dropped while the refusal is sent.
      req.off('data', onData);
      req.resume();
      reject(new HttpError('PAYLOAD_TOO_LARGE', `Request body exceeds ${limit} bytes`));
    };
    req.on('data', onData);
    req.once('error', reject);
    req.once('end', () => resolve(chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks)));
  });
}

/** A GraphQL HTTP request, from a socket or from the same process (see `Subgraph.serveInProcess`). */
export interface GraphQLHttpRequest {
  method: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  search: string;
  body: Buffer | string;
}

/** Apollo's answer to one request, whole: subgraphs answer single JSON documents. */
export interface GraphQLHttpResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Runs one GraphQL HTTP request through Apollo Server and returns its whole response. */
export async function runGraphQL<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  req: GraphQLHttpRequest,
  context: () => Promise<TContext>,
): Promise<GraphQLHttpResult> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  let body: unknown = undefined;
  if (req.body.length > 0) {
    try {
      body = JSON.parse(typeof req.body === 'string' ? req.body : req.body.toString('utf8'));
    } catch {
      return graphQLErrorResult('BAD_USER_INPUT', 'Request body is not valid JSON');
    }
  }
  const result = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search: req.search, body },
    context,
  });
  const outHeaders: Record<string, string> = {};
  for (const [key, value] of result.headers) outHeaders[key] = value;
  if (result.body.kind === 'complete') return { status: result.status ?? 200, headers: outHeaders, body: result.body.string };
  let text = '';
  for await (const chunk of result.body.asyncIterator) text += chunk;
  return { status: result.status ?? 200, headers: outHeaders, body: text };
}

/** A coded GraphQL error as a whole response, for refusals before execution. */
export function graphQLErrorResult(code: ErrorCode, message?: string, extra: Record<string, unknown> = {}): GraphQLHttpResult {
  const body = JSON.stringify({ errors: [{ message: message ?? ERROR_CODES[code].message, extensions: { ...extra, code } }] });
  return { status: ERROR_CODES[code].http, headers: { 'content-type': 'application/json; charset=utf-8' }, body };
}

/** Writes a whole result: head and body in one write. */
export function sendResult(res: ServerResponse, result: GraphQLHttpResult): void {
  res.writeHead(result.status, { ...result.headers, 'content-length': Buffer.byteLength(result.body) });
  res.end(result.body);
}

export interface HttpServerOptions {
  logger: Logger;
  routes: Route[];
  maxBodyBytes: number;
  /** Longest a graceful stop waits for in-flight requests before closing sockets. */
  drainTimeoutMs?: number;
  /**
   * Runs first on every request; true when it answered the request itself (the router's CORS
   * preflights). It may also set headers on `res` for the answer to come.
   */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /**
   * Writes a refusal raised before a route answers (body too large, shutting down); defaults to a
   * coded GraphQL error as `application/json`. The router writes it in the media type the client
   * asked for, as its own refusals are.
   */
  refuse?: (req: IncomingMessage, res: ServerResponse, error: HttpError) => void;
}

function refuseAsJson(_req: IncomingMessage, res: ServerResponse, error: HttpError): void {
  sendGraphQLError(res, error.code, error.message);
}

type State =
  | { kind: 'idle' }
  /** `listen()` is binding: a `stop()` now must wait for the bind, then close what it bound. */
  | { kind: 'starting'; server: http.Server; bound: Promise<void> }
  | { kind: 'listening'; server: http.Server; url: string }
  | { kind: 'stopping'; done: Promise<void> }
  | { kind: 'stopped' };

export class HttpServer {
  private state: State = { kind: 'idle' };
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly routes = new Map<string, RouteHandler>();

  constructor(private readonly options: HttpServerOptions) {
    for (const route of options.routes) this.routes.set(`${route.method} ${route.path}`, route.handler);
  }

  get url(): string {
    if (this.state.kind !== 'listening') throw new Error('server is not listening');
    return this.state.url;
  }

  get draining(): boolean {
    return this.state.kind === 'stopping' || this.state.kind === 'stopped';
  }

  /** The underlying node server, for protocols that upgrade the connection (graphql-ws). */
  get nodeServer(): http.Server | undefined {
    return this.state.kind === 'listening' ? this.state.server : undefined;
  }

  /** Binds and serves; rejects when the bind fails or when `stop()` was called before it finished. */
  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    if (this.state.kind !== 'idle') throw new Error(`cannot listen: server is ${this.state.kind}`);
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    const bound = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.state = { kind: 'starting', server, bound };
    try {
      await bound;
    } catch (err) {
      // A failed bind leaves nothing to close (a stop() waiting on it has nothing to do either).
      if (this.state.kind === 'starting') this.state = { kind: 'idle' };
      throw err;
    }
    // stop() was called while binding: it owns the shutdown (it closes `server`); serving now would outlive it.
    if (this.state.kind !== 'starting') throw new Error('server was stopped while starting');
    const address = server.address() as AddressInfo;
    const url = `http://${host}:${address.port}`;
    this.state = { kind: 'listening', server, url };
    return url;
  }

  /**
   * Stops accepting, waits for in-flight requests (bounded), then closes every connection. Safe to
   * call twice, and during `listen()`: the server is then closed as soon as it is bound.
   */
  async stop(): Promise<void> {
    if (this.state.kind === 'stopping') return this.state.done;
    if (this.state.kind === 'starting') {
      const { server, bound } = this.state;
      const done = (async () => {
        // Nothing has been served yet: once bound, close at once (no drain); a failed bind left nothing open.
        const listening = await bound.then(
          () => true,
          () => false,
        );
        if (listening) await new Promise<void>((resolve) => server.close(() => resolve()));
        this.state = { kind: 'stopped' };
      })();
      this.state = { kind: 'stopping', done };
      return done;
    }
    if (this.state.kind !== 'listening') {
      this.state = { kind: 'stopped' };
      return;
    }
    const { server } = this.state;
    const done = (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.race([this.whenIdle(), delay(this.options.drainTimeoutMs ?? 10_000)]);
      server.closeAllConnections();
      await closed;
      this.state = { kind: 'stopped' };
    })();
    this.state = { kind: 'stopping', done };
    return done;
  }

  /**
   * Runs `work` as one request of this server without a socket (a caller in the same process):
   * refused like a connection when the server is not listening, counted in flight so that
   * `stop()` drains it.
   */
  async serveInProcess<T>(work: () => Promise<T>): Promise<T> {
    if (this.state.kind !== 'listening') throw new NotServingError();
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.finished();
    }
  }

  private finished(): void {
    this.inFlight--;
    if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async handle(raw: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    const refuse = this.options.refuse ?? refuseAsJson;
    try {
      if (this.options.intercept?.(raw, res)) return;
      if (this.draining) {
        // Keep-alive connections may still carry a request after stop(): refuse it and close.
        res.setHeader('connection', 'close');
        refuse(raw, res, new HttpError('UNAVAILABLE', 'Server is shutting down'));
        return;
      }
      const { path, search } = splitTarget(raw.url ?? '/');
      const handler = this.routes.get(`${raw.method} ${path}`);
      if (!handler) {
        sendJson(res, 404, { error: 'not found' });
        return;
      }
      const body = raw.method === 'GET' || raw.method === 'HEAD' ? Buffer.alloc(0) : await readBody(raw, this.options.maxBodyBytes);
      await handler({ method: raw.method ?? 'GET', path, search, headers: raw.headers, body, raw }, res);
    } catch (err) {
      if (err instanceof HttpError) {
        if (!res.headersSent) refuse(raw, res, err);
        else res.end();
      } else {
        this.options.logger.error({ err }, 'unhandled error in HTTP handler');
        if (!res.headersSent) sendGraphQLError(res, 'INTERNAL');
        else res.end();
      }
    } finally {
      this.finished();
    }
  }
}

/** A request in the same process reached a server that is not listening (stopped, or not started). */
export class NotServingError extends Error {
  constructor() {
    super('server is not listening');
    this.name = 'NotServingError';
  }
}

/**
 * The path and query string of a request target. The usual origin form (`/graphql?x=1`) is split
 * on its first `?`, with no URL object per request; other forms go through URL parsing.
 */
export function splitTarget(target: string): { path: string; search: string } {
  if (target.startsWith('/') && !target.startsWith('//')) {
    const question = target.indexOf('?');
    return question === -1 ? { path: target, search: '' } : { path: target.slice(0, question), search: target.slice(question) };
  }
  const parsed = new URL(target, 'http://local');
  return { path: parsed.pathname, search: parsed.search };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
