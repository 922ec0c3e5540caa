import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { rateLimitBalanceV1 } from '@chatgraph/schema';
import { createNotification } from './create';
import type { NotificationMail } from './mail';
import type { NotificationCollections, NotificationDoc } from './store';

/** The consumer group that turns balances falling low into notifications. */
export const CREDIT_NOTIFICATIONS_GROUP = 'notification.credits';

export interface CreditNotificationsDeps {
  collections: NotificationCollections;
  logger: Logger;
  now: () => Date;
  /** A balance below this is low (NOTIFICATION_LOW_CREDITS_THRESHOLD). */
  threshold: number;
  /** Runs after each notification created (not after a redelivery). */
  onCreated?: (doc: NotificationDoc) => void;
  /** E-mails LOW_CREDITS to those who want it by e-mail (preferences). */
  mail?: NotificationMail;
}

/**
 * On rate-limit's `ratelimit.balance.v1`: `balance.changed` makes LOW_CREDITS when the balance
 * crosses below the threshold, i.e. the previous balance this consumer saw was at or above it (or
 * none was seen) and the new one is below. Further debits below it make none until a grant lifts
 * it again: once per crossing. The previous balance is a read model (`balances`, the newest
 * `version` per user; the topic is keyed by user, so one user's changes come in order).
 *
 * Idempotent: the notification is made before the read model moves on, with the id
 * `credits:<event id>`; a redelivery either finds the read model already at its version (skipped)
 * or recomputes the same crossing and hits the unique `_id`. `balance.deleted` forgets the balance.
 */
export function creditNotificationsHandler(deps: CreditNotificationsDeps) {
  const { collections, logger, threshold } = deps;
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== rateLimitBalanceV1.topic) return;
    const type = delivery.event.type;
    if (type !== 'balance.changed' && type !== 'balance.deleted') return;
    const event = rateLimitBalanceV1.validate(delivery.event);
    const { userId } = event.subject;
    const seen = await collections.balances.findById(userId);
    if (seen && seen.version >= event.payload.version) return; // a redelivery or a stale event
    if (event.type === 'balance.deleted') {
      await collections.balances.deleteOne({ _id: userId });
      return;
    }
    if (event.type !== 'balance.changed') return;
    const { credits, version } = event.payload;
    const wasAbove = !seen || seen.credits >= threshold;
    if (wasAbove && credits < threshold) {
      const doc: NotificationDoc = {
        _id: `credits:${event.id}`,
        userId,
        kind: 'LOW_CREDITS',
        title: 'Your credits are running low',
        body: `${credits} credits left`,
        read: false,
        conversationId: null,
        messageId: null,
        fileId: null,
        createdAt: deps.now(),
      };
      if (await createNotification(collections, doc, deps.mail)) {
        logger.debug({ eventId: event.id, userId, kind: doc.kind }, 'notification created');
        deps.onCreated?.(doc);
      }
    }
    // Versioned: an older change never overwrites a newer one (upsert on the first change seen).
    await collections.balances.updateOne(
      seen ? { _id: userId, version: { $lt: version } } : { _id: userId },
      { $set: { credits, version } },
      { upsert: !seen },
    );
  };
}

/** Subscribes the balance consumer; `stop()` the subscription to drain it. */
export function subscribeCreditNotifications(bus: EventBus, handler: ReturnType<typeof creditNotificationsHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: CREDIT_NOTIFICATIONS_GROUP, topics: [rateLimitBalanceV1.topic], handler });
}
