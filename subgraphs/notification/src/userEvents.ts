import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { identityUserV1 } from '@chatgraph/schema';
import type { ChangeLog } from './changeLog';
import type { NotificationCollections } from './store';

/** The consumer group that keeps the accounts' e-mail addresses and removes a deleted account's notifications. */
export const USER_EVENTS_GROUP = 'notification.users';

export interface UserEventsDeps {
  collections: NotificationCollections;
  logger: Logger;
  now: () => Date;
  /** The `myEvents` logs: a deleted account's is deleted too. */
  changeLog?: ChangeLog;
}

/**
 * On identity's `user.registered` / `user.updated` (with an `email`): keeps the address in the
 * `recipients` read model, where e-mail notifications go (the topic is keyed by user, so the newest
 * address wins). On `user.deleted`: remembers the account as deleted (so a late answer event creates
 * nothing for it, answerEvents.ts), then deletes its notifications. Both steps are idempotent, so a
 * redelivery or a retry after a failure half-way finishes the job. Its `myEvents` log goes too.
 */
export function userEventsHandler(deps: UserEventsDeps) {
  const { collections, logger } = deps;
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== identityUserV1.topic) return;
    const type = delivery.event.type;
    if (type !== 'user.registered' && type !== 'user.updated' && type !== 'user.deleted') return;
    const event = identityUserV1.validate(delivery.event);
    const userId = event.subject.userId;
    if (event.type === 'user.registered' || event.type === 'user.updated') {
      const email = event.payload.email;
      if (email === undefined || (await collections.deletedUsers.findById(userId))) return;
      await collections.recipients.updateOne({ _id: userId }, { $set: { email } }, { upsert: true });
      return;
    }
    if (event.type !== 'user.deleted') return;
    await collections.deletedUsers.updateOne({ _id: userId }, { $setOnInsert: { deletedAt: deps.now() } }, { upsert: true });
    const deleted = await collections.notifications.deleteMany({ userId });
    await collections.balances.deleteOne({ _id: userId });
    await collections.recipients.deleteOne({ _id: userId });
    await collections.preferences.deleteMany({ userId });
    await deps.changeLog?.remove(userId);
    logger.info({ userId, deleted }, 'deleted account: notifications removed');
  };
}

/** Subscribes the account consumer; `stop()` the subscription to drain it. */
export function subscribeUserEvents(bus: EventBus, handler: ReturnType<typeof userEventsHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: USER_EVENTS_GROUP, topics: [identityUserV1.topic], handler });
}
