import type { GraphQLFormattedError } from 'graphql';
import type { ExecutionResult, FormattedExecutionResult } from 'graphql-ws';
import type { ClientInfo, Principal } from '@chatgraph/kit';
import type { GraphQLResponseBody } from '../pipeline';

/** Who opens an HTTP stream (GraphQL over SSE, multipart): already authenticated by the HTTP handler. */
export interface StreamCaller {
  readonly principal: Principal;
  /** The `Authorization` value it was authenticated with: a stream does not outlive its access token. */
  readonly authorization: string | undefined;
  /** The client's address: HTTP streams count against the same per-IP caps as sockets. */
  readonly ip: string;
  /** GET or POST: a GET may only run queries (GraphQL over HTTP). */
  readonly method: string;
  readonly requestId: string;
  /** The end client (user agent, address) signed to subgraphs with the stream's operation. */
  readonly client?: ClientInfo;
}

/** One thing to send on an open HTTP stream. */
export type StreamItem =
  | { readonly kind: 'next'; readonly result: FormattedExecutionResult }
  /** The operation ended with these errors (graphql-ws's `error` message): nothing follows. */
  | { readonly kind: 'error'; readonly errors: readonly GraphQLFormattedError[] }
  | { readonly kind: 'complete' };

/** What opening an operation on an HTTP stream decided. */
export type StreamOpening =
  /** Refused before anything ran: the errors as the client receives them, and the HTTP status a JSON answer would carry. */
  (
    | { readonly kind: 'refused'; readonly status: number; readonly errors: readonly GraphQLFormattedError[] }
    /** A query or mutation when only subscriptions were asked for (multipart): the JSON path serves it. */
    | { readonly kind: 'operation' }
    /** A query or mutation, run by the pipeline: one result. */
    | { readonly kind: 'result'; readonly body: GraphQLResponseBody }
    /** A subscription, running: pull its items until one is not `next`; `cancel` when the client goes. */
    | { readonly kind: 'stream'; readonly stream: HttpSubscriptionStream }
  ) & {
    /** The rate limits' headers (RateLimit-Policy, RateLimit, Retry-After on a refusal) the answer's head carries. */
    readonly headers?: Readonly<Record<string, string>>;
  };

/** What an HTTP stream pulls from: a client subscription's iterator (clientSubscription.ts). */
export type ResultIterator = AsyncIterator<ExecutionResult>;

export interface HttpSubscriptionStreamOptions {
  iterator: ResultIterator;
  /** The errors of a `next` or of the end, as the client receives them (and counted), as over graphql-ws. */
  format(errors: readonly unknown[]): GraphQLFormattedError[];
  /** One event delivered. */
  delivered(): void;
  /** Called once when the stream ends, however it ends (quotas are given back here). */
  onEnd(): void;
}

/**
 * A client subscription as an HTTP stream pulls it: the same iterator graphql-ws pulls, so
 * hydration, the bounded queue and the memory budget work the same. Each item is pulled only once
 * the previous one was written (the HTTP handler waits for `drain`): a slow HTTP client overflows
 * its queue and ends with SLOW_CONSUMER exactly as a slow socket does.
 */
export class HttpSubscriptionStream {
  private ended = false;

  constructor(private readonly options: HttpSubscriptionStreamOptions) {}

  /** The next item; after an `error` or `complete`, always `complete`. */
  async next(): Promise<StreamItem> {
    if (this.ended) return { kind: 'complete' };
    try {
      const result = await this.options.iterator.next();
      if (this.ended) return { kind: 'complete' };
      if (result.done) {
        this.end();
        return { kind: 'complete' };
      }
      this.options.delivered();
      const value = result.value;
      return {
        kind: 'next',
        result: value.errors ? { ...value, errors: this.options.format(value.errors) } : (value as FormattedExecutionResult),
      };
    } catch (err) {
      if (this.ended) return { kind: 'complete' };
      this.end();
      return { kind: 'error', errors: this.options.format([err]) };
    }
  }

  /** The client went away (or the answer could not be written): leaves the upstream, frees the quotas. */
  cancel(): void {
    if (this.ended) return;
    this.end();
    void this.options.iterator.return?.();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.options.onEnd();
  }
}
