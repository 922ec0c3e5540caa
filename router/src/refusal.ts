import { GraphQLError } from 'graphql';
import { ERROR_CODES, type ErrorCode, type ErrorDetails } from '@chatgraph/kit';

/**
 * A coded error raised by a router plugin before execution. `extensions.http` sets the response
 * status (Apollo strips it from the body), so a refused operation gets 400/403 rather than the
 * 500 Apollo uses for errors thrown from plugins.
 */
export function refusal(code: ErrorCode, message: string, details: ErrorDetails = {}): GraphQLError {
  return new GraphQLError(message, {
    extensions: { ...details, code, http: { status: ERROR_CODES[code].http } },
  });
}
