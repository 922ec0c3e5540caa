import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { codedError, knownCode, REQUEST_ID_HEADER, signRequest, type Logger } from '@chatgraph/kit';
import { ROUTER_PRINCIPAL, type RouterContext } from './context';
import type { SubgraphReply, SubgraphTransport } from './subgraphTransport';

/** What a data source hands back to the gateway. */
export type SubgraphResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/** One subgraph's name and URL, the signing secret and the shared transport. */
export interface SigningDataSourceOptions {
  name: string;
  url: string;
  signingSecret: string;
  logger: Logger;
  /** Connections to subgraphs, shared by every data source of the router. */
  transport: SubgraphTransport;
}

type FirstError = { message: string; extensions?: Record<string, unknown> };

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The gateway's subgraph operations start with their keyword (`query`, `mutation`, or `{`). */
export function isMutation(query: string): boolean {
  return /^\s*mutation\b/.test(query);
}

function firstError(body: unknown): FirstError | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const errors = (body as { errors?: unknown }).errors;
  const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
  if (first === null || typeof first !== 'object' || typeof (first as { message?: unknown }).message !== 'string') return undefined;
  return first as FirstError;
}

/**
 * The gateway's connection to one subgraph, straight on the router's keep-alive transport: the
 * body is serialized once, signed over those exact bytes, posted, and the reply parsed once.
 * Every request — the client's operations, `_entities` fetches and the `_service` fetch of
 * composition — is signed: with the caller's principal when it serves a client request, as the
 * router otherwise. The request id travels along so a subgraph's logs join the router's, and the
 * end client's user agent and address are signed along (kit signing.ts `CLIENT_HEADER`).
 */
export class SigningDataSource implements GraphQLDataSource<RouterContext> {
  private readonly name: string;
  private readonly url: string;
  private readonly secret: string;
  private readonly log: Logger;
  private readonly transport: SubgraphTransport;

  constructor(options: SigningDataSourceOptions) {
    this.name = options.name;
    this.url = options.url;
    this.secret = options.signingSecret;
    this.log = options.logger;
    this.transport = options.transport;
  }

  async process(options: GraphQLDataSourceProcessOptions<RouterContext>): Promise<SubgraphResponse> {
    const { request } = options;
    if (!request.query) throw new Error('Missing query');
    const context = 'incomingRequestContext' in options ? options.context : undefined;
    // The same fields, in the same order, as Apollo's RemoteGraphQLDataSource sends.
    const body = JSON.stringify({
      query: request.query,
      variables: request.variables,
      operationName: request.operationName,
      extensions: request.extensions,
    });
    // The client's own details (a client-sent `x-chatgraph-client` never gets here: headers are built anew).
    const headers = context
      ? signRequest(this.secret, context.principal, body, undefined, context.client)
      : signRequest(this.secret, ROUTER_PRINCIPAL, body);
    headers['content-type'] = 'application/json';
    if (context) headers[REQUEST_ID_HEADER] = context.requestId;

    let reply: SubgraphReply;
    try {
      reply = await this.transport.post(this.url, headers, body, !isMutation(request.query));
    } catch (err) {
      (context ? context.log : this.log).warn({ err, subgraph: this.name }, 'subgraph unreachable');
      throw codedError('UNAVAILABLE', 'A service is unavailable, try again');
    }
    const payload = parseJson(reply.body);
    if (reply.status < 200 || reply.status > 299) throw this.failure(reply.status, payload);
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      throw new Error(`subgraph ${this.name} answered without a JSON object`);
    }
    return payload as SubgraphResponse;
  }

  /**
   * What the client should see for a non-2xx answer: a coded refusal keeps its code, a gateway
   * error (502-504) is UNAVAILABLE (retryable), anything else is left to be masked as INTERNAL
   * (and logged with the request id).
   */
  private failure(status: number, payload: unknown): Error {
    // Subgraphs answer 401 only when they refuse the router's own signature: a deployment fault, not the caller's.
    if (status === 401) return new Error(`subgraph ${this.name} refused the router's signature; check INTERNAL_SIGNING_SECRET and clocks`);
    const refusal = firstError(payload);
    const code = knownCode(refusal?.extensions);
    if (code && code !== 'INTERNAL' && refusal) return codedError(code, refusal.message);
    if (status >= 502 && status <= 504) return codedError('UNAVAILABLE', 'A service is unavailable, try again');
    return new Error(`subgraph ${this.name} answered HTTP ${status}`);
  }
}
