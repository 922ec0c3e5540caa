import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { streamingStreamV1 } from '@chatgraph/schema';
import { createNotification, excerpt } from './create';
import type { NotificationCollections, NotificationDoc } from './store';

/** The consumer group that turns answers that ended unwatched into notifications. */
export const ANSWER_NOTIFICATIONS_GROUP = 'notification.answers';

export interface AnswerNotificationsDeps {
  collections: NotificationCollections;
  logger: Logger;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
  /** Runs after each notification created (not after a redelivery). */
  onCreated?: (doc: NotificationDoc) => void;
}

/**
 * Creates one notification per answer that completed or failed while its owner was not watching
 * its stream (streaming's `stream.ended` on `streaming.stream.v1`, `watched: false`: nobody was
 * subscribed at the end, or the client left before it). A watched answer needs none: the owner
 * saw it end; nor does one they stopped (`ABORTED`): they were there. Idempotent without the kit's
 * processed-events bookkeeping: the notification's id is `answer:<event id>` (streaming derives
 * the event id from the generation's outcome), so a redelivery hits the unique `_id`.
 */
export function answerNotificationsHandler(deps: AnswerNotificationsDeps) {
  const now = deps.now ?? (() => new Date());
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== streamingStreamV1.topic || delivery.event.type !== 'stream.ended') return;
    const event = streamingStreamV1.validate(delivery.event);
    const { status, watched, preview } = event.payload;
    if (watched || status === 'ABORTED') return;
    const fields: Pick<NotificationDoc, 'kind' | 'title' | 'body'> =
      status === 'COMPLETE'
        ? { kind: 'ANSWER_COMPLETED', title: 'Your answer is ready', body: excerpt(preview) }
        : { kind: 'ANSWER_FAILED', title: 'Your answer failed', body: excerpt(preview) };
    const doc: NotificationDoc = {
      _id: `answer:${event.id}`,
      userId: event.subject.ownerId,
      ...fields,
      read: false,
      conversationId: event.subject.conversationId,
      messageId: event.subject.messageId,
      createdAt: now(),
    };
    if (!(await createNotification(deps.collections, doc))) return;
    deps.logger.debug({ eventId: event.id, userId: doc.userId, kind: doc.kind }, 'notification created');
    deps.onCreated?.(doc);
  };
}

/** Subscribes the answer consumer; `stop()` the subscription to drain it. */
export function subscribeAnswerNotifications(bus: EventBus, handler: ReturnType<typeof answerNotificationsHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: ANSWER_NOTIFICATIONS_GROUP, topics: [streamingStreamV1.topic], handler });
}
