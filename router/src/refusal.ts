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
export function refusal(code: ErrorCode, message: string, details: ErrorDetails = {}, status: number = ERROR_CODES[code].http, headers?: Record<string, string>): Refusal {
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
