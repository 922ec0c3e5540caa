import {
  codedError,
  requireAdmin,
  UNKNOWN_CLIENT,
  type ClientInfo,
  type LoaderRegistry,
  type Logger,
  type Principal,
  type PublicJwk,
  type Role,
  type UserPrincipal,
} from '@chatgraph/kit';
import type { Connection, PageRequest } from '@chatgraph/kit/store';
import type { KeyValues } from '@chatgraph/kit/kv';
import type { Mailer } from '@chatgraph/kit/mail';
import { canReadPrivate, canReadPublic, requirePasswordSession, requireWrite } from './access';
import { AccountAdmin } from './accountAdmin';
import { AccountFlows, flowPoliciesFromConfig } from './accounts';
import { AccountTokens } from './accountTokens';
import { ApiKeyManager, type ApiKeyView, type CreateApiKeyInput } from './apiKeys';
import type { IdentityConfig } from './config';
import { FlowLimiter } from './flowLimits';
import { MailOutbox } from './mails';
import { PasswordHasher } from './passwords';
import { PrincipalDirectory } from './principalDirectory';
import { SessionManager } from './sessions';
import { SigningKeyRing } from './signingKeys';
import type { IdentityCollections, UserDoc } from './store';
import { UserEvents } from './userEvents';
import { toUserView, UserDirectory, type UserView } from './users';
import { validName } from './validation';
import type { SignIn } from './sessionEvents';

export interface IdentityServiceDeps {
  collections: IdentityCollections;
  mailer: Mailer;
  config: IdentityConfig;
  logger: Logger;
  /** The clock; tests pass a controllable one to expire tokens without waiting. */
  now: () => Date;
  /** The kv shared with the routers, for the principal directory; without it routers cannot enforce revocations. */
  kv?: KeyValues;
  /** Called after an `identity.user.v1` event was queued in the outbox (wakes the relay). */
  eventsQueued?: () => void;
}

export interface AuthResult {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: Date;
  user: UserView;
}

/**
 * Identity's rules, behind one facade the resolvers and routes call. Every method takes the
 * caller's principal where it matters and enforces who may do what; it knows nothing of
 * GraphQL or HTTP. The parts live in their own modules: accounts (passwords, mailed tokens),
 * sessions (refresh families, access tokens), API keys, signing keys, users and roles.
 */
/** What `revokeApiKey` removed (`RevokeApiKeyPayload`). */
export interface RevokedApiKey {
  revokedApiKeyId: string;
  userId: string;
}

export class IdentityService {
  readonly signingKeys: SigningKeyRing;
  private readonly sessions: SessionManager;
  private readonly apiKeys: ApiKeyManager;
  private readonly directory: UserDirectory;
  private readonly accounts: AccountFlows;
  private readonly outbox: MailOutbox;
  private readonly hasher: PasswordHasher;
  private readonly admin: AccountAdmin;
  private readonly events: UserEvents;
  /** Wakes the outbox relay after a write that queued an event. */
  private readonly eventsQueued: () => void;
  /** What the routers check every credential against (principalDirectory.ts). */
  readonly principals: PrincipalDirectory;

  constructor(private readonly deps: IdentityServiceDeps) {
    const { collections, config, logger, now } = deps;
    this.principals = new PrincipalDirectory(deps.kv, collections, { accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS, now, logger });
    this.signingKeys = new SigningKeyRing(collections.signingKeys, {
      rotationDays: config.SIGNING_KEY_ROTATION_DAYS,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      now,
      logger,
    });
    this.sessions = new SessionManager(collections.sessions, this.signingKeys, {
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlDays: config.REFRESH_TOKEN_TTL_DAYS,
      now,
      logger,
      principals: this.principals,
    });
    this.apiKeys = new ApiKeyManager(collections.apiKeys, now, this.principals);
    const eventsQueued = deps.eventsQueued ?? (() => undefined);
    this.eventsQueued = eventsQueued;
    this.directory = new UserDirectory(collections.users, collections.meta, {
      adminEmail: config.ADMIN_EMAIL?.trim().toLowerCase(),
      now,
      logger,
      principals: this.principals,
      eventsQueued,
    });
    this.events = new UserEvents(collections.outbox, now, eventsQueued);
    this.admin = new AccountAdmin({
      collections,
      directory: this.directory,
      sessions: this.sessions,
      principals: this.principals,
      now,
      logger,
      events: this.events,
      eventsQueued,
    });
    this.outbox = new MailOutbox(deps.mailer, logger);
    this.hasher = new PasswordHasher({
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
    });
    this.accounts = new AccountFlows(
      {
        users: collections.users,
        directory: this.directory,
        hasher: this.hasher,
        sessions: this.sessions,
        tokens: new AccountTokens(collections.accountTokens, now),
        outbox: this.outbox,
        limiter: new FlowLimiter(collections.flowLimits, now),
      },
      {
        publicUrl: config.PUBLIC_URL,
        verificationTtlHours: config.EMAIL_VERIFICATION_TTL_HOURS,
        resetTtlMinutes: config.PASSWORD_RESET_TTL_MINUTES,
        ...flowPoliciesFromConfig(config),
        now,
        logger,
      },
    );
  }

