import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ANONYMOUS, HttpError, REQUEST_ID_HEADER, type HttpRequest, type Logger, type Principal, type RouteHandler } from '@chatgraph/kit';
import type { Authenticator } from './auth';
import { clientInfo } from './clientInfo';
import { RequestContext } from './context';
import { httpAuthorization } from './credentials';
import { maskErrors } from './errorMasking';
import { readGraphQLRequest, responseContentType } from './graphqlRequest';
import { sendLandingPage, wantsHtml } from './landingPage';
import type { RouterMetrics } from './metrics';
import type { GraphQLResponseBody, Outcome, Pipeline } from './pipeline';
import { clientAddress, type RequestGate, type RouterRateLimiter } from './rateLimit';
import { refusal, wantsStream } from './refusal';
import type { StreamHandler } from './subscriptions/streamHandler';
import { streamProtocol } from './subscriptions/streamFormats';

/** What `/graphql` needs: authentication, the pipeline, metrics and the base logger. */
export interface GraphQLHandlerOptions {
  authenticator: Authenticator;
  pipeline: Pipeline;
  metrics: RouterMetrics;
  logger: Logger;
  /** Subscriptions over HTTP (GraphQL over SSE, multipart); without it such requests get the 406 naming graphql-ws. */
  streams?: StreamHandler;
  /** Rate limits and bans (rateLimit/); without it nothing is limited and no RateLimit header is sent. */
  rateLimiter?: RouterRateLimiter;
  /**
   * Proxies in front of the router whose `X-Forwarded-For` entry is trusted (rateLimit/clientAddress.ts), for
   * per-IP limits and the client address signed to subgraphs. Default 0.
   */
  trustedProxyHops?: number;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;
const NOT_ACCEPTABLE = refusal(
  'BAD_USER_INPUT',
  "An 'accept' header was provided for this request which does not accept application/json or application/graphql-response+json",
  {},
  406,
);

/** `www-authenticate` on 401s, as RFC 6750 asks of a bearer-token API. */
function authHeaders(err: HttpError): Record<string, string> | undefined {
  return err.code === 'UNAUTHENTICATED' ? { 'www-authenticate': 'Bearer' } : undefined;
}

/**
 * Writes a refusal made before `/graphql`'s handler runs (the body too large: 413) in the same
 * shape and media type as the handler's own refusals: `application/graphql-response+json` when
 * the client prefers it (GraphQL over HTTP), so Apollo Client surfaces `extensions.code`.
 */
export function sendEarlyRefusal(req: IncomingMessage, res: ServerResponse, err: HttpError): void {
  const errors = [{ message: err.message, extensions: { code: err.code } }];
  const given = req.headers[REQUEST_ID_HEADER];
  const requestId = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
  send(res, err.status, { errors }, requestId, responseContentType(req.headers.accept) ?? JSON_TYPE, authHeaders(err));
}

/** Client-supplied request ids are kept for tracing only when they look like ids. */
function requestIdOf(req: HttpRequest): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
}

/**
 * Serializes once and writes once. The body stays a string: node then sends head and body as one
 * string in one `write`, where a Buffer body goes out as a two-chunk `writev`, measurably dearer.
 */
function send(
  res: ServerResponse,
  status: number,
  body: GraphQLResponseBody,
  requestId: string,
  contentType: string,
  extra?: Readonly<Record<string, string>>,
): void {
  const payload = JSON.stringify(body);
  const headers: OutgoingHttpHeaders = {
    'content-type': contentType,
    'content-length': Buffer.byteLength(payload),
    [REQUEST_ID_HEADER]: requestId,
  };
  if (extra) Object.assign(headers, extra);
  res.writeHead(status, headers);
  res.end(payload);
}

/**
 * `/graphql` (POST, and GET for queries): the landing page for browsers, then the request id,
 * authentication (refused credentials never reach the pipeline, nor any subgraph), the request
 * itself, the pipeline, one response and the metrics.
 */
