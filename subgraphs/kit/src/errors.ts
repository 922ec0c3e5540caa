import { GraphQLError } from 'graphql';

/** What a code means to a client: the default message, the HTTP status of a refusal, when to use it, whether to retry. */
export interface ErrorCodeInfo {
  /** The HTTP status when a request is refused with this code (before execution). */
  readonly http: number;
  /** The default message, safe to show a user. */
  readonly message: string;
  /** When a service raises it (a sentence or two, Markdown): the row of the docs/api.md table. */
  readonly meaning: string;
  /** Whether and when the client may retry (Markdown). */
  readonly retry: string;
}

/**
 * The one registry of error codes clients see. Every error a service raises on purpose is built
 * here; anything else reaching the boundary is masked as INTERNAL. The table in docs/api.md
 * ("Errors") is generated from it by `pnpm docs:errors` (CI checks it with `--check`), so a new
 * code or a changed meaning is edited here only.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: {
    http: 401,
    message: 'Authentication required',
    meaning:
      'No valid credentials: bad, expired or revoked token or key; a call that needs a signed-in user; wrong email or password; an ended session',
    retry: 'After signing in again or `refreshSession`',
  },
  FORBIDDEN: {
    http: 403,
    message: 'Not allowed',
    meaning:
      "Signed in but not allowed: ADMIN-only, another user's private field or stream, an API key without `write` (`requiredScope`) or doing what only a session may",
    retry: 'No',
  },
  NOT_FOUND: { http: 404, message: 'Not found', meaning: 'The thing does not exist or is not yours (mutations, streams)', retry: 'No' },
  BAD_USER_INPUT: {
    http: 400,
    message: 'Invalid input',
    meaning:
      'Invalid input (`field` names it), a parse or validation error, an operation over a limit (`limit`, `max`, `actual`), a malformed request',
    retry: 'No, fix the request',
  },
  CONFLICT: {
    http: 409,
    message: 'Conflict',
    meaning:
      'The state does not allow it now: email taken, too many API keys, demoting the last ADMIN, sending while an answer is still pending, a concurrent send',
    retry: 'After the state changes (e.g. the answer ends)',
  },
  RATE_LIMITED: {
    http: 429,
    message: 'Too many requests',
    meaning:
      'Over a rate limit (`policy` names it; e.g. 7 sign-ins per 5 minutes per account, 40 messages per minute per user), banned for repeated refusals (`banned: true`), an account locked after 10 failed sign-ins (`locked: true`: the e-mailed password reset unlocks it), or too many subscriptions. `retryAfterSeconds` (and the `Retry-After` header) says when to retry',
    retry: 'Yes, after `retryAfterSeconds`',
  },
  PAYMENT_REQUIRED: {
    http: 402,
    message: 'No credits left',
    meaning:
      "No credits left: `sendMessage`, `editMessage` or `regenerateMessage` while the caller's balance is at or below zero (`credits` gives it), when the deployment sets `BALANCE_ENFORCED`",
    retry: "After an ADMIN's `grantCredits`",
  },
  PAYLOAD_TOO_LARGE: { http: 413, message: 'Request too large', meaning: 'The request body is over `MAX_BODY_BYTES`', retry: 'No' },
  UNAVAILABLE: {
    http: 503,
    message: 'A dependency is unavailable, try again',
    meaning:
      'A dependency is down or silent (a subgraph, identity for key checks, a store, the rate-limit kv for a fail-closed policy such as `login`: `Retry-After: 1`); the rest of the response is still served',
    retry: 'Yes, with backoff',
  },
  INTERNAL: {
    http: 500,
    message: 'Internal error',
    meaning: 'Anything unexpected; no internals leak; `requestId` identifies the log entry',
    retry: 'Reads may be retried; report the `requestId` if it persists',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

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
