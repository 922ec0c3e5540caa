import { sendJson, type Logger, type Route, type SubgraphOptions } from '@chatgraph/kit';
import type { IdentityContext } from './context';
import type { IdentityService } from './service';

type SignedRoute = NonNullable<SubgraphOptions<IdentityContext>['signedRoutes']>[number];

/** Where the router (and anyone) fetches the public keys that verify access tokens. */
export const JWKS_PATH = '/.well-known/jwks.json';
/** Where the router exchanges an API key for the principal it stands for. */
export const API_KEY_VERIFY_PATH = '/internal/api-keys/verify';

/** Public: the JWKS. Verifiers may cache it for a minute and should refetch when they meet an unknown `kid`. */
export function jwksRoute(service: IdentityService): Route {
  return {
    method: 'GET',
    path: JWKS_PATH,
    async handler(_req, res) {
      sendJson(res, 200, await service.jwks(), { 'cache-control': 'public, max-age=60' });
    },
  };
}

function keyFromBody(body: Buffer): string | null {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (parsed !== null && typeof parsed === 'object' && typeof (parsed as { key?: unknown }).key === 'string')
      return (parsed as { key: string }).key;
  } catch {
    // Not JSON: answered as an invalid key below.
  }
  return null;
}

/**
 * Router-only (signed, and the signed principal must be a service): `{ key }` -> 200
 * `{ principal }` or 401 `{ error: 'invalid api key' }`. Every failure gets the same answer so
 * the route cannot be used to learn which key ids exist.
 */
export function apiKeyVerifyRoute(service: IdentityService, logger: Logger): SignedRoute {
  return {
    method: 'POST',
    path: API_KEY_VERIFY_PATH,
    async handler(req, res, principal) {
      if (principal.kind !== 'service') {
        logger.warn({ principal: principal.kind }, 'API key verification refused: caller is not a service');
        sendJson(res, 403, { error: 'forbidden' });
        return;
      }
      const key = keyFromBody(req.body);
      const verified = key === null ? null : await service.verifyApiKey(key);
      if (!verified) {
        sendJson(res, 401, { error: 'invalid api key' });
        return;
      }
      sendJson(res, 200, { principal: verified }, { 'cache-control': 'no-store' });
    },
  };
}
