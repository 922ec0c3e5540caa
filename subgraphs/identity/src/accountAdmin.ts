import { codedError, type Logger } from '@chatgraph/kit';
import { updateWithOutbox } from '@chatgraph/kit/events';
import type { PrincipalDirectory } from './principalDirectory';
import type { SessionManager } from './sessions';
import type { IdentityCollections, UserDoc } from './store';
import { userEvent, type UserEvents } from './userEvents';
import type { UserDirectory } from './users';

export interface AccountAdminDeps {
  collections: IdentityCollections;
  directory: UserDirectory;
  sessions: SessionManager;
  principals: PrincipalDirectory;
  now: () => Date;
  logger: Logger;
  events: UserEvents;
  /** Wakes the outbox relay after a write that queued an event. */
  eventsQueued: () => void;
}

/**
 * What an ADMIN does to other accounts: disable (no sign-in, no token or key works, every session
 * ends), enable, and delete. Each change is published to the principal directory (routers refuse
 * the account within seconds) and announced on `identity.user.v1` through the outbox, in the same
 * write as the change (deletion's event goes first, on a document of its own: see `UserEvents`).
 */
export class AccountAdmin {
  constructor(private readonly deps: AccountAdminDeps) {}

  async disable(adminId: string, userId: string): Promise<UserDoc> {
    const target = await this.target(userId);
    if (target.status === 'disabled') return target;
    await this.refuseLastAdmin(target, 'disabled');
    const update = updateWithOutbox({ $set: { status: 'disabled', updatedAt: this.deps.now() } }, [
      userEvent('user.disabled', userId, { by: adminId }),
    ]);
    const updated = await this.deps.collections.users.findOneAndUpdate({ _id: userId, status: { $ne: 'disabled' } }, update, {
      returnDocument: 'after',
    });
    if (!updated) throw codedError('CONFLICT', 'The user changed meanwhile; try again');
    this.deps.eventsQueued();
    await this.deps.principals.user(updated);
    await this.deps.sessions.revokeAll(userId, 'account-disabled');
    this.deps.logger.info({ userId, by: adminId }, 'account disabled');
    return updated;
  }

  async enable(adminId: string, userId: string): Promise<UserDoc> {
    const target = await this.target(userId);
    if (target.status !== 'disabled') return target;
    const update = updateWithOutbox({ $set: { status: 'active', updatedAt: this.deps.now() } }, [
      userEvent('user.enabled', userId, { by: adminId }),
    ]);
    const updated = await this.deps.collections.users.findOneAndUpdate({ _id: userId, status: 'disabled' }, update, {
      returnDocument: 'after',
    });
    if (!updated) throw codedError('CONFLICT', 'The user changed meanwhile; try again');
    this.deps.eventsQueued();
    await this.deps.principals.user(updated);
    this.deps.logger.info({ userId, by: adminId }, 'account enabled');
    return updated;
  }

  /**
   * Removes the account and everything identity keeps of it (sessions, API keys, mailed tokens);
   * the address can register again as a new account. Order matters for a crash half-way: the
   * directory refuses the user first, then the event is queued (other services delete their
   * data), then the documents go. Calling it again finishes an interrupted deletion.
   */
  async delete(adminId: string, userId: string): Promise<void> {
    const target = await this.target(userId);
    await this.refuseLastAdmin(target, 'deleted');
    const { collections } = this.deps;
    await this.deps.principals.user({ _id: userId, role: target.role, status: 'deleted' });
    await this.deps.events.deleted(userId, adminId);
    await this.deps.sessions.revokeAll(userId, 'account-disabled');
    await collections.apiKeys.deleteMany({ ownerId: userId });
    await collections.accountTokens.deleteMany({ userId });
    await collections.sessions.deleteMany({ userId });
    await collections.users.deleteOne({ _id: userId });
    this.deps.logger.info({ userId, by: adminId }, 'account deleted');
  }

  private async target(userId: string): Promise<UserDoc> {
    const target = await this.deps.directory.byId(userId);
    if (!target) throw codedError('NOT_FOUND', 'User not found');
    return target;
  }

  /** The last active ADMIN cannot be disabled or deleted: nobody could administer the deployment. */
  private async refuseLastAdmin(target: UserDoc, what: string): Promise<void> {
    if (target.role === 'ADMIN' && target.status !== 'disabled' && (await this.deps.directory.countAdmins()) <= 1) {
      throw codedError('CONFLICT', `The last ADMIN cannot be ${what}; promote someone else first`);
    }
  }
}
