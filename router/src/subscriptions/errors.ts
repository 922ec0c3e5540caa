import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { ErrorDetails } from '@chatgraph/kit';
import type { RouterContext } from '../context';
import { maskErrors } from '../errorMasking';

/**
 * Codes that end a subscription for a reason of the router's own, not of the operation: the
 * client resubscribes (a stream with `after` = the last `seq` it received). They are protocol
 * codes like PERSISTED_QUERY_NOT_FOUND, kept out of the kit's registry of domain codes.
 */
export const SUBSCRIPTION_END_CODES = {
  /** The client's queue overflowed: it reads slower than events arrive. */
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  /** The supergraph was reloaded; the subscription must be planned again. */
  SUBSCRIPTION_SCHEMA_RELOAD: 'SUBSCRIPTION_SCHEMA_RELOAD',
  /** The router is stopping; reconnect (to another instance). */
  SUBSCRIPTION_SERVER_SHUTDOWN: 'SUBSCRIPTION_SERVER_SHUTDOWN',
} as const;

export type SubscriptionEndCode = keyof typeof SUBSCRIPTION_END_CODES;

/** WebSocket close codes the router's graphql-ws server uses besides the protocol's own. */
export const SUBSCRIPTION_CLOSE_CODES = {
  /**
   * Malformed, invalid, expired or revoked credentials in `connection_init` (graphql-ws
   * Unauthorized): graphql-ws clients do not retry it, so the app learns at once.
   */
  UNAUTHORIZED: 4401,
  /**
   * The socket's access token expired, or its principal no longer stands (graphql-ws Forbidden).
   * graphql-ws clients retry it, calling a `connectionParams` function again for a fresh token.
   */
  FORBIDDEN: 4403,
  /** The router is stopping. */
  GOING_AWAY: 1001,
  /** Identity could not be asked to verify the credentials: try again. */
  TRY_AGAIN_LATER: 1013,
  /**
   * Too many sockets open for this user (SUBSCRIPTION_SOCKETS_PER_USER) or from this address
   * (SUBSCRIPTION_SOCKETS_PER_IP): close one first. graphql-ws clients do not retry this code.
   */
  TOO_MANY_CONNECTIONS: 4429,
} as const;

/**
 * An error the router formatted itself, before anything ran (a refusal): graphql-ws needs
 * GraphQLError instances from `onSubscribe`, and this one carries the exact formatted error
 * (with its locations and extensions) the client must receive.
 */
export class RefusedError extends GraphQLError {
  constructor(readonly formatted: GraphQLFormattedError) {
    super(formatted.message, { extensions: formatted.extensions as Record<string, unknown> | undefined });
  }
}

/** The refusal's errors as graphql-ws `onSubscribe` wants them. */
export function refusedErrors(errors: readonly GraphQLFormattedError[]): RefusedError[] {
  return errors.map((error) => new RefusedError(error));
}

/** An error ending a subscription with one of the router's own end codes. */
export function subscriptionEnd(code: SubscriptionEndCode, message: string, details: ErrorDetails = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...details, code } });
}

function isEndCode(code: unknown): code is SubscriptionEndCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(SUBSCRIPTION_END_CODES, code);
}

/** The end code an error carries, looking through graphql-ws's wrapping of thrown errors. */
function endCodeOf(error: unknown): SubscriptionEndCode | undefined {
  if (!(error instanceof GraphQLError)) return undefined;
  const code = error.extensions.code ?? (error.originalError instanceof GraphQLError ? error.originalError.extensions.code : undefined);
  return isEndCode(code) ? code : undefined;
}

/**
 * The errors of an `error` or `next` message as the client receives them: refusals as the router
 * wrote them, end codes as they are, everything else through the router's error boundary (a
 * coded error keeps its code; the rest is INTERNAL, logged with the request id).
 */
export function formatSubscriptionErrors(errors: readonly unknown[], context: RouterContext): GraphQLFormattedError[] {
  return errors.map((error) => {
    if (error instanceof RefusedError) return error.formatted;
    const end = endCodeOf(error);
    if (end && error instanceof GraphQLError) {
      const extensions = error.originalError instanceof GraphQLError ? error.originalError.extensions : error.extensions;
      return { message: error.message, extensions: { ...extensions, code: end } };
    }
    const [masked] = maskErrors([error], context);
    return masked ?? { message: 'Internal error', extensions: { code: 'INTERNAL', requestId: context.requestId } };
  });
}
