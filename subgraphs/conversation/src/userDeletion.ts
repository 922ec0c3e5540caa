import type { Logger } from '@chatgraph/kit';
import { deleteWithOutbox, notDeleted, type EventBus, type EventDelivery, type Subscription } from '@chatgraph/kit/events';
import { identityUserV1 } from '@chatgraph/schema';
import { conversationDeleted, messageDeleted } from './outboxEvents';
import type { ConversationCollections } from './store';

/** The consumer group that applies account deletions. */
export const USER_DELETION_GROUP = 'conversation.user-deletion';
/** Conversations read per page while deleting an account's data. */
const PAGE = 100;

export interface UserDeletionDeps {
  collections: ConversationCollections;
  logger: Logger;
  now: () => Date;
  eventsQueued: () => void;
}

/**
 * Applies `identity.user.v1` `user.deleted`: every conversation the user owns and every message
 * in them become tombstones (content blanked in the same write) carrying `conversation.deleted` /
 * `message.deleted`, so downstream consumers forget them too, and the outbox relay removes the
 * documents once those events are out; the user's share links are deleted outright. Idempotent
 * and resumable: it only touches what is not deleted yet, so a redelivery after a crash half-way
 * finishes the job. Other `identity.user.v1` events are not conversation's concern.
 */
export function userDeletionHandler(deps: UserDeletionDeps) {
  const { collections, logger, now } = deps;
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== identityUserV1.topic) return;
    const event = identityUserV1.validate(delivery.event);
    if (event.type !== 'user.deleted') return;
    const ownerId = event.subject.userId;
    const shares = await collections.shares.deleteMany({ ownerId });
    let conversations = 0;
    let messages = 0;
    for (;;) {
      // Always the first page: each pass tombstones what it read, so the next read starts further on.
      const page = await collections.conversations.find({ ownerId, ...notDeleted }, { sort: { _id: 1 }, limit: PAGE });
      if (page.length === 0) break;
      for (const conversation of page) {
        const inside = await collections.messages.find({ conversationId: conversation._id, ...notDeleted });
        for (const message of inside) {
          await collections.messages.updateOne(
            { _id: message._id, ...notDeleted },
            deleteWithOutbox([messageDeleted(message)], { $set: { content: '', updatedAt: now() } }),
          );
        }
        await collections.conversations.updateOne(
          { _id: conversation._id, ...notDeleted },
          deleteWithOutbox([conversationDeleted(conversation, inside.length)], { $set: { updatedAt: now() } }),
        );
        messages += inside.length;
        conversations++;
      }
      deps.eventsQueued();
    }
    logger.info({ userId: ownerId, conversations, messages, shares }, 'deleted account: its conversations, messages and shares removed');
  };
}

/** Subscribes the account-deletion consumer; `stop()` the subscription to drain it. */
export function subscribeUserDeletion(bus: EventBus, handler: ReturnType<typeof userDeletionHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: USER_DELETION_GROUP, topics: [identityUserV1.topic], handler });
}
