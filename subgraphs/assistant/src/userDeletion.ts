import type { Logger } from '@chatgraph/kit';
import {
  deleteWithOutbox,
  notDeleted,
  updateWithOutbox,
  type EventBus,
  type EventDelivery,
  type OutboxHint,
  type Subscription,
} from '@chatgraph/kit/events';
import { identityUserV1 } from '@chatgraph/schema';
import { assistantDeleted, assistantUpdated } from './outboxEvents';
import type { AssistantCollections, AssistantDoc } from './store';

/** The consumer group that applies account deletions. */
export const USER_DELETION_GROUP = 'assistant.user-deletion';
/** Assistants read per page while applying a deletion. */
const PAGE = 100;

export interface UserDeletionDeps {
  collections: AssistantCollections;
  logger: Logger;
  now: () => Date;
  eventsQueued: (...written: OutboxHint[]) => void;
}

/**
 * Applies `identity.user.v1` `user.deleted`: remembers the account as deleted (it is never named in
 * a share again), tombstones every assistant it owns with `assistant.deleted`, and takes it off
 * every other assistant's `sharedWith` (a new version with `assistant.updated`). Idempotent and
 * resumable: each step touches only what still needs it, so a redelivery, or a retry after a
 * crash half-way, finishes the job and emits no second event.
 */
export function userDeletionHandler(deps: UserDeletionDeps) {
  const { collections, logger, now } = deps;
  const { assistants } = collections;
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== identityUserV1.topic || delivery.event.type !== 'user.deleted') return;
    const event = identityUserV1.validate(delivery.event);
    const userId = event.subject.userId;
    await collections.deletedUsers.updateOne({ _id: userId }, { $setOnInsert: { deletedAt: now() } }, { upsert: true });
    let deleted = 0;
    let unshared = 0;
    for (;;) {
      // Always the first page: each pass tombstones what it read, so the next read starts further on.
      const page = await assistants.find({ ownerId: userId, ...notDeleted }, { sort: { _id: 1 }, limit: PAGE });
      if (page.length === 0) break;
      for (const doc of page) {
        const at = now();
        const result = await assistants.updateOne(
          { _id: doc._id, ...notDeleted },
          deleteWithOutbox([assistantDeleted(doc, at)], { $set: { updatedAt: at } }),
        );
        deleted += result.modifiedCount;
      }
      deps.eventsQueued();
    }
    for (;;) {
      const page = await assistants.find({ sharedWith: userId, ...notDeleted }, { sort: { _id: 1 }, limit: PAGE });
      if (page.length === 0) break;
      for (const doc of page) if (await unshare(collections, doc, userId, now())) unshared++;
      deps.eventsQueued();
    }
    logger.info({ userId, deleted, unshared }, 'deleted account: its assistants removed, its shares withdrawn');
  };
}

/** Takes `userId` off one assistant's `sharedWith` as a new version; false when a change got in between (the loop reads it again). */
async function unshare(collections: AssistantCollections, doc: AssistantDoc, userId: string, at: Date): Promise<boolean> {
  const sharedWith = doc.sharedWith.filter((id) => id !== userId);
  // Shared with nobody left: only the owner may use it, as PRIVATE says.
  const visibility = doc.visibility === 'SHARED' && sharedWith.length === 0 ? 'PRIVATE' : doc.visibility;
  const next: AssistantDoc = { ...doc, sharedWith, visibility, version: doc.version + 1, updatedAt: at };
  const result = await collections.assistants.updateOne(
    { _id: doc._id, version: doc.version, ...notDeleted },
    updateWithOutbox({ $set: { sharedWith, visibility, version: next.version, updatedAt: at } }, [assistantUpdated(next)]),
  );
  return result.modifiedCount > 0;
}

/** Subscribes the account-deletion consumer; `stop()` the subscription to drain it. */
export function subscribeUserDeletion(bus: EventBus, handler: ReturnType<typeof userDeletionHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: USER_DELETION_GROUP, topics: [identityUserV1.topic], handler });
}
