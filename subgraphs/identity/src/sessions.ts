import { randomUUID } from 'node:crypto';
import { codedError, JWT_AUDIENCE, JWT_ISSUER, newId, signJwt, type AccessTokenClaims, type Logger, type Role } from '@chatgraph/kit';
import type { Collection } from '@chatgraph/kit/store';
import { insertWithOutbox } from '@chatgraph/kit/events';
import { sessionStarted, type SignIn } from './sessionEvents';
import type { PrincipalDirectory } from './principalDirectory';
import type { SigningKeyRing } from './signingKeys';
import type { SessionDoc } from './store';
import { makeRefreshToken, parseRefreshToken, sameDigest, sha256Hex } from './tokens';

const DAY_MS = 86_400_000;
/**
 * How many rotated-out refresh tokens a session remembers. Presenting one of them is reuse and
 * revokes the session; an older one is merely invalid. Bounded so a long session stays small.
 */
export const REMEMBERED_REFRESH_TOKENS = 20;

export interface SessionManagerOptions {
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  now: () => Date;
  logger: Logger;
  /** Where logged-out sessions are published for the routers. */
  principals: PrincipalDirectory;
}

export interface AccessToken {
  accessToken: string;
  accessTokenExpiresAt: Date;
}

export interface SessionTokens extends AccessToken {
  refreshToken: string;
  sessionId: string;
}

export type RevokeReason =
  'logout' | 'logout-everywhere' | 'password-changed' | 'password-reset' | 'refresh-token-reuse' | 'account-disabled';

const invalidRefreshToken = () => codedError('UNAUTHENTICATED', 'Invalid or expired refresh token');

/**
 * Sessions are refresh-token families. A refresh token is single-use: each use swaps the stored
 * hash for the next token's in one conditional write on the session (compare-and-swap on the
 * current hash), so two uses of the same token cannot both succeed. A token that was already
 * swapped out coming back means it was copied: the whole session is revoked, so whichever of the
 * legitimate client and the thief holds the newest token loses it too.
 */
export class SessionManager {
  constructor(
    private readonly sessions: Collection<SessionDoc>,
    private readonly keys: SigningKeyRing,
    private readonly options: SessionManagerOptions,
  ) {}

  /**
   * Starts a session for a user who just proved who they are. With `signIn`, the session carries
   * `identity.session.v1` `session.started` on its own outbox (one write: no sign-in without its
   * event, no event without its session); the caller wakes the relay.
   */
  async open(user: { _id: string; role: Role }, signIn?: SignIn): Promise<SessionTokens> {
    const now = this.options.now();
    const sessionId = newId();
    const refreshToken = makeRefreshToken(sessionId);
    const doc: SessionDoc = {
      _id: sessionId,
      userId: user._id,
      refreshHash: sha256Hex(refreshToken),
      previousHashes: [],
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + this.options.refreshTokenTtlDays * DAY_MS),
      revokedAt: null,
      revokedReason: null,
    };
    await this.sessions.insertOne(signIn ? insertWithOutbox(doc, [sessionStarted(user._id, sessionId, signIn, now)]) : doc);
    return { ...(await this.accessToken(user, sessionId)), refreshToken, sessionId };
  }

  /** Exchanges a refresh token for the next one; UNAUTHENTICATED when it is not the current one. */
  async rotate(refreshToken: string): Promise<{ userId: string; sessionId: string; refreshToken: string }> {
    const parsed = parseRefreshToken(refreshToken);
    if (!parsed) throw invalidRefreshToken();
    const hash = sha256Hex(refreshToken);
    const now = this.options.now();
    const session = await this.sessions.findById(parsed.sessionId);
    if (!session) throw invalidRefreshToken();
    if (session.previousHashes.some((old) => sameDigest(old, hash))) {
      await this.revokeForReuse(session);
      throw invalidRefreshToken();
    }
    if (session.revokedAt || session.expiresAt.getTime() <= now.getTime() || !sameDigest(session.refreshHash, hash))
      throw invalidRefreshToken();
    const next = makeRefreshToken(session._id);
    const swapped = await this.sessions.findOneAndUpdate(
      { _id: session._id, refreshHash: hash, revokedAt: null, expiresAt: { $gt: now } },
      {
        $set: {
          refreshHash: sha256Hex(next),
          previousHashes: [hash, ...session.previousHashes].slice(0, REMEMBERED_REFRESH_TOKENS),
          lastUsedAt: now,
        },
      },
      { returnDocument: 'after' },
    );
    if (!swapped) {
      // Another request used this very token between our read and our write: that is reuse too.
      await this.revokeForReuse(session);
      throw invalidRefreshToken();
    }
    return { userId: session.userId, sessionId: session._id, refreshToken: next };
  }

  /** A fresh access token for a session. The role is read by the caller from the user record. */
  async accessToken(user: { _id: string; role: Role }, sessionId: string): Promise<AccessToken> {
    const key = await this.keys.signingKey();
    const iat = Math.floor(this.options.now().getTime() / 1000);
    const exp = iat + this.options.accessTokenTtlSeconds;
    const claims: AccessTokenClaims = {
      iss: JWT_ISSUER,
      aud: JWT_AUDIENCE,
      sub: user._id,
      role: user.role,
      sid: sessionId,
      iat,
      exp,
      jti: randomUUID(),
    };
    return { accessToken: signJwt(claims, key), accessTokenExpiresAt: new Date(exp * 1000) };
  }

  /** Ends the session whose current refresh token this is. Unknown or stale tokens change nothing. */
  async revokeByToken(refreshToken: string): Promise<void> {
    const parsed = parseRefreshToken(refreshToken);
    if (!parsed) return;
    const result = await this.sessions.updateOne(
      { _id: parsed.sessionId, refreshHash: sha256Hex(refreshToken), revokedAt: null },
      { $set: { revokedAt: this.options.now(), revokedReason: 'logout' } },
    );
    // The session's access tokens stop working at the routers too, not only its refresh token.
    if (result.modifiedCount > 0) await this.options.principals.sessionsRevoked([parsed.sessionId]);
  }

  /** Ends every session of a user (their access tokens too, at every router); returns how many were still open. */
  async revokeAll(userId: string, reason: RevokeReason): Promise<number> {
    const stamp = this.options.now();
    const result = await this.sessions.updateMany({ userId, revokedAt: null }, { $set: { revokedAt: stamp, revokedReason: reason } });
    if (result.modifiedCount > 0) {
      // Read back after the write, so a session opened meanwhile and revoked by it is published too.
      const revoked = await this.sessions.find({ userId, revokedAt: { $gte: stamp } });
      await this.options.principals.sessionsRevoked(revoked.map((s) => s._id));
    }
    return result.modifiedCount;
  }

  /** Whether the session is open (not revoked, not expired) and belongs to `userId`. */
  async isActive(sessionId: string, userId: string): Promise<boolean> {
    return (await this.sessions.count({ _id: sessionId, userId, revokedAt: null, expiresAt: { $gt: this.options.now() } })) > 0;
  }

  private async revokeForReuse(session: SessionDoc): Promise<void> {
    const result = await this.sessions.updateOne(
      { _id: session._id, revokedAt: null },
      { $set: { revokedAt: this.options.now(), revokedReason: 'refresh-token-reuse' } },
    );
    if (result.modifiedCount > 0) {
      this.options.logger.warn({ sessionId: session._id, userId: session.userId }, 'refresh token reused: session revoked');
      await this.options.principals.sessionsRevoked([session._id]);
    }
  }
}
