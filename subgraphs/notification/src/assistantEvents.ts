import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { upsertIfNewer } from '@chatgraph/kit/store';
import { assistantAssistantV1, type AssistantState } from '@chatgraph/schema';
import { createNotification } from './create';
import type { NotificationCollections, NotificationDoc } from './store';

/** The consumer group that turns new shares of assistants into ASSISTANT_SHARED notifications. */
export const ASSISTANT_NOTIFICATIONS_GROUP = 'notification.assistants';

/**
 * Shares older than this when consumed are remembered but not announced: a consumer group
 * starting on a long history (a first deployment) does not flood users with shares of long ago.
 */
export const STALE_SHARE_MS = 24 * 3_600_000;

export interface AssistantNotificationsDeps {
  collections: NotificationCollections;
  logger: Logger;
  now: () => Date;
  /** Runs after each notification created (not after a redelivery). */
  onCreated?: (doc: NotificationDoc) => void;
}

/** Who besides the owner may use the assistant in `state`: the list only counts while it is SHARED. */
function sharedWithOf(state: AssistantState, ownerId: string): string[] {
  return state.visibility === 'SHARED' ? state.sharedWith.filter((userId) => userId !== ownerId) : [];
}

/**
 * On assistant's `assistant.assistant.v1`: `assistant.created` / `assistant.updated` (the whole
 * state, versioned) make one ASSISTANT_SHARED for each user on the share list who was not on it in
 * the last version seen (the read model `assistant_shares`; the topic is keyed by assistant, so one
 * assistant's versions come in order). Never for the owner; a later update that keeps someone on
 * the list makes nothing; someone removed and added again is told again. `assistant.deleted`
 * empties the list at its version.
 *
 * Idempotent: the notifications are made before the read model moves on, with the id
 * `shared:<event id>:<user id>`; a redelivery either finds the read model at its version (skipped)
 * or recomputes the same additions and hits the unique ids.
 */
export function assistantNotificationsHandler(deps: AssistantNotificationsDeps) {
  const { collections, logger } = deps;
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== assistantAssistantV1.topic) return;
    const event = assistantAssistantV1.validate(delivery.event);
    const { assistantId, ownerId } = event.subject;
    const seen = await collections.assistantShares.findById(assistantId);
    if (seen && seen.version >= event.payload.version) return; // a redelivery or a stale event
    if (event.type === 'assistant.deleted') {
      await upsertIfNewer(collections.assistantShares, assistantId, 'version', { version: event.payload.version, sharedWith: [] });
      return;
    }
    if (event.type !== 'assistant.created' && event.type !== 'assistant.updated') return;
    const sharedWith = sharedWithOf(event.payload, ownerId);
    const before = new Set(seen?.sharedWith ?? []);
    const added = sharedWith.filter((userId) => !before.has(userId));
    const fresh = deps.now().getTime() - Date.parse(event.occurredAt) <= STALE_SHARE_MS;
    if (fresh) {
      for (const userId of added) {
        const doc: NotificationDoc = {
          _id: `shared:${event.id}:${userId}`,
          userId,
          kind: 'ASSISTANT_SHARED',
          title: 'An assistant was shared with you',
          body: event.payload.name,
          read: false,
          conversationId: null,
          messageId: null,
          fileId: null,
          assistantId,
          createdAt: deps.now(),
        };
        if (!(await createNotification(collections, doc))) continue;
        logger.debug({ eventId: event.id, userId, kind: doc.kind }, 'notification created');
        deps.onCreated?.(doc);
      }
    } else if (added.length > 0) logger.info({ eventId: event.id, assistantId, added: added.length }, 'old share not announced');
    await upsertIfNewer(collections.assistantShares, assistantId, 'version', { version: event.payload.version, sharedWith });
  };
}

/** Subscribes the assistant consumer; `stop()` the subscription to drain it. */
export function subscribeAssistantNotifications(
  bus: EventBus,
  handler: ReturnType<typeof assistantNotificationsHandler>,
): Promise<Subscription> {
  return bus.subscribe({ groupId: ASSISTANT_NOTIFICATIONS_GROUP, topics: [assistantAssistantV1.topic], handler });
}
