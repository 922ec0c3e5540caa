import { encodePrincipalRecord, PRINCIPAL_KEYS, type AccountStatus, type Logger, type Role } from '@chatgraph/kit';
import type { KeyValues } from '@chatgraph/kit/kv';
import type { IdentityCollections } from './store';

/** Users read per page while re-publishing the whole directory. */
const PAGE = 500;
/**
 * A revocation marker outlives the last access token it could concern by this much, so clock
 * skew between identity and the routers cannot open a gap.
 */
const MARKER_MARGIN_MS = 60_000;

export interface PrincipalDirectoryOptions {
  accessTokenTtlSeconds: number;
  now: () => Date;
  logger: Logger;
}

/**
 * Identity's side of the principal directory (kit `principalRecords.ts`): every change that must
 * reach the routers within seconds is written to the shared kv right after the store write.
 *
 * A kv write that fails does not fail the caller's operation (the store already holds the truth):
 * the directory is marked dirty and `ensure()` — run at start and every few seconds — re-publishes
 * all of it. `ensure()` also re-publishes when the `ready` marker is missing, i.e. when the kv
 * lost its data (a Redis restart without persistence, or the embedded kv of a new process).
 * Without a kv (some tests) nothing is published and routers do not enforce the directory.
 */
export class PrincipalDirectory {
  private dirty = true;
  private publishing: Promise<void> | undefined;
  /**
   * Live writes made while the whole directory is being re-published: re-applied at its end, so a
   * change that lands between the re-publication's read of a user and its write is not undone.
   */
  private liveWrites: Map<string, { value: string; ttlMs: number | undefined }> | undefined;

  constructor(
    private readonly kv: KeyValues | undefined,
    private readonly collections: IdentityCollections,
    private readonly options: PrincipalDirectoryOptions,
  ) {}

  /** Publishes a user's status and role. */
  user(user: { _id: string; role: Role; status?: AccountStatus }): Promise<void> {
    return this.write(PRINCIPAL_KEYS.user(user._id), encodePrincipalRecord({ status: user.status ?? 'active', role: user.role }));
  }

  /** Marks sessions logged out for as long as their access tokens could still be unexpired. */
  async sessionsRevoked(sessionIds: readonly string[]): Promise<void> {
    const ttlMs = this.options.accessTokenTtlSeconds * 1000 + MARKER_MARGIN_MS;
    await Promise.all(sessionIds.map((id) => this.write(PRINCIPAL_KEYS.revokedSession(id), '1', ttlMs)));
  }

  /** Marks an API key revoked until it would have expired anyway (for ever when it never expires). */
  apiKeyRevoked(apiKeyId: string, expiresAt: Date | null): Promise<void> {
    const ttlMs = expiresAt ? expiresAt.getTime() - this.options.now().getTime() + MARKER_MARGIN_MS : undefined;
    return this.write(PRINCIPAL_KEYS.revokedApiKey(apiKeyId), '1', ttlMs);
  }

  /** Re-publishes everything when a write failed or the kv lost the directory. Never throws. */
  async ensure(): Promise<void> {
    if (!this.kv) return;
    try {
      if (!this.dirty && (await this.kv.get(PRINCIPAL_KEYS.ready)) !== null) return;
      this.publishing ??= this.publishAll().finally(() => (this.publishing = undefined));
      await this.publishing;
    } catch (err) {
      this.options.logger.error({ err }, 'principal directory could not be published; retrying');
    }
  }

  /** Every user, every session revoked within an access-token lifetime, every revoked unexpired API key; then `ready`. */
  private async publishAll(): Promise<void> {
    const kv = this.kv;
    if (!kv) return;
    this.dirty = false;
    this.liveWrites = new Map();
    try {
      await this.publishEverything(kv);
    } finally {
      this.liveWrites = undefined;
    }
  }

  private async publishEverything(kv: KeyValues): Promise<void> {
    const now = this.options.now();
    let users = 0;
    for (let skip = 0; ; skip += PAGE) {
      const page = await this.collections.users.find({}, { sort: { _id: 1 }, skip, limit: PAGE });
      await Promise.all(
        page.map((user) =>
          kv.set(PRINCIPAL_KEYS.user(user._id), encodePrincipalRecord({ status: user.status ?? 'active', role: user.role })),
        ),
      );
      users += page.length;
      if (page.length < PAGE) break;
    }
    const since = new Date(now.getTime() - this.options.accessTokenTtlSeconds * 1000 - MARKER_MARGIN_MS);
    const sessions = await this.collections.sessions.find({ revokedAt: { $gt: since } });
    const ttlMs = this.options.accessTokenTtlSeconds * 1000 + MARKER_MARGIN_MS;
    await Promise.all(
      sessions.map((s) =>
        kv.set(PRINCIPAL_KEYS.revokedSession(s._id), '1', { ttlMs: Math.max(1, (s.revokedAt?.getTime() ?? 0) + ttlMs - now.getTime()) }),
      ),
    );
    const keys = await this.collections.apiKeys.find({ revokedAt: { $ne: null }, $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }] });
    await Promise.all(
      keys.map((k) =>
        kv.set(
          PRINCIPAL_KEYS.revokedApiKey(k._id),
          '1',
          k.expiresAt ? { ttlMs: k.expiresAt.getTime() - now.getTime() + MARKER_MARGIN_MS } : undefined,
        ),
      ),
    );
    for (const [key, { value, ttlMs }] of this.liveWrites ?? []) await kv.set(key, value, ttlMs ? { ttlMs } : undefined);
    // Last: a router trusts the directory only once all of it is there.
    await kv.set(PRINCIPAL_KEYS.ready, String(now.getTime()));
    this.options.logger.info({ users, revokedSessions: sessions.length, revokedApiKeys: keys.length }, 'principal directory published');
  }

  private async write(key: string, value: string, ttlMs?: number): Promise<void> {
    if (!this.kv) return;
    const ttl = ttlMs && ttlMs > 0 ? Math.ceil(ttlMs) : undefined;
    this.liveWrites?.set(key, { value, ttlMs: ttl });
    try {
      await this.kv.set(key, value, ttl ? { ttlMs: ttl } : undefined);
    } catch (err) {
      this.dirty = true;
      this.options.logger.error({ err, key }, 'principal directory write failed; it will be re-published');
    }
  }
}
