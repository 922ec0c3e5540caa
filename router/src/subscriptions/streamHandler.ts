import type { ServerResponse } from 'node:http';
import type { GraphQLFormattedError } from 'graphql';
import { HttpError, REQUEST_ID_HEADER, type HttpRequest, type Principal } from '@chatgraph/kit';
import type { Authenticator } from '../auth';
import { clientInfo } from '../clientInfo';
import { httpAuthorization } from '../credentials';
import { readGraphQLRequest, responseContentType } from '../graphqlRequest';
import type { RouterMetrics } from '../metrics';
import { clientAddress } from '../rateLimit/clientAddress';
import { refusal } from '../refusal';
import type { StreamCaller, StreamItem, StreamOpening } from './httpStream';
import { MULTIPART_FORMAT, SSE_FORMAT, type StreamFormat, type StreamProtocol } from './streamFormats';
import type { SubscribePayload } from './admission';

/** What serves the operations of HTTP streams: the graphql-ws server's machinery (subscriptionServer.ts). */
export interface StreamOpener {
  openStream(caller: StreamCaller, payload: SubscribePayload, subscriptionsOnly: boolean): Promise<StreamOpening>;
}

export interface StreamHandlerOptions {
  authenticator: Authenticator;
  opener: StreamOpener;
  metrics: RouterMetrics;
  /** Heartbeat interval of an open stream. Default 12000, as graphql-ws's pings. */
  keepAliveMs?: number;
  /** Proxies in front of the router whose `X-Forwarded-For` entry names the client signed to subgraphs. Default 0. */
  trustedProxyHops?: number;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** The head of an open stream: never cached or buffered by a proxy (nginx reads `x-accel-buffering`). */
function streamHeaders(format: StreamFormat, requestId: string): Record<string, string> {
  return {
    'content-type': format.contentType,
    'cache-control': 'no-cache, no-store',
    'x-accel-buffering': 'no',
    [REQUEST_ID_HEADER]: requestId,
  };
}

/**
 * Resolves once `res` can take more, or is closed. A client that has not taken what was written
 * within `stalledMs` is gone or stalled: its connection is destroyed (which ends its subscription
 * and frees its slot), as graphql-ws terminates a socket that misses its pongs.
 */
function drained(res: ServerResponse, stalledMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(stalled);
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    const stalled = setTimeout(() => {
      res.destroy();
      done();
    }, stalledMs);
    res.once('drain', done);
    res.once('close', done);
  });
}

/**
 * Subscriptions (and, over SSE, queries and mutations) served over HTTP: GraphQL over SSE
 * (`graphql-sse`, distinct connections mode) and Apollo's multipart subscriptions. Everything
 * after authentication is the graphql-ws server's (`openStream`). Refusals before the stream
 * opens follow each protocol: over SSE, a 200 stream with the errors in a `next` event then
 * `complete` (graphql-sse's rule: a 4xx makes its client retry, then fail without the reason);
 * over multipart, the usual coded JSON answer with its status (Apollo Client reads its code).
 */
export class StreamHandler {
  private readonly keepAliveMs: number;

  constructor(private readonly options: StreamHandlerOptions) {
    this.keepAliveMs = options.keepAliveMs ?? 12_000;
  }

  /**
   * Serves `req` as a `protocol` stream; false when it is a query or mutation asked for as
   * multipart, which the JSON path answers instead (Apollo Client offers multipart and JSON).
   */
  async serve(req: HttpRequest, res: ServerResponse, protocol: StreamProtocol, requestId: string): Promise<boolean> {
    const format = protocol === 'sse' ? SSE_FORMAT : MULTIPART_FORMAT;
    const refuse = (status: number, errors: readonly GraphQLFormattedError[], headers?: Readonly<Record<string, string>>): true => {
      this.refuse(req, res, format, requestId, status, errors, headers);
      return true;
    };
    const request = readGraphQLRequest(req);
    if ('errors' in request) {
      this.options.metrics.errors(request.errors);
      return refuse(request.status, request.errors, request.headers);
    }
    let authorization: string | undefined;
    let principal: Principal;
    try {
      authorization = httpAuthorization(req.headers);
      principal = await this.options.authenticator.authenticate(authorization);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const errors = [{ message: err.message, extensions: { code: err.code } }];
      this.options.metrics.errors(errors);
      return refuse(err.status, errors, err.code === 'UNAUTHENTICATED' ? { 'www-authenticate': 'Bearer' } : undefined);
    }
    const client = clientInfo(req.raw, clientAddress(req.raw, this.options.trustedProxyHops ?? 0));
    const caller: StreamCaller = {
      principal,
      authorization,
      ip: req.raw.socket.remoteAddress ?? 'unknown',
      method: req.method,
      requestId,
      client,
    };
    const payload: SubscribePayload = { query: request.query ?? '', operationName: request.operationName, variables: request.variables };
    const opening = await this.options.opener.openStream(caller, payload, protocol === 'multipart');
    switch (opening.kind) {
      case 'operation':
        return false;
      case 'refused':
        return refuse(opening.status, opening.errors, opening.headers);
      case 'result':
        this.options.metrics.errors(opening.body.errors);
        res.writeHead(200, { ...opening.headers, ...streamHeaders(format, requestId) });
        res.end(format.opening + format.next(opening.body) + format.complete());
        return true;
      case 'stream':
        await this.pump(res, format, requestId, opening.stream, opening.headers);
        return true;
    }
  }

