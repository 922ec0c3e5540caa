import type { GraphQLFormattedError } from 'graphql';
import type { FormattedExecutionResult } from 'graphql-ws';

/** How one HTTP streaming protocol frames what a subscription sends. */
export interface StreamFormat {
  /** The response's content type. */
  readonly contentType: string;
  /** Written right after the head: some clients (and proxies) only see the answer once bytes arrive. */
  readonly opening: string;
  /** One result. */
  next(result: FormattedExecutionResult): string;
  /** The last frame when the operation ends with errors: nothing may follow it. */
  error(errors: readonly GraphQLFormattedError[]): string;
  /** The last frame when the operation completes. */
  complete(): string;
  /** Keeps idle connections (and proxies) from timing out. */
  heartbeat(): string;
}

/**
 * GraphQL over Server-Sent Events, distinct connections mode (the `graphql-sse` protocol): each
 * result is a `next` event, the end a `complete` event (with an empty `data:` so EventSource
 * fires it). The protocol has no error event: an operation ending with errors sends them in a
 * last `next`, then `complete`. Heartbeats are SSE comments, ignored by every client.
 */
export const SSE_FORMAT: StreamFormat = {
  contentType: 'text/event-stream; charset=utf-8',
  opening: ':\n\n',
  next: (result) => `event: next\ndata: ${JSON.stringify(result)}\n\n`,
  error: (errors) => `event: next\ndata: ${JSON.stringify({ errors })}\n\nevent: complete\ndata: \n\n`,
  complete: () => 'event: complete\ndata: \n\n',
  heartbeat: () => ':\n\n',
};

const PART = '\r\ncontent-type: application/json; charset=utf-8\r\n\r\n';
const BOUNDARY = '\r\n--graphql';

/**
 * Apollo's multipart HTTP protocol for subscriptions (`multipart/mixed;subscriptionSpec=1.0`),
 * boundary `graphql`: each result is a part `{"payload": result}`, a heartbeat is the part `{}`,
 * an operation ending with errors sends `{"payload": null, "errors": [...]}` (a transport error:
 * Apollo Client surfaces it as a protocol error), and the body ends with the closing boundary.
 */
export const MULTIPART_FORMAT: StreamFormat = {
  contentType: 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0',
  opening: BOUNDARY,
  next: (result) => `${PART}${JSON.stringify({ payload: result })}${BOUNDARY}`,
  error: (errors) => `${PART}${JSON.stringify({ payload: null, errors })}${BOUNDARY}--\r\n`,
  complete: () => '--\r\n',
  heartbeat: () => `${PART}{}${BOUNDARY}`,
};

/** The streaming protocol an `Accept` header asks for, if any. */
export type StreamProtocol = 'sse' | 'multipart';

const JSON_TYPES = /application\/(graphql-response\+)?json/i;

/**
 * `text/event-stream` when the client prefers it to JSON (graphql-sse sends it alone); Apollo's
 * multipart subscriptions when `multipart/mixed` carries `subscriptionSpec` (Apollo Client sends it
 * first, with JSON after it: a query then still gets JSON). Undefined otherwise.
 */
export function streamProtocol(accept: string | undefined): StreamProtocol | undefined {
  if (!accept) return undefined;
  const sse = accept.search(/text\/event-stream/i);
  const json = accept.search(JSON_TYPES);
  if (sse !== -1 && (json === -1 || sse < json)) return 'sse';
  if (/multipart\/mixed[^,]*subscriptionSpec\s*=\s*"?1\.0"?/i.test(accept)) return 'multipart';
  return undefined;
}
