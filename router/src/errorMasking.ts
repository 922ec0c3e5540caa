import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { maskFormattedError } from '@chatgraph/kit';
import type { RouterContext } from './context';

const PROTOCOL_CODES = new Set(['PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED']);

/**
 * The router's error boundary: the kit's masking rule (`maskFormattedError`, the same one every
 * subgraph applies), so a coded error keeps its code and message whether the router or a
 * subgraph raised it (the gateway's `downstreamServiceError` keeps subgraph codes), Apollo's
 * client-error codes become BAD_USER_INPUT, and anything else becomes INTERNAL with no message,
 * stack or subgraph detail (`maskErrors` logs it and adds the request id). The one router-only
 * rule: automatic persisted queries' codes pass as they are.
 */
export function formatRouterError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  // Automatic persisted queries are a protocol: clients resend the full query on this code.
  if (typeof code === 'string' && PROTOCOL_CODES.has(code)) return { message: formatted.message, extensions: { code } };
  return maskFormattedError(formatted);
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
    context.log.error(
      { err: originalOf(error), path: error instanceof GraphQLError ? error.path : undefined, subgraph: extensions?.serviceName },
      'internal error',
    );
    return { ...formatted, extensions: { code: 'INTERNAL', requestId: context.requestId } };
  });
}