  /** Start-up work: a fresh signing key, a verified ADMIN_EMAIL holding ADMIN, the dummy password hash, old records gone. */
  async prepare(): Promise<void> {
    await this.signingKeys.rotateIfDue();
    await this.directory.promoteAdminEmail();
    await this.principals.ensure();
    await this.hasher.prepare();
    await this.pruneExpired();
  }

  /** Periodic upkeep: rotate the signing key when due and delete what can no longer be used. */
  async housekeeping(): Promise<void> {
    await this.signingKeys.rotateIfDue();
    await this.pruneExpired();
  }

  /**
   * Deletes expired sessions and mailed tokens. No TTL indexes are assumed (not every backend
   * has them), so expiry is enforced in queries and the leftovers are removed here.
   */
  async pruneExpired(): Promise<{ sessions: number; accountTokens: number }> {
    const now = this.deps.now();
    const sessions = await this.deps.collections.sessions.deleteMany({ expiresAt: { $lt: now } });
    const accountTokens = await this.deps.collections.accountTokens.deleteMany({ expiresAt: { $lt: now } });
    await this.accounts.pruneLimits();
    return { sessions, accountTokens };
  }

  /** Resolves when every account mail posted so far has been handed to the mailer. */
  mailSettled(): Promise<void> {
    return this.outbox.settled();
  }

  // Sessions ------------------------------------------------------------------------------

  async register(input: { email: string; password: string; name: string }): Promise<AuthResult> {
    const user = await this.accounts.register(input);
    // Before the token is handed out: a router refuses tokens of users the directory does not know.
    await this.principals.user(user);
    return this.openSession(user);
  }

  /**
   * Signs in with a password: a new session, announced as `identity.session.v1` `session.started`
   * (NEW_SIGN_IN) with the device and network of `client` — what the router signed (kit `ctx.client`).
   */
  async login(input: { email: string; password: string }, client: ClientInfo = UNKNOWN_CLIENT): Promise<AuthResult> {
    const user = await this.accounts.authenticate(input);
    if (user.status === 'disabled') throw accountDisabled();
    const result = await this.openSession(user, { method: 'password', userAgent: client.userAgent, ip: client.address });
    this.eventsQueued();
    return result;
  }

  async refreshSession(refreshToken: string): Promise<AuthResult> {
    const rotated = await this.sessions.rotate(refreshToken);
    const user = await this.directory.byId(rotated.userId);
    if (user?.status === 'disabled') throw accountDisabled();
    if (!user) {
      await this.sessions.revokeAll(rotated.userId, 'logout-everywhere');
      throw codedError('UNAUTHENTICATED', 'Invalid or expired refresh token');
    }
    // The role comes from the user record, so a role change reaches the token at the next refresh.
    const access = await this.sessions.accessToken(user, rotated.sessionId);
    return { ...access, refreshToken: rotated.refreshToken, user: toUserView(user, true) };
  }

  /** Ends the refresh token's session. True whatever the token: logging out is idempotent. */
  async logout(refreshToken: string): Promise<true> {
    await this.sessions.revokeByToken(refreshToken);
    return true;
  }

  async logoutEverywhere(principal: Principal): Promise<true> {
    const me = await this.requireLiveSession(principal);
    await this.sessions.revokeAll(me.userId, 'logout-everywhere');
    return true;
  }

  // Users ---------------------------------------------------------------------------------

  async me(principal: Principal, loaders: LoaderRegistry): Promise<UserView | null> {
    if (principal.kind !== 'user') return null;
    const doc = await this.directory.load(loaders, principal.userId);
    return doc ? toUserView(doc) : null;
  }

  async user(principal: Principal, id: string, loaders: LoaderRegistry): Promise<UserView | null> {
    if (!canReadPublic(principal)) throw codedError('UNAUTHENTICATED', 'You must be signed in');
    const doc = await this.directory.load(loaders, id);
    return doc ? toUserView(doc) : null;
  }

  /** A federated reference (`_entities`). Anonymous callers get null rather than an error. */
  async userReference(principal: Principal, id: string, loaders: LoaderRegistry): Promise<UserView | null> {
    if (!canReadPublic(principal)) return null;
    const doc = await this.directory.load(loaders, id);
    return doc ? toUserView(doc) : null;
  }

  async users(principal: Principal, page: PageRequest): Promise<Connection<UserView>> {
    const admin = requireAdmin({ principal });
    await this.directory.assertStillAdmin(admin.userId);
    return this.directory.page(page);
  }

  /** The user, if the caller may read its private fields; FORBIDDEN otherwise. */
  readPrivate(principal: Principal, user: UserView): UserView {
    if (!canReadPrivate(principal, user)) throw codedError('FORBIDDEN', 'Only the user and administrators can see this field');
    return user;
  }

  async updateProfile(principal: Principal, input: { name?: string | null }): Promise<UserView> {
    const me = requireWrite(principal);
    const user = await this.directory.byId(me.userId);
    if (!user) throw codedError('NOT_FOUND', 'User not found');
    if (input.name === null || input.name === undefined) return toUserView(user);
    const updated = await this.directory.updateName(user, validName(input.name));
    return toUserView(updated ?? user);
  }