  /** Writes the stream's items as they come, at the client's pace, until it ends or the client goes. */
  private async pump(
    res: ServerResponse,
    format: StreamFormat,
    requestId: string,
    stream: { next(): Promise<StreamItem>; cancel(): void },
    headers?: Readonly<Record<string, string>>,
  ): Promise<void> {
    // The client closing the connection (or the router stopping it) ends the subscription at once.
    const onClose = (): void => stream.cancel();
    res.once('close', onClose);
    res.writeHead(200, { ...headers, ...streamHeaders(format, requestId) });
    res.write(format.opening);
    const heartbeat = setInterval(() => res.write(format.heartbeat()), this.keepAliveMs);
    heartbeat.unref();
    try {
      for (;;) {
        const item = await stream.next();
        if (res.destroyed || res.writableEnded) return;
        if (item.kind === 'next') {
          if (!res.write(format.next(item.result))) await drained(res, 2 * this.keepAliveMs);
          continue;
        }
        res.end(item.kind === 'error' ? format.error(item.errors) : format.complete());
        return;
      }
    } finally {
      clearInterval(heartbeat);
      res.off('close', onClose);
      stream.cancel();
    }
  }

  /** A refusal before the stream opened, in the protocol's way (see the class). */
  private refuse(
    req: HttpRequest,
    res: ServerResponse,
    format: StreamFormat,
    requestId: string,
    status: number,
    errors: readonly GraphQLFormattedError[],
    given?: Readonly<Record<string, string>>,
  ): void {
    // A 429 always says when to come back (RFC 6585), from the refusal's own `retryAfterSeconds`.
    const retryAfter = errors[0]?.extensions?.retryAfterSeconds;
    const headers =
      status === 429 && given?.['retry-after'] === undefined && typeof retryAfter === 'number'
        ? { ...given, 'retry-after': String(retryAfter) }
        : given;
    if (format === SSE_FORMAT) {
      res.writeHead(200, { ...streamHeaders(format, requestId), ...headers });
      res.end(format.opening + format.error(errors));
      return;
    }
    const body = JSON.stringify({ errors });
    const contentType = responseContentType(req.headers.accept) ?? JSON_TYPE;
    res.writeHead(status, {
      ...headers,
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      [REQUEST_ID_HEADER]: requestId,
    });
    res.end(body);
  }
}

/** graphql-sse's single connection mode (a `PUT` reservation, then `DELETE`s): not served. */
const SINGLE_CONNECTION_MODE = refusal(
  'BAD_USER_INPUT',
  "graphql-sse's single connection mode (PUT reservations, DELETE) is not served: use its distinct connections mode (the graphql-sse client's default, singleConnection: false), or graphql-ws",
  { use: 'text/event-stream' },
  405,
  { allow: 'GET, POST' },
);

/** `PUT` and `DELETE` on `/graphql`: a coded 405 naming what to use instead (never a bare 404). */
export function refuseSingleConnectionMode(req: HttpRequest, res: ServerResponse): void {
  const body = JSON.stringify({ errors: SINGLE_CONNECTION_MODE.errors });
  res.writeHead(SINGLE_CONNECTION_MODE.status, {
    ...SINGLE_CONNECTION_MODE.headers,
    'content-type': responseContentType(req.headers.accept) ?? JSON_TYPE,
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
