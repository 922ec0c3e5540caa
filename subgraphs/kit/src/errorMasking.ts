import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { knownCode } from './errors';
import { BlobRequestError } from './blob/errors';
import type { RequestContext } from './context';
import { DependencyUnavailableError } from './dependencyUnavailable';
import { DocumentValidationError, DuplicateKeyError } from './store/errors';

/**
 * A dependency being down is the client's business only as "retry later", never its details.
 * Only the error itself counts (not its `cause` chain), as before the common base.
 */
function isDependencyDown(error: unknown): boolean {
  return error instanceof DependencyUnavailableError;
}

/**
 * Maps errors at the GraphQL boundary. Coded errors keep their code and message; store errors
 * that a client caused become CONFLICT/BAD_USER_INPUT; anything else becomes INTERNAL with no
 * message, stack or driver text (it is logged with the request id by `errorLoggingPlugin`).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const where = { ...(formatted.path ? { path: formatted.path } : {}), ...(formatted.locations ? { locations: formatted.locations } : {}) };
  if (isDependencyDown(original)) {
    return { message: 'A dependency is unavailable, try again', ...where, extensions: { code: 'UNAVAILABLE' } };
  }
  if (original instanceof BlobRequestError) {
    return { message: original.message, ...where, extensions: { code: 'BAD_USER_INPUT', field: original.field } };
  }
  if (original instanceof DuplicateKeyError) {
    return { message: 'Already exists', ...where, extensions: { code: 'CONFLICT', fields: original.fields } };
  }
  if (original instanceof DocumentValidationError) {
    const [field, reason] = Object.entries(original.fields)[0] ?? ['input', 'invalid'];
    return { message: `Invalid ${field}: ${reason}`, ...where, extensions: { code: 'BAD_USER_INPUT', field } };
  }
  return maskFormattedError(formatted);
}

/**
 * Extensions that describe a service's internals, never passed to a client: Apollo's
 * `stacktrace`/`exception`, and what the gateway adds to subgraph errors (`serviceName`) and
 * failed fetches (`response` with the raw body, `http`).
 */
const INTERNAL_EXTENSIONS = new Set(['stacktrace', 'exception', 'serviceName', 'response', 'http']);

/**
 * The masking rule of every GraphQL boundary (each subgraph's `formatError`, and the router's,
 * which imports it): an error with a registered code (or an Apollo client-error code, reported
 * as BAD_USER_INPUT) keeps its message and its client-safe extensions; anything else becomes
 * INTERNAL with no message, stack or internal detail.
 */
export function maskFormattedError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const where = { ...(formatted.path ? { path: formatted.path } : {}), ...(formatted.locations ? { locations: formatted.locations } : {}) };
  const extensions = (formatted.extensions ?? {}) as Record<string, unknown>;
  const code = knownCode(extensions);
  if (code && code !== 'INTERNAL') {
    const safe = Object.fromEntries(Object.entries(extensions).filter(([key]) => !INTERNAL_EXTENSIONS.has(key)));
    return { message: formatted.message, ...where, extensions: { ...safe, code } };
  }
  return { message: 'Internal error', ...where, extensions: { code: 'INTERNAL' } };
}

function isMasked(error: { extensions?: Record<string, unknown> }, original: unknown): boolean {
  if (original instanceof DuplicateKeyError || original instanceof DocumentValidationError || original instanceof BlobRequestError)
    return false;
  // Logged all the same: an outage is worth a line even though the client gets a clean code.
  if (isDependencyDown(original)) return true;
  const code = knownCode(error.extensions);
  return !code || code === 'INTERNAL';
}

/** Logs every error that will be masked, with the request id, and puts the id in the response. */
export function errorLoggingPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const original = unwrapResolverError(error);
            if (isMasked(error, original)) {
              contextValue.log.error({ err: original, path: error.path }, 'internal error');
            }
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          for (const e of response.body.singleResult.errors ?? []) {
            if (e.extensions?.code === 'INTERNAL') (e.extensions as Record<string, unknown>).requestId = contextValue.requestId;
          }
        },
      };
    },
  };
}
