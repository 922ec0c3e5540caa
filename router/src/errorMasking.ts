import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { knownCode } from '@chatgraph/kit';
import type { RouterContext } from './context';

/**
 * Extensions that describe the router's or a subgraph's internals: the gateway adds
 * `serviceName` to subgraph errors and `response` (with the raw body) to failed fetches.
 */
const INTERNAL_EXTENSIONS = new Set(['stacktrace', 'exception', 'serviceName', 'response', 'http']);

const PROTOCOL_CODES = new Set(['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED']);

/**
 * The router's error boundary. A coded error keeps its code and message whether the router or a
 * subgraph raised it (the gateway's `downstreamServiceError` keeps subgraph codes); Apollo's
 * client-error codes become BAD_USER_INPUT; anything else becomes INTERNAL with no message,
 * stack or subgraph detail (`maskErrors` logs it and adds the request id).
 */
export function formatRouterError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const where = { ...(formatted.path ? { path: formatted.path } : {}), ...(formatted.locations ? { locations: formatted.locations } : {}) };
  const extensions = (formatted.extensions ?? {}) as Record<string, unknown>;
  // Automatic persisted queries are a protocol: clients resend the full query on this code.
  if (typeof extensions.code === 'string' && PROTOCOL_CODES.has(extensions.code)) {
    return { message: formatted.message, extensions: { code: extensions.code } };
  }
  const code = knownCode(extensions);
  if (code && code !== 'INTERNAL') {
    const safe = Object.fromEntries(Object.entries(extensions).filter(([key]) => !INTERNAL_EXTENSIONS.has(key)));
    return { message: formatted.message, ...where, extensions: { ...safe, code } };
  }
  return { message: 'Internal error', ...where, extensions: { code: 'INTERNAL' } };
}

/** The gateway passes a data source's thrown errors on as they are: not always GraphQLErrors. */
function toFormatted(error: unknown): GraphQLFormattedError {
  if (error instanceof GraphQLError) return error.toJSON();
  return { message: error instanceof Error ? error.message : String(error) };
}

/** The error to log for a masked one: what the resolver or data source actually threw. */
function originalOf(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? error.originalError : error;
}

/**
 * Formats the errors of an executed operation for the client. Every masked error is logged with
 * the request id, and carries that id so the client can quote it.
 */
export function maskErrors(errors: readonly unknown[], context: RouterContext): GraphQLFormattedError[] {
  return errors.map((error) => {
    const formatted = formatRouterError(toFormatted(error));
    if (formatted.extensions?.code !== 'INTERNAL') return formatted;
    const extensions = error instanceof GraphQLError ? error.extensions : undefined;
    context.log.error({ err: originalOf(error), path: error instanceof GraphQLError ? error.path : undefined, subgraph: extensions?.serviceName }, 'internal error');
    return { ...formatted, extensions: { code: 'INTERNAL', requestId: context.requestId } };
  });
}
