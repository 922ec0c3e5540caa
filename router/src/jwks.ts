import type { KeyObject } from 'node:crypto';
import { HttpError, publicKeyFromJwk, type Logger, type PublicJwk } from '@chatgraph/kit';

export interface JwksCacheOptions {
  /** `<IDENTITY_URL>/.well-known/jwks.json`. */
  url: string;
  /** How long fetched keys are trusted before they are fetched again. */
  cacheMs: number;
  /**
   * Least time between two fetches caused by an unknown `kid`. A new signing key is picked up at
   * once, but tokens with made-up kids cannot make the router hammer identity.
   */
  minRefetchIntervalMs: number;
  timeoutMs: number;
  logger: Logger;
}

function isPublicJwk(value: unknown): value is PublicJwk {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.kid === 'string' && v.kty === 'OKP' && v.crv === 'Ed25519' && typeof v.x === 'string';
}

/**
 * Identity's public signing keys, fetched on first use and cached. When identity cannot be
 * reached the cached keys keep working (stale) so a short identity outage does not log everyone
 * out; only a router that never got the keys answers UNAVAILABLE.
 */
export class JwksCache {
  private keys: Map<string, KeyObject> | undefined;
  private fetchedAt = 0;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private lastKidRefetchAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<Map<string, KeyObject>> | undefined;

  constructor(private readonly options: JwksCacheOptions) {}

  /** The key for `kid`, or undefined when identity does not publish it. Throws UNAVAILABLE when identity cannot be asked. */
  async keyFor(kid: string): Promise<KeyObject | undefined> {
    const fetchedBefore = this.fetchedAt;
    const keys = await this.currentKeys();
    const key = keys.get(kid);
    // Keys fetched while this call waited are as fresh as a refetch would be.
    if (key || this.fetchedAt !== fetchedBefore) return key;
    const now = Date.now();
    if (now - this.lastKidRefetchAt < this.options.minRefetchIntervalMs) return undefined;
    this.lastKidRefetchAt = now;
    return (await this.refresh()).get(kid);
  }

  private async currentKeys(): Promise<Map<string, KeyObject>> {
    const now = Date.now();
    if (this.keys && now - this.fetchedAt < this.options.cacheMs) return this.keys;
    // Past the TTL: refresh, but while identity is failing serve the stale keys without retrying on every request.
    if (this.keys && now - this.lastFailureAt < this.options.minRefetchIntervalMs) return this.keys;
    try {
      return await this.refresh();
    } catch (err) {
      if (!this.keys) throw err;
      this.options.logger.warn({ err }, 'could not refresh the JWKS; using the cached keys');
      return this.keys;
    }
  }

  /** One fetch at a time: concurrent callers share it. */
  private refresh(): Promise<Map<string, KeyObject>> {
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<Map<string, KeyObject>> {
    let listed: unknown[];
    try {
      const res = await fetch(this.options.url, { signal: AbortSignal.timeout(this.options.timeoutMs) });
      if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
      const body: unknown = await res.json();
      const keys = body !== null && typeof body === 'object' ? (body as { keys?: unknown }).keys : undefined;
      if (!Array.isArray(keys)) throw new Error('JWKS has no keys array');
      listed = keys;
    } catch (err) {
      this.lastFailureAt = Date.now();
      this.options.logger.error({ err, url: this.options.url }, 'JWKS fetch failed');
      throw new HttpError('UNAVAILABLE', 'Authentication is unavailable, try again');
    }
    const keys = new Map<string, KeyObject>();
    for (const jwk of listed) {
      if (!isPublicJwk(jwk)) continue;
      try {
        keys.set(jwk.kid, publicKeyFromJwk(jwk));
      } catch (err) {
        this.options.logger.warn({ err, kid: jwk.kid }, 'ignoring an unusable JWK');
      }
    }
    this.keys = keys;
    this.fetchedAt = Date.now();
    return keys;
  }
}
