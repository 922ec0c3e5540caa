import { codedError, requireUser, type Principal } from '@chatgraph/kit';
import { requireWrite } from './access';
import { paginate, type Connection, type PageRequest } from '@chatgraph/kit/store';
import type { LiveFeeds } from './live';
import type { NotificationCollections, NotificationDoc } from './store';

/** A page of notifications as the resolvers return it. */
export type NotificationPage = Connection<NotificationDoc>;

/** The most ids one `markNotificationsRead` takes. */
export const MAX_MARK_IDS = 100;

/** The most notifications `notificationReceived(after:)` sends before going live. */
export const MAX_CATCH_UP = 500;

/** What a notification id looks like (`answer:<event id>`): anything else is BAD_USER_INPUT. */
const ID_PATTERN = /^[A-Za-z0-9:_-]{1,120}$/;

/**
 * Reads and marks the caller's notifications. Every query is filtered by the caller's user id,
 * so another user's notification is indistinguishable from one that does not exist.
 */
export class NotificationService {
  constructor(
    private readonly collections: NotificationCollections,
    private readonly feeds: LiveFeeds,
  ) {}

  /**
   * The caller's new notifications as they are created (`notificationReceived`); with `after`
   * (the id of the last one the client received), first those created after it.
   */
  async follow(principal: Principal, after?: string | null): Promise<AsyncIterableIterator<NotificationDoc>> {
    const { userId } = requireUser({ principal });
    if (after === null || after === undefined) return this.feeds.follow(userId);
    if (!ID_PATTERN.test(after)) throw codedError('BAD_USER_INPUT', 'after is not a notification id', { field: 'after' });
    const last = await this.collections.notifications.findOne({ _id: after, userId });
    // Another user's, never created, or deleted by retention: the client re-reads `notifications`.
    if (!last) throw codedError('NOT_FOUND', 'Notification not found', { field: 'after', id: after });
    const missed = async (): Promise<NotificationDoc[]> => {
      const docs = await this.collections.notifications.find(
        { userId, $or: [{ createdAt: { $gt: last.createdAt } }, { createdAt: last.createdAt, _id: { $gt: last._id } }] },
        { sort: { createdAt: 1, _id: 1 }, limit: MAX_CATCH_UP + 1 },
      );
      if (docs.length > MAX_CATCH_UP)
        throw codedError('BAD_USER_INPUT', `More than ${MAX_CATCH_UP} notifications were missed: read them with notifications`, {
          field: 'after',
          max: MAX_CATCH_UP,
        });
      return docs;
    };
    return this.feeds.follow(userId, missed);
  }

  /** The caller's notifications, newest first; `unreadOnly` leaves out the read ones. */
  list(principal: Principal, page: PageRequest & { unreadOnly?: boolean | null }): Promise<NotificationPage> {
    const { userId } = requireUser({ principal });
    const filter = page.unreadOnly ? { userId, read: false } : { userId };
    return paginate(this.collections.notifications, filter, page, { sortField: 'createdAt', direction: -1 });
  }

  /** How many of the caller's notifications are unread. */
  unreadCount(principal: Principal): Promise<number> {
    const { userId } = requireUser({ principal });
    return this.collections.notifications.count({ userId, read: false });
  }

  /** One notification of the caller (null when it is another user's or does not exist): `__resolveReference`. */
  async byId(principal: Principal, id: string): Promise<NotificationDoc | null> {
    const { userId } = requireUser({ principal });
    if (!ID_PATTERN.test(id)) return null;
    return this.collections.notifications.findOne({ _id: id, userId });
  }

  /**
   * Marks `ids` read; answers how many were unread. Every id is checked first (format, then that
   * it is the caller's), so a refusal changes nothing.
   */
  async markRead(principal: Principal, ids: readonly string[]): Promise<number> {
    const { userId } = requireWrite(principal);
    if (ids.length === 0 || ids.length > MAX_MARK_IDS)
      throw codedError('BAD_USER_INPUT', `ids must hold 1 to ${MAX_MARK_IDS} ids`, { field: 'ids', max: MAX_MARK_IDS, actual: ids.length });
    const bad = ids.find((id) => !ID_PATTERN.test(id));
    if (bad !== undefined) throw codedError('BAD_USER_INPUT', 'ids holds a malformed id', { field: 'ids', id: bad.slice(0, 120) });
    const unique = [...new Set(ids)];
    const owned = await this.collections.notifications.find({ _id: { $in: unique }, userId });
    const ownedIds = new Set(owned.map((doc) => doc._id));
    const missing = unique.find((id) => !ownedIds.has(id));
    if (missing !== undefined) throw codedError('NOT_FOUND', 'Notification not found', { id: missing });
    const result = await this.collections.notifications.updateMany({ _id: { $in: unique }, userId, read: false }, { $set: { read: true } });
    return result.modifiedCount;
  }

  /** Marks every notification of the caller read; answers how many were unread. */
  async markAllRead(principal: Principal): Promise<number> {
    const { userId } = requireWrite(principal);
    const result = await this.collections.notifications.updateMany({ userId, read: false }, { $set: { read: true } });
    return result.modifiedCount;
  }
}
