import type { GraphQLFormattedError } from 'graphql';
import { ERROR_CODES, type ErrorCode, type ErrorDetails } from '@chatgraph/kit';

/**
 * A request the router answers itself, before anything is executed: the errors exactly as the
 * client receives them (already safe: the router wrote them), the HTTP status and any header.
 */
export interface Refusal {
  readonly status: number;
  readonly errors: readonly GraphQLFormattedError[];
  readonly headers?: Readonly<Record<string, string>>;
}

/** A coded refusal; the status is the code's (400, 403...) unless a protocol rule says otherwise (405). */
export function refusal(
  code: ErrorCode,
  message: string,
  details: ErrorDetails = {},
  status: number = ERROR_CODES[code].http,
  headers?: Record<string, string>,
): Refusal {
  return { status, errors: [{ message, extensions: { ...details, code } }], headers };
}

/**
 * Automatic persisted queries are a protocol: clients resend the full query on this code, so it
 * keeps Apollo's name and HTTP 200, and must never be cached by an intermediary.
 */
export const PERSISTED_QUERY_NOT_FOUND: Refusal = {
  status: 200,
  errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }],
  headers: { 'cache-control': 'private, no-cache, must-revalidate' },
};

/** Where subscriptions are served, for every refusal of a subscription sent another way. */
export const SUBSCRIPTIONS_OVER_GRAPHQL_WS =
  'Subscriptions are served over WebSocket (a graphql-ws client, subprotocol graphql-transport-ws), GraphQL over SSE (Accept: text/event-stream, a graphql-sse client) or multipart HTTP (Accept: multipart/mixed;subscriptionSpec=1.0, Apollo Client) on this same URL';

/** A subscription POSTed over HTTP asking for a JSON answer: refused before anything runs, naming the transports that serve it. */
export const SUBSCRIPTION_OVER_HTTP: Refusal = refusal(
  'BAD_USER_INPUT',
  SUBSCRIPTIONS_OVER_GRAPHQL_WS,
  { use: 'graphql-transport-ws, text/event-stream, multipart/mixed;subscriptionSpec=1.0' },
  400,
);

/**
 * For an `Accept` that asks only for a stream the router does not serve (`multipart/mixed` for
 * `@defer`, without `subscriptionSpec`): the 406 that says what to use; undefined otherwise.
 */
export function wantsStream(accept: string | undefined): Refusal | undefined {
  if (!accept || !/text\/event-stream|multipart\/mixed/i.test(accept)) return undefined;
  return refusal(
    'BAD_USER_INPUT',
    `Incremental delivery (@defer, @stream) is not served. ${SUBSCRIPTIONS_OVER_GRAPHQL_WS}; queries and mutations are answered as application/graphql-response+json or application/json`,
    { use: 'application/json' },
    406,
  );
}
