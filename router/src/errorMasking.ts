import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
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
 * stack or subgraph detail — `errorReportingPlugin` logs it and adds the request id.
 */
export function formatRouterError(formatted: GraphQLFormattedError, _error: unknown): GraphQLFormattedError {
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

function isMasked(extensions: Record<string, unknown> | undefined): boolean {
  const code = knownCode(extensions);
  return !code || code === 'INTERNAL';
}

/** Logs every error that is masked, with the request id, and gives the client that id to quote. */
export function errorReportingPlugin(): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            // The gateway passes a data source's thrown errors on as they are: not always GraphQLErrors.
            const extensions = (error as { extensions?: Record<string, unknown> }).extensions;
            if (!isMasked(extensions)) continue;
            const original = unwrapResolverError(error);
            contextValue.log.error({ err: original, path: error.path, subgraph: extensions?.serviceName }, 'internal error');
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