export function graphqlHandler(options: GraphQLHandlerOptions): RouteHandler {
  const { authenticator, pipeline, metrics, logger, streams, rateLimiter } = options;
  const hops = options.trustedProxyHops ?? 0;

  return async (req, res) => {
    if (req.method === 'GET' && wantsHtml(req.headers.accept)) {
      sendLandingPage(res);
      return;
    }
    const startedAt = process.hrtime.bigint();
    const requestId = requestIdOf(req);
    // GraphQL over SSE and multipart subscriptions: served as streams (a multipart query falls through to JSON).
    const protocol = streams ? streamProtocol(req.headers.accept) : undefined;
    if (protocol && streams && (await streams.serve(req, res, protocol, requestId))) return;
    let principal: Principal;
    // Keys per-IP limits and is signed to subgraphs as the client's address.
    const address = clientAddress(req.raw, hops);
    try {
      principal = await authenticator.authenticate(httpAuthorization(req.headers));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      let outcome: Outcome = {
        status: err.status,
        body: { errors: [{ message: err.message, extensions: { code: err.code } }] },
        headers: authHeaders(err),
        operationName: undefined,
      };
      if (rateLimiter) {
        // Refused credentials spend the address's anonymous budget and count toward its ban; an
        // expired token is an app that has not refreshed yet, not an attack, so it does not count.
        const gate = rateLimiter.open(ANONYMOUS, address, req.body.length);
        if (err.code === 'UNAUTHENTICATED' && !/expired/i.test(err.message)) gate.violation('bad-credentials', 1);
        outcome = await withLimits(outcome, gate);
      }
      metrics.errors(outcome.body.errors);
      send(res, outcome.status, outcome.body, requestId, responseContentType(req.headers.accept) ?? JSON_TYPE, outcome.headers);
      return;
    }

    const gate: RequestGate | undefined = rateLimiter?.open(principal, address, req.body.length);
    const refused = gate && (await refusedBeforeParsing(gate));
    if (refused) {
      send(res, refused.status, refused.body, requestId, responseContentType(req.headers.accept) ?? JSON_TYPE, refused.headers);
      metrics.errors(refused.body.errors);
      metrics.request(undefined, startedAt);
      return;
    }
    const context = new RequestContext(principal, requestId, logger, clientInfo(req.raw, address));
    let outcome: Outcome;
    const contentType = responseContentType(req.headers.accept);
    try {
      // A client asking for an event stream or a multipart subscription is told where subscriptions are served.
      const request = contentType ? readGraphQLRequest(req) : (wantsStream(req.headers.accept) ?? NOT_ACCEPTABLE);
      outcome =
        'errors' in request
          ? { status: request.status, body: { errors: request.errors }, headers: request.headers, operationName: undefined }
          : await pipeline.run(request, req.method, context, gate);
    } catch (err) {
      // A bug in the router, not the client's fault: masked, logged with the request id.
      outcome = { status: 500, body: { errors: maskErrors([err], context) }, operationName: undefined };
    }
    if (gate) outcome = await withLimits(outcome, gate);
    send(res, outcome.status, outcome.body, requestId, contentType ?? JSON_TYPE, outcome.headers);
    metrics.errors(outcome.body.errors);
    metrics.request(outcome.operationName, startedAt);
  };
}

/**
 * Answers a banned or over-its-caller-wide-limit principal before its document is read, parsed,
 * validated or planned, and before any per-operation budget is spent: during a flood (issue 10)
 * nearly every request of the flooding user is such a refusal, and on a small machine the CPU
 * they cost is taken from everyone else's answers. The decision was started when the gate opened
 * (a ban lookup is usually served from the registry's cache). Undefined: go on with the request.
 */
async function refusedBeforeParsing(gate: RequestGate): Promise<Outcome | undefined> {
  const early = await gate.finish();
  if (!early.refusal) return undefined;
  return {
    status: early.refusal.status,
    body: { errors: early.refusal.errors },
    headers: { ...early.refusal.headers, ...early.headers },
    operationName: undefined,
  };
}

/** The outcome with the request's RateLimit headers, or the limiter's refusal when the pipeline answered before deciding limits. */
async function withLimits(outcome: Outcome, gate: RequestGate): Promise<Outcome> {
  const limits = await gate.finish();
  if (limits.refusal)
    return {
      status: limits.refusal.status,
      body: { errors: limits.refusal.errors },
      headers: { ...limits.refusal.headers, ...limits.headers },
      operationName: outcome.operationName,
    };
  return { ...outcome, headers: { ...outcome.headers, ...limits.headers } };
}
