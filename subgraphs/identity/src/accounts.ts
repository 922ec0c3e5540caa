import { codedError, DuplicateKeyError, newId, type Collection, type Logger } from '@chatgraph/kit';
import type { AccountTokens } from './accountTokens';
import { MailOutbox, passwordResetMail, verificationMail } from './mails';
import { checkNewPassword, type PasswordHasher } from './passwords';
import type { SessionManager } from './sessions';
import type { UserDoc } from './store';
import { randomSecret } from './tokens';
import type { UserDirectory } from './users';
import { normalizeEmail, validEmail, validName } from './validation';

export interface AccountFlowOptions {
  publicUrl: string;
  verificationTtlHours: number;
  resetTtlMinutes: number;
  now: () => Date;
  logger: Logger;
}

export interface AccountFlowDeps {
  users: Collection<UserDoc>;
  directory: UserDirectory;
  hasher: PasswordHasher;
  sessions: SessionManager;
  tokens: AccountTokens;
  outbox: MailOutbox;
}

const invalidCredentials = () => codedError('UNAUTHENTICATED', 'Invalid email or password');

/** Everything that involves a password or a mailed token: sign-up, sign-in, changes and recovery. */
export class AccountFlows {
  constructor(
    private readonly deps: AccountFlowDeps,
    private readonly options: AccountFlowOptions,
  ) {}

  /**
   * Creates an account and mails a verification link. A taken address is CONFLICT: sign-up has
   * to say so for the user to understand, which reveals that the address has an account; login
   * and password reset do not.
   */
  async register(input: { email: string; password: string; name: string }): Promise<UserDoc> {
    const email = validEmail(input.email);
    const name = validName(input.name);
    checkNewPassword(input.password, email, 'password');
    const now = this.options.now();
    const doc: UserDoc = { _id: newId(), email, name, role: 'USER', emailVerified: false, passwordHash: await this.deps.hasher.hash(input.password), createdAt: now, updatedAt: now };
    try {
      await this.deps.users.insertOne(doc);
    } catch (err) {
      if (err instanceof DuplicateKeyError) throw codedError('CONFLICT', 'An account with this email already exists', { field: 'email' });
      throw err;
    }
    const user = await this.deps.directory.claimFirstUser(doc);
    await this.sendVerification(user);
    return user;
  }

  /** The user whose password this is; one answer and the same work for unknown addresses and wrong passwords. */
  async authenticate(input: { email: string; password: string }): Promise<UserDoc> {
    const user = await this.deps.directory.byEmail(normalizeEmail(input.email));
    const ok = user ? await this.deps.hasher.verify(user.passwordHash, input.password) : await this.deps.hasher.verifyNobody(input.password);
    if (!user || !ok) throw invalidCredentials();
    if (this.deps.hasher.needsRehash(user.passwordHash)) {
      // Raised cost settings reach existing accounts as their owners sign in.
      const passwordHash = await this.deps.hasher.hash(input.password);
      await this.deps.users.updateOne({ _id: user._id, passwordHash: user.passwordHash }, { $set: { passwordHash } });
    }
    return user;
  }

  /** Needs the current password; ends every session and outstanding reset link. */
  async changePassword(userId: string, input: { currentPassword: string; newPassword: string }): Promise<void> {
    const user = await this.deps.directory.byId(userId);
    if (!user) throw codedError('UNAUTHENTICATED', 'Your account no longer exists');
    if (!(await this.deps.hasher.verify(user.passwordHash, input.currentPassword))) {
      throw codedError('BAD_USER_INPUT', 'Current password is incorrect', { field: 'currentPassword' });
    }
    checkNewPassword(input.newPassword, user.email, 'newPassword');
    if (input.newPassword === input.currentPassword) throw codedError('BAD_USER_INPUT', 'The new password must differ from the current one', { field: 'newPassword' });
    await this.setPassword(user, input.newPassword, {});
    await this.deps.tokens.spendAll(user._id, 'reset-password');
    await this.deps.sessions.revokeAll(user._id, 'password-changed');
  }

  /**
   * Mails a reset link when the address has an account. Either way it does the same work in
   * the request (a lookup, a token, one store round trip; the mail itself goes out in the
   * background), so neither the answer nor its timing tells whether the account exists.
   */
  async requestPasswordReset(rawEmail: string): Promise<void> {
    const email = normalizeEmail(rawEmail);
    const user = await this.deps.directory.byEmail(email);
    const token = randomSecret();
    if (!user) {
      await this.deps.tokens.issueForNobody(token);
      return;
    }
    await this.deps.tokens.issue('reset-password', user, this.options.resetTtlMinutes * 60_000, token);
    this.deps.outbox.post('password-reset', passwordResetMail(this.options.publicUrl, user.email, user.name, token, this.options.resetTtlMinutes));
  }

  /** Sets a new password with a mailed token, then ends every session. The token works once. */
  async resetPassword(token: string, newPassword: string): Promise<void> {
    const invalid = () => codedError('BAD_USER_INPUT', 'This password reset link is invalid or has expired', { field: 'token' });
    // Check the new password before spending the token, so a rejected password does not burn the link.
    const pending = await this.deps.tokens.peek('reset-password', token);
    const user = pending ? await this.deps.directory.byId(pending.userId) : null;
    if (!pending || !user || user.email !== pending.email) throw invalid();
    checkNewPassword(newPassword, user.email, 'newPassword');
    const consumed = await this.deps.tokens.consume('reset-password', token);
    if (!consumed) throw invalid();
    // The link reached this mailbox, which proves the address as well as a verification link would.
    await this.setPassword(user, newPassword, { emailVerified: true });
    await this.deps.tokens.spendAll(user._id, 'reset-password');
    await this.deps.sessions.revokeAll(user._id, 'password-reset');
    await this.deps.directory.promoteAdminEmail();
  }

  /** Marks the address verified with a mailed token. The token works once. */
  async verifyEmail(token: string): Promise<void> {
    const consumed = await this.deps.tokens.consume('verify-email', token);
    const user = consumed ? await this.deps.directory.byId(consumed.userId) : null;
    if (!consumed || !user || user.email !== consumed.email) {
      throw codedError('BAD_USER_INPUT', 'This verification link is invalid or has expired', { field: 'token' });
    }
    await this.deps.users.updateOne({ _id: user._id, email: consumed.email }, { $set: { emailVerified: true, updatedAt: this.options.now() } });
    await this.deps.directory.promoteAdminEmail();
  }

  private async sendVerification(user: UserDoc): Promise<void> {
    const ttlHours = this.options.verificationTtlHours;
    const token = await this.deps.tokens.issue('verify-email', user, ttlHours * 3_600_000);
    this.deps.outbox.post('email-verification', verificationMail(this.options.publicUrl, user.email, user.name, token, ttlHours));
  }

  private async setPassword(user: UserDoc, password: string, extra: { emailVerified?: true }): Promise<void> {
    const passwordHash = await this.deps.hasher.hash(password);
    await this.deps.users.updateOne({ _id: user._id }, { $set: { passwordHash, ...extra, updatedAt: this.options.now() } });
    this.options.logger.info({ userId: user._id }, 'password changed');
  }
}
