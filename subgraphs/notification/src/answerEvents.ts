import type { Logger } from '@chatgraph/kit';
import { DuplicateKeyError } from '@chatgraph/kit/store';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { aiGenerationV1 } from '@chatgraph/schema';
import type { NotificationCollections, NotificationDoc } from './store';

/** The consumer group that turns finished answers into notifications. */
export const ANSWER_NOTIFICATIONS_GROUP = 'notification.answers';

/** The longest body: the start of the answer or of the error. */
export const MAX_BODY_CHARS = 200;

export interface AnswerNotificationsDeps {
  collections: NotificationCollections;
  logger: Logger;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
  /** Runs after each notification created (not after a redelivery). */
  onCreated?: (doc: NotificationDoc) => void;
}

function excerpt(text: string | undefined): string {
  const trimmed = (text ?? '').trim();
  return trimmed.length > MAX_BODY_CHARS ? `${trimmed.slice(0, MAX_BODY_CHARS - 1)}…` : trimmed;
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
    if (await deps.collections.deletedUsers.findById(doc.userId)) return;
    try {
      await deps.collections.notifications.insertOne(doc);
    } catch (error) {
      if (error instanceof DuplicateKeyError) return; // a redelivery: its notification exists
      throw error;
    }
    // The account may have been deleted between the check and the insert: the deletion writes its
    // marker before deleting, so either it deletes this notification or this check sees the marker.
    if (await deps.collections.deletedUsers.findById(doc.userId)) {
      await deps.collections.notifications.deleteOne({ _id: doc._id });
      return;
    }
    deps.logger.debug({ eventId: event.id, userId: doc.userId, kind: doc.kind }, 'notification created');
    deps.onCreated?.(doc);
  };
}

/** Subscribes the answer consumer; `stop()` the subscription to drain it. */
export function subscribeAnswerNotifications(bus: EventBus, handler: ReturnType<typeof answerNotificationsHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: ANSWER_NOTIFICATIONS_GROUP, topics: [aiGenerationV1.topic], handler });
}
