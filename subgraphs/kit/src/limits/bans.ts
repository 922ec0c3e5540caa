import { codedError } from '../errors';
import type { Logger } from '../logger';
import type { KvStore, Unsubscribe } from '../kv/port';
import { isPrincipalKey } from './subject';

/** Why a violation is counted. */
export type ViolationReason = 'rate-limited' | 'bad-credentials' | 'abusive-payload';

/** An active ban. */
export interface Ban {
  /** `user:<id>`, `apiKey:<id>` or `ip:<address>`. */
  principal: string;
  reason: ViolationReason;
  /** Epoch ms when it was issued and when it ends. */
  since: number;
  until: number;
  /** How many bans this principal got within `strikesMs` (1 for the first): the duration doubles with each. */
  strikes: number;
}

export interface BanRegistryOptions {
  kv: KvStore;
  logger: Logger;
  /** Score that bans. Default 50. */
  threshold?: number;
  /** A score decays entirely this long after its first violation (a fixed window). Default 600000 (10 min). */
  scoreWindowMs?: number;
  /** First ban's length; each later one within `strikesMs` doubles it, up to `maxBanMs`. Default 60000. */
  baseBanMs?: number;
  maxBanMs?: number;
  /** How long strikes are remembered. Default 7 days. */
  strikesMs?: number;
  /** How long a ban lookup is reused on this instance (a lift or a new ban is announced and drops it at once). Default 1000. */
  cacheMs?: number;
  now?: () => number;
}

const LOG = 'limits:bans';
const CHANNEL = 'limits:bans:changed';
const CACHE_MAX = 50_000;
const banKey = (principal: string) => `limits:ban:${principal}`;
const scoreKey = (principal: string) => `limits:score:${principal}`;
const strikesKey = (principal: string) => `limits:strikes:${principal}`;

/**
 * Violation scores and bans, shared through the kv by every router. Each refusal, bad credential
 * or abusive payload adds to the principal's score; at `threshold` the principal is banned for
 * `baseBanMs`, doubling with each ban in `strikesMs` (so a persistent abuser is kept out longer,
 * and a one-off burst costs a minute). ADMIN lists and lifts bans (LibreChat issue #2851: bans
 * nobody could lift). Lookups are cached for `cacheMs` so the request path costs no round trip
 * for a principal seen in the last second; changes are announced so caches drop at once.
 */
export class BanRegistry {
  private readonly cache = new Map<string, { ban: Ban | null; at: number }>();
  private unsubscribe: Unsubscribe | undefined;
  private readonly threshold: number;
  private readonly scoreWindowMs: number;
  private readonly baseBanMs: number;
  private readonly maxBanMs: number;
  private readonly strikesMs: number;
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(private readonly options: BanRegistryOptions) {
    this.threshold = options.threshold ?? 50;
    this.scoreWindowMs = options.scoreWindowMs ?? 600_000;
    this.baseBanMs = options.baseBanMs ?? 60_000;
    this.maxBanMs = options.maxBanMs ?? 86_400_000;
    this.strikesMs = options.strikesMs ?? 7 * 86_400_000;
    this.cacheMs = options.cacheMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Follows ban changes of every instance (a lift anywhere reaches this cache at once). */
  async start(): Promise<void> {
    try {
      this.unsubscribe = await this.options.kv.subscribe(CHANNEL, (principal) => {
        this.cache.delete(principal);
      });
    } catch (err) {
      // A kv down at start: lookups then fail (and let requests through) until it answers; a
      // lift reaches this instance's cache after `cacheMs` instead of at once.
      this.options.logger.warn({ err }, 'ban announcements unavailable');
    }
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /**
   * The principal's ban as this instance's cache knows it when that answer is fresh (null: not
   * banned), undefined when only the kv can tell (`banOf`). Lets the request path skip a promise
   * for the principals seen in the last `cacheMs`, which under load is nearly all of them.
   */
  cachedBan(principal: string): Ban | null | undefined {
    const cached = this.cache.get(principal);
    if (!cached) return undefined;
    const now = this.now();
    if (now - cached.at >= this.cacheMs) return undefined;
    return cached.ban && cached.ban.until > now ? cached.ban : null;
  }

  /** The principal's ban, if any: from this instance's cache when fresh, else from the kv. Throws when the kv is down. */
  async banOf(principal: string): Promise<Ban | null> {
    const known = this.cachedBan(principal);
    if (known !== undefined) return known;
    const now = this.now();
    const raw = await this.options.kv.get(banKey(principal));
    const ban = raw ? (JSON.parse(raw) as Ban) : null;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(principal, { ban, at: now });
    return ban && ban.until > now ? ban : null;
  }

  /** Adds `weight` to the principal's score; bans it when the score reaches the threshold. Resolves the new ban, if this call issued one. */
  async violation(principal: string, reason: ViolationReason, weight = 1): Promise<Ban | null> {
    const { kv } = this.options;
    const score = await kv.incrBy(scoreKey(principal), weight, { ttlMs: this.scoreWindowMs });
    if (score < this.threshold) return null;
    const strikes = await kv.incrBy(strikesKey(principal), 1, { ttlMs: this.strikesMs });
    const lengthMs = Math.min(this.maxBanMs, this.baseBanMs * 2 ** Math.min(30, strikes - 1));
    const since = this.now();
    const ban: Ban = { principal, reason, since, until: since + lengthMs, strikes };
    // One ban per crossing, even when several instances cross the threshold at once.
    if (!(await kv.set(banKey(principal), JSON.stringify(ban), { ttlMs: lengthMs, ifAbsent: true }))) {
      await kv.incrBy(strikesKey(principal), -1);
      return null;
    }
    await kv.del(scoreKey(principal));
    await kv.append(LOG, { principal }, { maxLen: 10_000 });
    await kv.publish(CHANNEL, principal);
    this.cache.set(principal, { ban, at: since });
    this.options.logger.warn({ principal, reason, strikes, untilMs: ban.until, lengthMs }, 'principal banned');
    return ban;
  }

  /** Active bans, newest first. */
  async listBans(): Promise<Ban[]> {
    const entries = await this.options.kv.read(LOG);
    const principals = [
      ...new Set(
        entries
          .map((e) => e.fields.principal)
          .filter((p): p is string => !!p)
          .reverse(),
      ),
    ];
    const now = this.now();
    const bans: Ban[] = [];
    for (const principal of principals) {
      const raw = await this.options.kv.get(banKey(principal));
      if (raw) {
        const ban = JSON.parse(raw) as Ban;
        if (ban.until > now) bans.push(ban);
      }
    }
    return bans.sort((a, b) => b.since - a.since);
  }

  /**
   * Lifts the principal's ban and clears its score (its strikes stay, so a repeat offender's next
   * ban is still longer). Every instance drops its cached answer at once. Resolves whether a ban was active.
   */
  async liftBan(principal: string): Promise<boolean> {
    if (!isPrincipalKey(principal))
      throw codedError('BAD_USER_INPUT', 'principal must look like user:<id>, apiKey:<id> or ip:<address>', { field: 'principal' });
    const existed = await this.options.kv.del(banKey(principal));
    await this.options.kv.del(scoreKey(principal));
    await this.options.kv.publish(CHANNEL, principal);
    this.cache.delete(principal);
    if (existed) this.options.logger.info({ principal }, 'ban lifted');
    return existed;
  }
}
