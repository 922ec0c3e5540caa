import { newId } from '@chatgraph/kit';
import type { Collection } from '@chatgraph/kit/store';
import type { AccountTokenDoc, AccountTokenPurpose } from './store';
import { randomSecret, sha256Hex } from './tokens';

/** Longer input than any token we issue is not hashed, just refused. */
const MAX_TOKEN_LENGTH = 128;

/**
 * Single-use tokens sent by mail. Only their hash is stored; using one is one conditional write
 * (unused and unexpired -> used), so a token works once even when presented twice at once.
 */
export class AccountTokens {
  constructor(
    private readonly tokens: Collection<AccountTokenDoc>,
    private readonly now: () => Date,
  ) {}

  /** Stores a new token for `user` and returns it (to be mailed, never stored in clear). */
  async issue(purpose: AccountTokenPurpose, user: { _id: string; email: string }, ttlMs: number, token = randomSecret()): Promise<string> {
    const now = this.now();
    await this.tokens.insertOne({
      _id: newId(),
      purpose,
      userId: user._id,
      email: user.email,
      tokenHash: sha256Hex(token),
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttlMs),
      usedAt: null,
    });
    return token;
  }

  /**
   * One store round trip shaped like `issue`, for an address without an account: the caller's
   * response then takes as long whether or not the account exists.
   */
  async issueForNobody(token = randomSecret()): Promise<void> {
    await this.tokens.findOne({ tokenHash: sha256Hex(token) });
  }

  /** The token's record if it is valid now, without using it (to check input before spending it). */
  async peek(purpose: AccountTokenPurpose, token: string): Promise<AccountTokenDoc | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    return this.tokens.findOne({ tokenHash: sha256Hex(token), purpose, usedAt: null, expiresAt: { $gt: this.now() } });
  }

  /** Marks the token used and returns its record, or null when it is unknown, used or expired. */
  async consume(purpose: AccountTokenPurpose, token: string): Promise<AccountTokenDoc | null> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    const now = this.now();
    return this.tokens.findOneAndUpdate(
      { tokenHash: sha256Hex(token), purpose, usedAt: null, expiresAt: { $gt: now } },
      { $set: { usedAt: now } },
      { returnDocument: 'after' },
    );
  }

  /** Spends every outstanding token of a kind for a user (e.g. other reset links after a reset). */
  async spendAll(userId: string, purpose: AccountTokenPurpose): Promise<void> {
    await this.tokens.updateMany({ userId, purpose, usedAt: null }, { $set: { usedAt: this.now() } });
  }
}
