import { codedError, newId, type Logger } from '@chatgraph/kit';
import { DuplicateKeyError, type Collection } from '@chatgraph/kit/store';
import { insertWithOutbox } from '@chatgraph/kit/events';
import type { AccountTokens } from './accountTokens';
import { LOGIN_LOCK_POLICY, type FlowLimiter, type FlowPolicy } from './flowLimits';
import { MailOutbox, passwordResetMail, verificationMail } from './mails';
import { checkNewPassword, type PasswordHasher } from './passwords';
import type { SessionManager } from './sessions';
import type { UserDoc } from './store';
import { randomSecret } from './tokens';
import { userEvent } from './userEvents';
import type { UserDirectory } from './users';
import { emailDomain, normalizeEmail, parseEmail, validEmail, validName } from './validation';

export interface AccountFlowOptions {
  publicUrl: string;
  verificationTtlHours: number;
  resetTtlMinutes: number;
  /** Mails of one kind to one address: a cool-down and a daily cap. */
  mailPolicy: FlowPolicy;
  /** Sign-ups overall and per mail domain (identity does not see client addresses). */
  registrationPolicy: FlowPolicy;
  registrationDomainPolicy: FlowPolicy;
  /** Failed sign-ins that lock an account's password sign-in (LOGIN_LOCK_POLICY by default). */
  loginLockPolicy?: FlowPolicy;
  now: () => Date;
  logger: Logger;
}

/** Mail and sign-up limits from configuration; a limit of 0 turns a sign-up limit off. */
export function flowPoliciesFromConfig(config: {
  MAIL_COOLDOWN_SECONDS: number;
  MAIL_DAILY_LIMIT: number;
  REGISTRATION_WINDOW_MINUTES: number;
  REGISTRATION_LIMIT: number;
  REGISTRATION_DOMAIN_LIMIT: number;
}): Pick<AccountFlowOptions, 'mailPolicy' | 'registrationPolicy' | 'registrationDomainPolicy'> {
  const windowMs = config.REGISTRATION_WINDOW_MINUTES * 60_000;
  const unlimited = Number.MAX_SAFE_INTEGER;
  return {
    mailPolicy: { limit: config.MAIL_DAILY_LIMIT, windowMs: 86_400_000, cooldownMs: config.MAIL_COOLDOWN_SECONDS * 1000 },
    registrationPolicy: { limit: config.REGISTRATION_LIMIT || unlimited, windowMs, cooldownMs: 0 },
    registrationDomainPolicy: { limit: config.REGISTRATION_DOMAIN_LIMIT || unlimited, windowMs, cooldownMs: 0 },
  };
}

export interface AccountFlowDeps {
  users: Collection<UserDoc>;
  directory: UserDirectory;
  hasher: PasswordHasher;
  sessions: SessionManager;
  tokens: AccountTokens;
  outbox: MailOutbox;
  limiter: FlowLimiter;
}

const invalidCredentials = () => codedError('UNAUTHENTICATED', 'Invalid email or password');

/** The flow-limit scope counting an address's failed sign-ins. */
const LOGIN_FAILURES = 'login:failures';

/** Everything that involves a password or a mailed token: sign-up, sign-in, changes and recovery. */
export class AccountFlows {
  constructor(
    private readonly deps: AccountFlowDeps,
    private readonly options: AccountFlowOptions,
  ) {}

  /**
   * Creates an account and mails a verification link. A taken address is CONFLICT: sign-up has
   * to say so for the user to understand, which reveals that the address has an account; login
   * and password reset do not. Each sign-up mails an address nobody has proven, so sign-ups are
   * limited per mail domain and overall (RATE_LIMITED with `retryAfterSeconds`), checked after
   * the input and before the costly password hash.
   */
  async register(input: { email: string; password: string; name: string }): Promise<UserDoc> {
    const email = validEmail(input.email);
    const name = validName(input.name);
    checkNewPassword(input.password, email, 'password');
    await this.limitRegistration(email);
    const now = this.options.now();
    const doc: UserDoc = {
      _id: newId(),
      email,
      name,
      role: 'USER',
      emailVerified: false,
      passwordHash: await this.deps.hasher.hash(input.password),
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.deps.users.insertOne(
        insertWithOutbox(doc, [userEvent('user.registered', doc._id, { email, name, role: doc.role, emailVerified: false })]),
      );
    } catch (err) {
      if (err instanceof DuplicateKeyError) throw codedError('CONFLICT', 'An account with this email already exists', { field: 'email' });
      throw err;
    }
    const user = await this.deps.directory.claimFirstUser(doc);
    await this.sendVerification(user);
    return user;
  }

