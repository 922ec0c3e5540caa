import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { conversationConversationV1, conversationMessageV1 } from '@chatgraph/schema';
import type { Change, ChangeLog } from './changeLog';
import type { NotificationCollections } from './store';

/** The consumer group that logs conversation changes for `myEvents`. */
export const CHANGE_EVENTS_GROUP = 'notification.my-events';

export interface ChangeEventsDeps {
  log: ChangeLog;
  collections: NotificationCollections;
  logger: Logger;
  now: () => Date;
}

/** The change an event of `conversation.conversation.v1` stands for, with its owner. */
function conversationChange(delivery: EventDelivery): { ownerId: string; change: Change } | null {
  const type = delivery.event.type;
  if (type !== 'conversation.created' && type !== 'conversation.updated' && type !== 'conversation.deleted') return null;
  const event = conversationConversationV1.validate(delivery.event);
  const base = { eventId: event.id, conversationId: event.subject.conversationId, messageId: null, occurredAt: event.occurredAt };
  const ownerId = event.subject.ownerId;
  if (event.type === 'conversation.created') return { ownerId, change: { ...base, kind: 'CONVERSATION_CREATED', changedFields: [] } };
  if (event.type === 'conversation.updated') {
    const changedFields = (['title', 'pinned', 'archived', 'tags'] as const).filter((field) => event.payload[field] !== undefined);
    return { ownerId, change: { ...base, kind: 'CONVERSATION_UPDATED', changedFields } };
  }
  return { ownerId, change: { ...base, kind: 'CONVERSATION_DELETED', changedFields: [] } };
}

/**
 * The change an event of `conversation.message.v1` stands for. `message.deleted` is left out: its
 * only reason is the conversation's deletion, which CONVERSATION_DELETED already says (one entry
 * rather than one per message, which could flush a long conversation's log).
 */
function messageChange(delivery: EventDelivery): { ownerId: string; change: Change } | null {
  const kinds = {
    'message.created': 'MESSAGE_CREATED',
    'message.completed': 'MESSAGE_COMPLETED',
    'message.rated': 'MESSAGE_RATED',
  } as const;
  const type = delivery.event.type;
  if (type !== 'message.created' && type !== 'message.completed' && type !== 'message.rated') return null;
  const event = conversationMessageV1.validate(delivery.event);
  const { conversationId, messageId, ownerId } = event.subject as { conversationId: string; messageId: string; ownerId: string };
  return {
    ownerId,
    change: { eventId: event.id, kind: kinds[type], conversationId, messageId, changedFields: [], occurredAt: event.occurredAt },
  };
}

/**
 * Logs each conversation and message change in its owner's change log (`myEvents`), once per
 * event. Changes older than the log's TTL are skipped (a new consumer group starts at the oldest
 * retained event: replaying months of history into logs that expire in a day helps nobody), and
 * so are a deleted account's.
 */
export function changeEventsHandler(deps: ChangeEventsDeps) {
  const { log, collections, logger } = deps;
  return async (delivery: EventDelivery): Promise<void> => {
    const found =
      delivery.topic === conversationConversationV1.topic
        ? conversationChange(delivery)
        : delivery.topic === conversationMessageV1.topic
          ? messageChange(delivery)
          : null;
    if (!found) return;
    if (Date.parse(found.change.occurredAt) < deps.now().getTime() - log.limits.ttlMs) return;
    if (await collections.deletedUsers.findById(found.ownerId)) return;
    if (await log.append(found.ownerId, found.change))
      logger.debug({ eventId: found.change.eventId, userId: found.ownerId, kind: found.change.kind }, 'change logged');
  };
}

/** Subscribes the change consumer; `stop()` the subscription to drain it. */
export function subscribeChangeEvents(bus: EventBus, handler: ReturnType<typeof changeEventsHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: CHANGE_EVENTS_GROUP, topics: [conversationConversationV1.topic, conversationMessageV1.topic], handler });
}
