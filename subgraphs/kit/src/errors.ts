import { GraphQLError } from 'graphql';

/**
 * The one registry of error codes clients see (docs/api.md, "Errors"). Every error a service raises on purpose
 * is built here; anything else reaching the boundary is masked as INTERNAL.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: { http: 401, message: 'Authentication required' },
  FORBIDDEN: { http: 403, message: 'Not allowed' },
  NOT_FOUND: { http: 404, message: 'Not found' },
  BAD_USER_INPUT: { http: 400, message: 'Invalid input' },
  CONFLICT: { http: 409, message: 'Conflict' },
  RATE_LIMITED: { http: 429, message: 'Too many requests' },
  PAYMENT_REQUIRED: { http: 402, message: 'No credits left' },
  PAYLOAD_TOO_LARGE: { http: 413, message: 'Request too large' },
  UNAVAILABLE: { http: 503, message: 'A dependency is unavailable, try again' },
  INTERNAL: { http: 500, message: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** Extra, client-safe detail: the offending `field`, `retryAfterSeconds`, limits... */
export type ErrorDetails = Record<string, string | number | boolean | null | string[]>;

/** Builds the `GraphQLError` for a code. Messages must be safe to show a user. */
export function codedError(code: ErrorCode, message?: string, details?: ErrorDetails): GraphQLError {
  return new GraphQLError(message ?? ERROR_CODES[code].message, {
    extensions: { ...details, code },
  });
}

/** Apollo's own client-error codes, reported to clients as BAD_USER_INPUT. */
const CLIENT_ERROR_ALIASES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/** The code an error carries, if it is one we recognise as deliberate. */
export function knownCode(extensions: Record<string, unknown> | undefined): ErrorCode | undefined {
  const code = extensions?.code;
  if (isErrorCode(code)) return code;
  if (typeof code === 'string' && CLIENT_ERROR_ALIASES.has(code)) return 'BAD_USER_INPUT';
  return undefined;
}
