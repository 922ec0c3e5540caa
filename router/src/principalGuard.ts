import {
  HttpError,
  parsePrincipalRecord,
  PRINCIPAL_KEYS,
  type Logger,
  type Principal,
  type Role,
  type UserPrincipal,
} from '@chatgraph/kit';
import type { KeyValues } from '@chatgraph/kit/kv';
import { TtlCache } from './ttlCache';

export interface PrincipalGuardOptions {
  /** The kv identity publishes the principal directory in (Redis shared by every router in production). */
  kv: KeyValues;
  /** How long a directory read is reused: a revocation reaches this router within about this long. */
  cacheMs: number;
  logger: Logger;
  /** Most directory entries remembered. Default 50000. */
  maxEntries?: number;
}

/** How often the "directory not enforced" warnings may repeat. */
const WARN_EVERY_MS = 60_000;

/**
 * Checks an authenticated principal against identity's principal directory (kit
 * `principalRecords.ts`), so that a credential that still verifies cryptographically stops
 * working within seconds when its account is disabled, deleted or unknown, its session logged out
 * (logout, logoutEverywhere, password change or reset) or its API key revoked. The role in the
 * directory wins over the token's: a demoted ADMIN is a USER at the next request, not at the next
 * token refresh.
 *
 * Not enforced (signature-only, as before) while the directory is absent — no `ready` marker: a
 * router on its own embedded kv, or a kv that lost its data until identity re-publishes it — or
 * while the kv cannot be read: an outage of the kv must not take every signed-in user down. Both
 * are logged.
 */
export class PrincipalGuard {
  private readonly cache: TtlCache<string | null>;
  private readonly inFlight = new Map<string, Promise<string | null>>();
  /** The principal with its stored role, per token principal, so the signing code's encoding cache keeps working. */
  private readonly withRole = new WeakMap<Principal, UserPrincipal>();
  private warnedAt = -Infinity;

  constructor(private readonly options: PrincipalGuardOptions) {
    this.cache = new TtlCache(options.maxEntries ?? 50_000);
  }

  /**
   * The principal as it stands now: the same object when the directory agrees, one with the
   * stored role when the role changed. Throws `HttpError` UNAUTHENTICATED when it no longer stands.
   */
  async check(principal: Principal): Promise<Principal> {
    if (principal.kind !== 'user') return principal;
    let values: Array<string | null>;
    try {
      values = await Promise.all([
        this.read(PRINCIPAL_KEYS.ready),
        this.read(PRINCIPAL_KEYS.user(principal.userId)),
        this.read(revocationKey(principal)),
      ]);
    } catch (err) {
      this.warn({ err }, 'principal directory unreadable: credentials checked by signature only');
      return principal;
    }
    const [ready, raw, revoked] = values;
    if (ready === null) {
      this.warn({}, 'principal directory absent (identity publishes it in the shared kv): credentials checked by signature only');
      return principal;
    }
    const record = parsePrincipalRecord(raw ?? null);
    if (!record || record.status === 'deleted') throw refused('Invalid or expired credentials');
    if (record.status === 'disabled') throw refused('This account is disabled');
    if (revoked !== null && revoked !== undefined)
      throw refused(principal.via === 'apiKey' ? 'Invalid or revoked API key' : 'Your session has ended; sign in again');
    return record.role === principal.role ? principal : this.roleOf(principal, record.role);
  }

  private roleOf(principal: UserPrincipal, role: Role): UserPrincipal {
    const known = this.withRole.get(principal);
    if (known?.role === role) return known;
    const updated: UserPrincipal = { ...principal, role };
    this.withRole.set(principal, updated);
    return updated;
  }

  /** A directory value, read at most once per `cacheMs` per key (concurrent readers share one read). */
  private read(key: string | undefined): Promise<string | null> | null {
    if (key === undefined) return null;
    const cached = this.cache.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.options.kv
        .get(key)
        .then((value) => {
          if (this.options.cacheMs > 0) this.cache.set(key, value, Date.now() + this.options.cacheMs);
          return value;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private warn(fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    if (now - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = now;
    this.options.logger.warn(fields, message);
  }
}

/** The revocation marker that concerns this credential: its session's, or its API key's. */
function revocationKey(principal: UserPrincipal): string | undefined {
  if (principal.via === 'apiKey') return principal.apiKeyId ? PRINCIPAL_KEYS.revokedApiKey(principal.apiKeyId) : undefined;
  return principal.sessionId ? PRINCIPAL_KEYS.revokedSession(principal.sessionId) : undefined;
}

function refused(message: string): HttpError {
  return new HttpError('UNAUTHENTICATED', message);
}