  async changePassword(principal: Principal, input: { currentPassword: string; newPassword: string }): Promise<true> {
    const me = await this.requireLiveSession(principal);
    await this.accounts.changePassword(me.userId, input);
    return true;
  }

  async requestPasswordReset(email: string): Promise<true> {
    await this.accounts.requestPasswordReset(email);
    return true;
  }

  async resetPassword(token: string, newPassword: string): Promise<true> {
    await this.accounts.resetPassword(token, newPassword);
    return true;
  }

  async verifyEmail(token: string): Promise<true> {
    await this.accounts.verifyEmail(token);
    return true;
  }

  async setUserRole(principal: Principal, userId: string, role: Role): Promise<UserView> {
    const me = await this.requireLiveSession(principal);
    if (me.role !== 'ADMIN') throw codedError('FORBIDDEN', 'Administrator role required');
    // The token's role may be minutes old; changing roles is decided on the stored one.
    await this.directory.assertStillAdmin(me.userId);
    const after = await this.directory.setRole(userId, role, me.userId);
    return toUserView(after);
  }

  /** ADMIN: the account can no longer sign in, and its sessions, tokens and keys stop working. */
  async disableUser(principal: Principal, userId: string): Promise<UserView> {
    const me = await this.requireLiveAdmin(principal);
    return toUserView(await this.admin.disable(me.userId, userId));
  }

  async enableUser(principal: Principal, userId: string): Promise<UserView> {
    const me = await this.requireLiveAdmin(principal);
    return toUserView(await this.admin.enable(me.userId, userId));
  }

  /** ADMIN: removes the account here and, through `identity.user.v1` `user.deleted`, its data elsewhere. */
  async deleteUser(principal: Principal, userId: string): Promise<{ deletedUserId: string }> {
    const me = await this.requireLiveAdmin(principal);
    await this.admin.delete(me.userId, userId);
    return { deletedUserId: userId };
  }

  // API keys ------------------------------------------------------------------------------

  async createApiKey(principal: Principal, input: CreateApiKeyInput): Promise<{ apiKey: ApiKeyView; secret: string }> {
    const me = await this.requireLiveSession(principal);
    return this.apiKeys.create(me.userId, input);
  }

  async revokeApiKey(principal: Principal, id: string): Promise<RevokedApiKey> {
    const me = await this.requireLiveSession(principal);
    await this.apiKeys.revoke(me.userId, id);
    return { revokedApiKeyId: id, userId: me.userId };
  }

  /** A user's keys, for the user themself or an admin. */
  async apiKeysOf(principal: Principal, user: UserView): Promise<ApiKeyView[]> {
    this.readPrivate(principal, user);
    return this.apiKeys.list(user.id);
  }

  /** The principal an API key stands for, or null when the key is not valid now (router's internal call). */
  async verifyApiKey(key: string): Promise<UserPrincipal | null> {
    const record = await this.apiKeys.verify(key);
    if (!record) return null;
    const owner = await this.directory.byId(record.ownerId);
    if (!owner || owner.status === 'disabled') return null;
    return { kind: 'user', userId: owner._id, role: owner.role, via: 'apiKey', apiKeyId: record._id, scopes: [...record.scopes] };
  }

  // Signing keys --------------------------------------------------------------------------

  /** The JWKS document served at `/.well-known/jwks.json`. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    return { keys: await this.signingKeys.publishedKeys() };
  }

  /** Replaces the signing key now (e.g. after a suspected leak). Returns the new `kid`. */
  rotateSigningKey(): Promise<string> {
    return this.signingKeys.rotate();
  }

  rotateSigningKeyIfDue(): Promise<void> {
    return this.signingKeys.rotateIfDue();
  }

  // ---------------------------------------------------------------------------------------

  private async openSession(user: UserDoc, signIn?: SignIn): Promise<AuthResult> {
    const tokens = await this.sessions.open(user, signIn);
    return {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessTokenExpiresAt: tokens.accessTokenExpiresAt,
      user: toUserView(user, true),
    };
  }

  /** A live session of a current ADMIN (the stored role, not the token's). */
  private async requireLiveAdmin(principal: Principal): Promise<UserPrincipal & { sessionId: string }> {
    const me = await this.requireLiveSession(principal);
    if (me.role !== 'ADMIN') throw codedError('FORBIDDEN', 'Administrator role required');
    await this.directory.assertStillAdmin(me.userId);
    return me;
  }

  /** A password session that is still open: a logged-out session's access token cannot change the account. */
  private async requireLiveSession(principal: Principal): Promise<UserPrincipal & { sessionId: string }> {
    const me = requirePasswordSession(principal);
    if (!(await this.sessions.isActive(me.sessionId, me.userId)))
      throw codedError('UNAUTHENTICATED', 'Your session has ended; sign in again');
    return me;
  }
}

function accountDisabled() {
  return codedError('UNAUTHENTICATED', 'This account is disabled');
}
