import { ANONYMOUS, HttpError, JwtError, peekKid, verifyJwt, type Principal } from '@chatgraph/kit';
import { API_KEY_PREFIX, type ApiKeyVerifier } from './apiKeys';
import type { JwksCache } from './jwks';
import type { PrincipalGuard } from './principalGuard';
import { TtlCache } from './ttlCache';

/** Turns a request's `Authorization` header into the caller's principal. */
export interface Authenticator {
  /**
   * No header: anonymous (subgraphs decide what anonymous callers may do). A bearer JWT or API
   * key: that user. Throws `HttpError` UNAUTHENTICATED for a bad credential, UNAVAILABLE when
   * identity cannot be asked.
   */
  authenticate(authorization: string | undefined): Promise<Principal>;
}

/** Longest credential looked at; anything longer is refused without asking identity. */
const MAX_CREDENTIAL_LENGTH = 4096;

/**
 * An Ed25519 verification is the largest share of the router's own per-request CPU, and a client
 * sends the same access token many times: a verified token is remembered until it expires, but
 * at most this long, so a key withdrawn from the JWKS stops working soon after.
 */
const VERIFIED_TOKEN_TTL_MS = 60_000;

function invalid(message = 'Invalid or expired credentials'): HttpError {
  return new HttpError('UNAUTHENTICATED', message);
}

/**
 * Authenticates with identity's JWKS for access tokens and identity's verify route for API keys,
 * then (with `principals`) checks the account, session or key against identity's principal
 * directory: a verified credential of a logged-out, disabled or deleted principal is refused.
 */
export function createAuthenticator(deps: { jwks: JwksCache; apiKeys: ApiKeyVerifier; principals?: PrincipalGuard }): Authenticator {
  const verified = new TtlCache<Principal>(10_000);

  const fromJwt = async (token: string): Promise<Principal> => {
    const known = verified.get(token);
    if (known) return known;
    try {
      const key = await deps.jwks.keyFor(peekKid(token));
      if (!key) throw invalid();
      const claims = verifyJwt(token, key);
      const principal: Principal = { kind: 'user', userId: claims.sub, role: claims.role, via: 'jwt', sessionId: claims.sid };
      verified.set(token, principal, Math.min(claims.exp * 1000, Date.now() + VERIFIED_TOKEN_TTL_MS));
      return principal;
    } catch (err) {
      if (err instanceof JwtError) throw invalid(err.reason === 'expired' ? 'Access token expired' : undefined);
      throw err;
    }
  };

  const verify = async (credential: string): Promise<Principal> => {
    if (!credential.startsWith(API_KEY_PREFIX)) return fromJwt(credential);
    const principal = await deps.apiKeys.verify(credential);
    if (!principal) throw invalid('Invalid or revoked API key');
    return principal;
  };

  return {
    async authenticate(authorization) {
      const header = authorization?.trim();
      if (!header) return ANONYMOUS;
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const credential = match?.[1];
      if (!credential) throw invalid('Authorization must be "Bearer <token>"');
      if (credential.length > MAX_CREDENTIAL_LENGTH) throw invalid();
      const principal = await verify(credential);
      return deps.principals ? deps.principals.check(principal) : principal;
    },
  };
}