  /**
   * The user whose password this is; one answer and the same work for unknown addresses and wrong
   * passwords. An account with too many failed sign-ins is locked (RATE_LIMITED, before any hash)
   * until its window ends or its owner resets the password by e-mail.
   */
  async authenticate(input: { email: string; password: string }): Promise<UserDoc> {
    const email = normalizeEmail(input.email);
    const lockPolicy = this.options.loginLockPolicy ?? LOGIN_LOCK_POLICY;
    const lock = await this.deps.limiter.check(LOGIN_FAILURES, email, lockPolicy);
    if (!lock.allowed) {
      throw codedError(
        'RATE_LIMITED',
        'Too many failed sign-ins: this account is locked for a while. Reset your password by e-mail to unlock it now.',
        {
          retryAfterSeconds: Math.max(1, Math.ceil(lock.retryAfterMs / 1000)),
          locked: true,
        },
      );
    }
    const user = await this.deps.directory.byEmail(email);
    const ok = user
      ? await this.deps.hasher.verify(user.passwordHash, input.password)
      : await this.deps.hasher.verifyNobody(input.password);
    if (!user || !ok) {
      await this.deps.limiter.acquire(LOGIN_FAILURES, email, lockPolicy);
      throw invalidCredentials();
    }
    await this.deps.limiter.clear(LOGIN_FAILURES, email);
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
    if (input.newPassword === input.currentPassword)
      throw codedError('BAD_USER_INPUT', 'The new password must differ from the current one', { field: 'newPassword' });
    await this.setPassword(user, input.newPassword, {});
    await this.deps.tokens.spendAll(user._id, 'reset-password');
    await this.deps.sessions.revokeAll(user._id, 'password-changed');
  }

  /**
   * Mails a reset link when the address has an account and its mail limit allows. Either way it
   * does the same work in the request (a lookup, the address's limit, a token, one store round
   * trip; the mail itself goes out in the background), so neither the answer nor its timing tells
   * whether the account exists or whether the limit was reached. Input that is not an address is
   * treated as an address without an account.
   */
  async requestPasswordReset(rawEmail: string): Promise<void> {
    const email = parseEmail(rawEmail) ?? '';
    const user = email ? await this.deps.directory.byEmail(email) : null;
    const allowed = (await this.deps.limiter.acquire('mail:reset-password', email, this.options.mailPolicy)).allowed;
    const token = randomSecret();
    if (!user || !allowed) {
      if (user) this.options.logger.info({ userId: user._id, kind: 'password-reset' }, 'mail limit reached; no mail sent');
      await this.deps.tokens.issueForNobody(token);
      return;
    }
    await this.deps.tokens.issue('reset-password', user, this.options.resetTtlMinutes * 60_000, token);
    this.deps.outbox.post('password-reset', passwordResetMail(this.options.publicUrl, user.email, token, this.options.resetTtlMinutes));
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
    // The owner proved the mailbox: failed sign-ins no longer lock the account.
    await this.deps.limiter.clear(LOGIN_FAILURES, user.email);
    await this.deps.directory.promoteAdminEmail();
  }

  /** Marks the address verified with a mailed token. The token works once. */
  async verifyEmail(token: string): Promise<void> {
    const consumed = await this.deps.tokens.consume('verify-email', token);
    const user = consumed ? await this.deps.directory.byId(consumed.userId) : null;
    if (!consumed || !user || user.email !== consumed.email) {
      throw codedError('BAD_USER_INPUT', 'This verification link is invalid or has expired', { field: 'token' });
    }
    await this.deps.users.updateOne(
      { _id: user._id, email: consumed.email },
      { $set: { emailVerified: true, updatedAt: this.options.now() } },
    );
    await this.deps.directory.promoteAdminEmail();
  }

  /** Mails a verification link unless the address had its share of verification mails today. */
  private async sendVerification(user: UserDoc): Promise<void> {
    const ttlHours = this.options.verificationTtlHours;
    if (!(await this.deps.limiter.acquire('mail:verify-email', user.email, this.options.mailPolicy)).allowed) {
      this.options.logger.info({ userId: user._id, kind: 'email-verification' }, 'mail limit reached; no mail sent');
      return;
    }
    const token = await this.deps.tokens.issue('verify-email', user, ttlHours * 3_600_000);
    this.deps.outbox.post('email-verification', verificationMail(this.options.publicUrl, user.email, token, ttlHours));
  }

  /** Takes a sign-up slot for the address's domain, then one overall; RATE_LIMITED when either is full. */
  private async limitRegistration(email: string): Promise<void> {
    const domain = await this.deps.limiter.acquire('register:domain', emailDomain(email), this.options.registrationDomainPolicy);
    const overall = domain.allowed ? await this.deps.limiter.acquire('register:all', '', this.options.registrationPolicy) : domain;
    if (overall.allowed) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(overall.retryAfterMs / 1000));
    this.options.logger.warn({ domain: emailDomain(email), overall: domain.allowed, retryAfterSeconds }, 'sign-up limit reached');
    throw codedError('RATE_LIMITED', 'Too many sign-ups right now; try again later', { retryAfterSeconds });
  }

  /** Deletes limit records that no longer limit anything (housekeeping). */
  pruneLimits(): Promise<number> {
    return this.deps.limiter.prune();
  }

  private async setPassword(user: UserDoc, password: string, extra: { emailVerified?: true }): Promise<void> {
    const passwordHash = await this.deps.hasher.hash(password);
    await this.deps.users.updateOne({ _id: user._id }, { $set: { passwordHash, ...extra, updatedAt: this.options.now() } });
    this.options.logger.info({ userId: user._id }, 'password changed');
  }
}
