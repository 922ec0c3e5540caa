import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { fileFileV1 } from '@chatgraph/schema';
import { createNotification, excerpt } from './create';
import type { NotificationCollections, NotificationDoc } from './store';

/** The consumer group that turns processed and failed files into notifications. */
export const FILE_NOTIFICATIONS_GROUP = 'notification.files';

export interface FileNotificationsDeps {
  collections: NotificationCollections;
  logger: Logger;
  now: () => Date;
  /** Runs after each notification created (not after a redelivery). */
  onCreated?: (doc: NotificationDoc) => void;
}

/**
 * On the file subgraph's `file.file.v1`: `file.processed` makes FILE_READY (the body the file's
 * name), `file.failed` FILE_FAILED (the body the reason, shown to the owner as the file service
 * words it), both for the file's owner, with the file as `Notification.file`. Idempotent: the id is
 * `file:<event id>`. `file.deleted` deletes the file's notifications (they would point at nothing);
 * the topic keeps one file's events in order, so a notification is never created after it.
 */
export function fileNotificationsHandler(deps: FileNotificationsDeps) {
  const { collections, logger } = deps;
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== fileFileV1.topic) return;
    const type = delivery.event.type;
    if (type !== 'file.processed' && type !== 'file.failed' && type !== 'file.deleted') return;
    const event = fileFileV1.validate(delivery.event);
    const { fileId, ownerId } = event.subject as { fileId: string; ownerId: string };
    let fields: Pick<NotificationDoc, 'kind' | 'title' | 'body'>;
    if (event.type === 'file.processed') {
      fields = { kind: 'FILE_READY', title: 'Your file is ready', body: excerpt(event.payload.filename) };
    } else if (event.type === 'file.failed') {
      fields = { kind: 'FILE_FAILED', title: 'Your file could not be processed', body: excerpt(event.payload.reason) };
    } else {
      const deleted = await collections.notifications.deleteMany({ userId: ownerId, fileId });
      logger.debug({ fileId, deleted }, 'deleted file: notifications removed');
      return;
    }
    const doc: NotificationDoc = {
      _id: `file:${event.id}`,
      userId: ownerId,
      ...fields,
      read: false,
      conversationId: null,
      messageId: null,
      fileId,
      createdAt: deps.now(),
    };
    if (!(await createNotification(collections, doc))) return;
    logger.debug({ eventId: event.id, userId: ownerId, kind: doc.kind }, 'notification created');
    deps.onCreated?.(doc);
  };
}

/** Subscribes the file consumer; `stop()` the subscription to drain it. */
export function subscribeFileNotifications(bus: EventBus, handler: ReturnType<typeof fileNotificationsHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: FILE_NOTIFICATIONS_GROUP, topics: [fileFileV1.topic], handler });
}
