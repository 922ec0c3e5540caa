import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { identitySessionV1 } from '@chatgraph/schema';
import { createNotification } from './create';
import type { NotificationMail } from './mail';
import type { NotificationCollections, NotificationDoc } from './store';

/** The consumer group that turns sign-ins into NEW_SIGN_IN notifications. */
export const SIGN_IN_NOTIFICATIONS_GROUP = 'notification.sign-ins';

export interface SignInNotificationsDeps {
  collections: NotificationCollections;
  logger: Logger;
  now: () => Date;
  /** Runs after each notification created (not after a redelivery). */
  onCreated?: (doc: NotificationDoc) => void;
  /** E-mails NEW_SIGN_IN to those who want it by e-mail (preferences). */
  mail?: NotificationMail;
}

/** The longest device description shown: a raw User-Agent is long, and its start names the browser family. */
export const MAX_DEVICE_CHARS = 80;

/** The device as shown: the raw User-Agent (no parser: not worth a dependency), cut with an ellipsis. */
function device(userAgent: string | null): string | null {
  const trimmed = userAgent?.trim();
  if (!trimmed) return null;
  return trimmed.length > MAX_DEVICE_CHARS ? `${trimmed.slice(0, MAX_DEVICE_CHARS - 1)}…` : trimmed;
}

/** The notification's body: when, from what device and network, as far as identity knew them. */
export function signInBody(occurredAt: string, userAgent: string | null, ipPrefix: string | null): string {
  const from = [device(userAgent), ipPrefix ? `network ${ipPrefix}` : null].filter((part) => part !== null).join(', ');
  return `Signed in with a password at ${occurredAt}${from ? ` from ${from}` : ''}. Not you? Change your password.`;
}

/**
 * On identity's `identity.session.v1` `session.started` (a password sign-in): one NEW_SIGN_IN for
 * the user, e-mailed too when they chose it. Idempotent: the id is `sign-in:<event id>`, so a
 * redelivery hits the unique `_id` (and the mail's at-most-once marker) and creates nothing.
 */
export function signInNotificationsHandler(deps: SignInNotificationsDeps) {
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== identitySessionV1.topic || delivery.event.type !== 'session.started') return;
    const event = identitySessionV1.validate(delivery.event);
    const { userAgent, ipPrefix } = event.payload;
    const doc: NotificationDoc = {
      _id: `sign-in:${event.id}`,
      userId: event.subject.userId,
      kind: 'NEW_SIGN_IN',
      title: 'New sign-in to your account',
      body: signInBody(event.occurredAt, userAgent, ipPrefix),
      read: false,
      conversationId: null,
      messageId: null,
      fileId: null,
      createdAt: deps.now(),
    };
    if (!(await createNotification(deps.collections, doc, deps.mail))) return;
    deps.logger.debug({ eventId: event.id, userId: doc.userId, kind: doc.kind }, 'notification created');
    deps.onCreated?.(doc);
  };
}

/** Subscribes the sign-in consumer; `stop()` the subscription to drain it. */
export function subscribeSignInNotifications(bus: EventBus, handler: ReturnType<typeof signInNotificationsHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: SIGN_IN_NOTIFICATIONS_GROUP, topics: [identitySessionV1.topic], handler });
}
