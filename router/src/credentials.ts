import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from '@chatgraph/kit';
import { API_KEY_PREFIX } from './apiKeys';

/**
 * Where clients put credentials, turned into the one `Authorization` value the authenticator
 * reads. Over HTTP: `Authorization`, or an API key in `X-API-Key` (as many API clients send it).
 * In graphql-ws's `connection_init`: the shapes client libraries and their users actually send.
 */

/** A `Bearer` value for a token given with or without its scheme. */
function asBearer(token: string): string {
  return /^Bearer\s/i.test(token.trim()) ? token : `Bearer ${token.trim()}`;
}

/**
 * The request's credential as an `Authorization` value; undefined for an anonymous request.
 * Throws UNAUTHENTICATED for an `X-API-Key` that is not an API key, or one sent alongside
 * `Authorization`: never guessed at, never silently anonymous.
 */
export function httpAuthorization(headers: IncomingHttpHeaders): string | undefined {
  const apiKey = headers['x-api-key'];
  if (apiKey === undefined) return headers.authorization;
  const key = (Array.isArray(apiKey) ? apiKey.join(',') : apiKey).trim();
  if (!key.startsWith(API_KEY_PREFIX) || /[\s,]/.test(key))
    throw new HttpError('UNAUTHENTICATED', `X-API-Key must hold one API key (${API_KEY_PREFIX}...)`);
  if (headers.authorization !== undefined)
    throw new HttpError('UNAUTHENTICATED', 'Send one credential: either Authorization or X-API-Key, not both');
  return `Bearer ${key}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Keys of `connection_init`'s payload (and of its `headers` object) that may carry the credential. */
const PARAM_KEYS = ['authorization', 'Authorization', 'token', 'x-api-key', 'X-API-Key', 'apiKey'] as const;

/**
 * The credential of a graphql-ws `connection_init` payload as an `Authorization` value:
 * `authorization`, `Authorization`, `headers.authorization` (or `Authorization`), `token`, an API
 * key in `x-api-key`/`apiKey`; with `Bearer ` or bare. Undefined when none is given (anonymous);
 * null when the payload is unusable (a non-string value, or two different credentials).
 */
export function socketAuthorization(params: Record<string, unknown> | undefined): string | undefined | null {
  if (!params) return undefined;
  const found = new Set<string>();
  for (const source of [params, isRecord(params.headers) ? params.headers : {}]) {
    for (const key of PARAM_KEYS) {
      const value = source[key];
      if (value === undefined || value === null || value === '') continue;
      if (typeof value !== 'string') return null;
      found.add(asBearer(value));
    }
  }
  if (found.size > 1) return null;
  return found.values().next().value;
}
