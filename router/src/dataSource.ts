import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { codedError, knownCode, parsePrincipal, REQUEST_ID_HEADER, signRequest, type Logger } from '@chatgraph/kit';
import { ROUTER_PRINCIPAL, type RouterContext } from './context';
import type { SubgraphTransport } from './subgraphTransport';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

/**
 * Carries the principal from `willSendRequest` to the fetcher, which knows the final body. It is
 * removed before the request leaves: subgraphs only ever see the signed principal header.
 */
const SIGN_AS_HEADER = 'x-chatgraph-sign-as';

export interface SigningDataSourceOptions {
  name: string;
  url: string;
  signingSecret: string;
  logger: Logger;
  /** Connections to subgraphs, shared by every data source of the router. */
  transport: SubgraphTransport;
}

/**
 * Signs with the caller's principal over the exact bytes sent. The gateway serializes the body
 * after `willSendRequest`, so the signature cannot be computed there; the fetcher is the first
 * place that sees `init.body`.
 */
function signingFetcher(signingSecret: string, transport: SubgraphTransport): Fetcher {
  return async (url, init = {}) => {
    const { [SIGN_AS_HEADER]: signAs, ...headers } = init.headers ?? {};
    const principal = signAs === undefined ? null : parsePrincipal(JSON.parse(signAs));
    // Refuse rather than guess: an unsigned request would be refused by the subgraph anyway.
    if (!principal) throw new Error('subgraph request has no principal to sign as');
    const body = init.body ?? '';
    const response = await transport.post(url, { ...headers, ...signRequest(signingSecret, principal, body) }, body);
    return response as FetcherResponse;
  };
}

function responseBody(error: Error): unknown {
  if (!(error instanceof GraphQLError)) return undefined;
  const response = error.extensions.response;
  return response !== null && typeof response === 'object' ? (response as { body?: unknown }).body : undefined;
}

function firstError(body: unknown): { message: string; extensions?: Record<string, unknown> } | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const errors = (body as { errors?: unknown }).errors;
  const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
  if (first === null || typeof first !== 'object' || typeof (first as { message?: unknown }).message !== 'string') return undefined;
  return first as { message: string; extensions?: Record<string, unknown> };
}

/**
 * The gateway's connection to one subgraph. Every request — the client's operations, `_entities`
 * fetches and the `_service` fetch of composition — is signed: with the caller's principal when
 * it serves a client request, as the router otherwise. The request id travels along so a
 * subgraph's logs join the router's.
 */
export class SigningDataSource extends RemoteGraphQLDataSource<RouterContext> {
  private readonly serviceName: string;
  private readonly log: Logger;

  constructor(options: SigningDataSourceOptions) {
    super({ url: options.url, fetcher: signingFetcher(options.signingSecret, options.transport) });
    this.serviceName = options.name;
    this.log = options.logger;
  }

  override willSendRequest(options: GraphQLDataSourceProcessOptions<RouterContext>): void {
    const headers = options.request.http?.headers;
    if (!headers) return;
    if ('incomingRequestContext' in options) {
      headers.set(SIGN_AS_HEADER, JSON.stringify(options.context.principal));
      headers.set(REQUEST_ID_HEADER, options.context.requestId);
    } else {
      headers.set(SIGN_AS_HEADER, JSON.stringify(ROUTER_PRINCIPAL));
    }
  }

  /**
   * Maps a failed fetch to what the client should see: a subgraph that cannot be reached is
   * UNAVAILABLE (retryable); a coded refusal keeps its code; anything else is left to be masked
   * as INTERNAL (and logged with the request id).
   */
  override didEncounterError(error: Error, _request: unknown, response?: FetcherResponse, context?: RouterContext): never {
    const log = context?.log ?? this.log;
    if (!response) {
      log.warn({ err: error, subgraph: this.serviceName }, 'subgraph unreachable');
      throw codedError('UNAVAILABLE', 'A service is unavailable, try again');
    }
    const refusal = firstError(responseBody(error));
    const code = knownCode(refusal?.extensions);
    if (response.status === 401) {
      // Subgraphs answer 401 only when they refuse the router's own signature: a deployment fault, not the caller's.
      throw new Error(`subgraph ${this.serviceName} refused the router's signature; check INTERNAL_SIGNING_SECRET and clocks`);
    }
    if (code && code !== 'INTERNAL' && refusal) throw codedError(code, refusal.message);
    if (response.status >= 502 && response.status <= 504) throw codedError('UNAVAILABLE', 'A service is unavailable, try again');
    throw new Error(`subgraph ${this.serviceName} answered HTTP ${response.status}`);
  }
}
