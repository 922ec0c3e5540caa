import { byKeys, codedError, type LoaderRegistry, type Logger, type Role } from '@chatgraph/kit';
import { DuplicateKeyError, paginate, type Collection, type Connection, type PageRequest } from '@chatgraph/kit/store';
import { updateWithOutbox } from '@chatgraph/kit/events';
import type { PrincipalDirectory } from './principalDirectory';
import type { IdentityMetaDoc, UserDoc } from './store';
import { userEvent } from './userEvents';

/** A user as the graph sees it: everything but the password hash. */
export interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
  emailVerified: boolean;
  createdAt: Date;
  /**
   * Set on the user returned by register/login/refresh: the caller was anonymous when the
   * request started but has just proved to be this user, so private fields are theirs to read.
   */
  ownerView?: true;
}

/** A page of `Query.users` (codegen mapper: `totalCount` is counted only when selected). */
export type UserPage = Connection<UserView>;

export function toUserView(doc: UserDoc, ownerView = false): UserView {
  const view: UserView = {
    id: doc._id,
    email: doc.email,
    name: doc.name,
    role: doc.role,
    emailVerified: doc.emailVerified,
    createdAt: doc.createdAt,
  };
  if (ownerView) view.ownerView = true;
  return view;
}

const FIRST_USER = 'first-user';
const USER_LOADER = 'identity.userById';

/** Reading users (batched per request) and the rules about roles. */
export class UserDirectory {
  constructor(
    private readonly users: Collection<UserDoc>,
    private readonly meta: Collection<IdentityMetaDoc>,
    private readonly options: {
      adminEmail: string | undefined;
      now: () => Date;
      logger: Logger;
      principals: PrincipalDirectory;
      eventsQueued: () => void;
    },
  ) {}

  byId(id: string): Promise<UserDoc | null> {
    return this.users.findById(id);
  }

  byEmail(email: string): Promise<UserDoc | null> {
    return this.users.findOne({ email });
  }

  /** Renames `user` (as read), announcing it with `user.updated`; null when it changed meanwhile. */
  async updateName(user: UserDoc, name: string): Promise<UserDoc | null> {
    if (name === user.name) return user;
    const update = updateWithOutbox({ $set: { name, updatedAt: this.options.now() } }, [userEvent('user.updated', user._id, { name })]);
    const updated = await this.users.findOneAndUpdate({ _id: user._id, name: user.name }, update, { returnDocument: 'after' });
    if (updated) this.options.eventsQueued();
    return updated;
  }

  /** Loads through the request's DataLoader: N references in one request make one store query. */
  load(loaders: LoaderRegistry, id: string): Promise<UserDoc | null> {
    return loaders
      .get<string, UserDoc | null>(USER_LOADER, async (ids) => byKeys(ids, await this.users.findByIds(ids), (u) => u._id))
      .load(id);
  }

  async page(page: PageRequest): Promise<UserPage> {
    const connection = await paginate(this.users, {}, page, { sortField: 'createdAt', direction: 1 });
    return { ...connection, edges: connection.edges.map((e) => ({ cursor: e.cursor, node: toUserView(e.node) })) };
  }

  /**
   * Makes `user` the bootstrap ADMIN if it is the first account. The claim is an insert with a
   * fixed `_id`, so exactly one account wins even when several register at the same moment.
   */
  async claimFirstUser(user: UserDoc): Promise<UserDoc> {
    const claimed = await this.meta
      .insertOne({ _id: FIRST_USER, userId: user._id, createdAt: this.options.now() })
      .then(() => true)
      .catch((err: unknown) => {
        if (err instanceof DuplicateKeyError) return false;
        throw err;
      });
    if (!claimed) return user;
    this.options.logger.info({ userId: user._id }, 'first account registered: granted ADMIN');
    const update = updateWithOutbox({ $set: { role: 'ADMIN' } }, [
      userEvent('user.role-changed', user._id, { from: user.role, to: 'ADMIN', changedBy: null }),
    ]);
    const admin = (await this.users.findOneAndUpdate({ _id: user._id, role: user.role }, update, { returnDocument: 'after' })) ?? user;
    this.options.eventsQueued();
    await this.options.principals.user(admin);
    return admin;
  }

  /**
   * ADMIN_EMAIL becomes ADMIN once its owner has verified it: promoting at registration would
   * hand the role to whoever registers the address first, before its owner does.
   */
  async promoteAdminEmail(): Promise<void> {
    const email = this.options.adminEmail;
    if (!email) return;
    const candidate = await this.users.findOne({ email, emailVerified: true, role: 'USER' });
    if (!candidate) return;
    const update = updateWithOutbox({ $set: { role: 'ADMIN', updatedAt: this.options.now() } }, [
      userEvent('user.role-changed', candidate._id, { from: 'USER', to: 'ADMIN', changedBy: null }),
    ]);
    const promoted = await this.users.findOneAndUpdate({ _id: candidate._id, role: 'USER' }, update, { returnDocument: 'after' });
    if (!promoted) return;
    this.options.eventsQueued();
    this.options.logger.info({ userId: promoted._id }, 'ADMIN_EMAIL verified: granted ADMIN');
    await this.options.principals.user(promoted);
  }

  /** Changes a role; refuses to demote the last ADMIN (CONFLICT). */
  async setRole(userId: string, role: Role, changedBy: string): Promise<UserDoc> {
    const target = await this.users.findById(userId);
    if (!target) throw codedError('NOT_FOUND', 'User not found');
    if (target.role === role) return target;
    if (role === 'USER' && (await this.countAdmins()) <= 1) throw lastAdmin();
    const now = this.options.now();
    const changed = updateWithOutbox({ $set: { role, updatedAt: now } }, [
      userEvent('user.role-changed', userId, { from: target.role, to: role, changedBy }),
    ]);
    const updated = await this.users.findOneAndUpdate({ _id: userId, role: target.role }, changed, { returnDocument: 'after' });
    if (!updated) throw codedError('CONFLICT', 'The user changed meanwhile; try again');
    this.options.eventsQueued();
    // Without transactions two admins can demote each other at once; whoever then sees no ADMIN left undoes its own step.
    if (role === 'USER' && (await this.countAdmins()) === 0) {
      const undo = updateWithOutbox({ $set: { role: 'ADMIN', updatedAt: now } }, [
        userEvent('user.role-changed', userId, { from: role, to: 'ADMIN', changedBy: null }),
      ]);
      await this.users.updateOne({ _id: userId }, undo);
      this.options.eventsQueued();
      throw lastAdmin();
    }
    // Every router applies the new role within seconds, not when the user's token is next refreshed.
    await this.options.principals.user(updated);
    return updated;
  }

  /** Re-reads the caller: a token may still say ADMIN for a few minutes after a demotion. */
  async assertStillAdmin(userId: string): Promise<void> {
    const me = await this.users.findById(userId);
    if (me?.role !== 'ADMIN' || me.status === 'disabled') throw codedError('FORBIDDEN', 'Administrator role required');
  }

  /** Active ADMINs: a disabled one cannot administer anything. */
  countAdmins(): Promise<number> {
    return this.users.count({ role: 'ADMIN', status: { $ne: 'disabled' } });
  }
}

function lastAdmin() {
  return codedError('CONFLICT', 'The last ADMIN cannot be demoted; promote someone else first');
}
