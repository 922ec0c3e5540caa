import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { conversationShareV1 } from '@chatgraph/schema';
import type { FileCollections } from './store';

/** The consumer group that keeps the shares' read model. */
export const SHARE_EVENTS_GROUP = 'file.shares';

/**
 * Keeps `shareGrants` from conversation's `conversation.share.v1` (never a call to conversation):
 * `share.created` records the share's files, `share.revoked` ends it for good. Idempotent and
 * order-safe for one share (its events share the conversation's key): a created seen again after
 * the revocation only inserts when nothing is there (`$setOnInsert`), so a revoked share stays revoked.
 */
export function shareEventsHandler(collections: FileCollections, logger: Logger, now: () => Date) {
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== conversationShareV1.topic) return;
    const event = conversationShareV1.validate(delivery.event);
    const { shareId, conversationId, ownerId } = event.subject;
    if (event.type === 'share.created') {
      await collections.shareGrants.updateOne(
        { _id: shareId },
        { $setOnInsert: { conversationId, ownerId, fileIds: event.payload.fileIds, revoked: false, updatedAt: now() } },
        { upsert: true },
      );
      return;
    }
    await collections.shareGrants.updateOne(
      { _id: shareId },
      { $set: { revoked: true, updatedAt: now() }, $setOnInsert: { conversationId, ownerId, fileIds: [] } },
      { upsert: true },
    );
    logger.debug({ shareId }, 'share revoked: its files are no longer served through it');
  };
}

/** Subscribes the shares consumer; `stop()` the subscription to drain it. */
export function subscribeShareEvents(bus: EventBus, handler: ReturnType<typeof shareEventsHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: SHARE_EVENTS_GROUP, topics: [conversationShareV1.topic], handler });
}
