import { createHash } from 'node:crypto';
import { HttpError, parsePrincipal, signRequest, type Logger, type UserPrincipal } from '@chatgraph/kit';
import { ROUTER_PRINCIPAL } from './context';
import { TtlCache } from './ttlCache';

/** API keys are `cgk_<id>_<secret>`; the prefix tells them apart from JWTs. */
export const API_KEY_PREFIX = 'cgk_';

export interface ApiKeyVerifierOptions {
  /** `<IDENTITY_URL>/internal/api-keys/verify`. */
  url: string;
  signingSecret: string;
  /** How long an answer (valid or refused) is reused; bounds how late a revocation takes effect. */
  cacheMs: number;
  /** Most keys remembered; the oldest entry goes first. */
  maxEntries?: number;
  timeoutMs: number;
  logger: Logger;
}

/**
 * Verifies API keys with identity (a signed call as the router) and caches each answer briefly,
 * so a busy integrator costs identity one call per key per `cacheMs`, not one per request.
 * The cache is keyed by a hash of the key so secrets are not kept as map keys.
 */
export class ApiKeyVerifier {
  private readonly cache: TtlCache<UserPrincipal | null>;
  private readonly inFlight = new Map<string, Promise<UserPrincipal | null>>();

  constructor(private readonly options: ApiKeyVerifierOptions) {
    this.cache = new TtlCache(options.maxEntries ?? 10_000);
  }

  /** The key's user, null when identity refuses it; throws UNAVAILABLE when identity cannot answer. */
  async verify(key: string): Promise<UserPrincipal | null> {
    const id = createHash('sha256').update(key).digest('hex');
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = this.ask(key)
        .then((principal) => {
          if (this.options.cacheMs > 0) this.cache.set(id, principal, Date.now() + this.options.cacheMs);
          return principal;
        })
        .finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }

  private async ask(key: string): Promise<UserPrincipal | null> {
    const body = JSON.stringify({ key });
    let res: Response;
    try {
      res = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signRequest(this.options.signingSecret, ROUTER_PRINCIPAL, body) },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      this.options.logger.error({ err, url: this.options.url }, 'API key verification unreachable');
      throw new HttpError('UNAVAILABLE', 'Authentication is unavailable, try again');
    }
    if (res.status === 401 || res.status === 403 || res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    const payload: unknown = res.ok ? await res.json().catch(() => undefined) : undefined;
    const principal = parsePrincipal(
      payload !== null && typeof payload === 'object' ? (payload as { principal?: unknown }).principal : undefined,
    );
    if (!res.ok || !principal || principal.kind !== 'user' || principal.via !== 'apiKey') {
      this.options.logger.error({ status: res.status }, 'API key verification gave an unexpected answer');
      throw new HttpError('UNAVAILABLE', 'Authentication is unavailable, try again');
    }
    return principal;
  }
}
