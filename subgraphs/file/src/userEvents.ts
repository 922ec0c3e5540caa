import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { identityUserV1 } from '@chatgraph/schema';
import type { FileService } from './service';

/** The consumer group that removes a deleted account's files. */
export const USER_EVENTS_GROUP = 'file.users';

/**
 * On identity's `user.deleted`: every file of the account is deleted as `deleteFile` would
 * (tombstone + `file.deleted`, then its blobs). Idempotent: a redelivery finds nothing left.
 */
export function userEventsHandler(files: FileService, logger: Logger) {
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== identityUserV1.topic || delivery.event.type !== 'user.deleted') return;
    const event = identityUserV1.validate(delivery.event);
    const deleted = await files.deleteAllOf(event.subject.userId);
    logger.info({ userId: event.subject.userId, deleted }, 'deleted account: files removed');
  };
}

/** Subscribes the account consumer; `stop()` the subscription to drain it. */
export function subscribeUserEvents(bus: EventBus, handler: ReturnType<typeof userEventsHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: USER_EVENTS_GROUP, topics: [identityUserV1.topic], handler });
}
