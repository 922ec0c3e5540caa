import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { aiGenerationV1 } from '@chatgraph/schema';
import { createNotification, excerpt } from './create';
import type { NotificationCollections, NotificationDoc } from './store';

/** The consumer group that turns finished answers into notifications. */
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
 * Creates one notification per answer that completed or failed (ai-gateway's
 * `generation.completed` / `generation.failed` on `ai.generation.v1`). An answer its owner stopped
 * (`finishReason: 'aborted'`) needs none: they were there. Idempotent without the kit's
 * processed-events bookkeeping: the notification's id is `answer:<event id>`, so a redelivered
 * event hits the unique `_id` and creates no second notification.
 */
export function answerNotificationsHandler(deps: AnswerNotificationsDeps) {
  const now = deps.now ?? (() => new Date());
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== aiGenerationV1.topic) return;
    const type = delivery.event.type;
    if (type !== 'generation.completed' && type !== 'generation.failed') return;
    const event = aiGenerationV1.validate(delivery.event);
    let fields: Pick<NotificationDoc, 'kind' | 'title' | 'body'>;
    if (event.type === 'generation.completed') {
      if (event.payload.finishReason === 'aborted') return;
      fields = { kind: 'ANSWER_COMPLETED', title: 'Your answer is ready', body: excerpt(event.payload.content) };
    } else if (event.type === 'generation.failed') {
      fields = { kind: 'ANSWER_FAILED', title: 'Your answer failed', body: excerpt(event.payload.error) };
    } else return;
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
  return bus.subscribe({ groupId: ANSWER_NOTIFICATIONS_GROUP, topics: [aiGenerationV1.topic], handler });
}
