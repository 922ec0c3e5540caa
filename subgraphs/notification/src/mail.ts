import type { Logger } from '@chatgraph/kit';
import type { Mailer } from '@chatgraph/kit/mail';
import { DuplicateKeyError } from '@chatgraph/kit/store';
import type { NotificationCollections, NotificationDoc } from './store';

/** What e-mailing a notification needs: the kit mailer (file embedded, SMTP in production). */
export interface NotificationMail {
  mailer: Mailer;
  logger: Logger;
  now: () => Date;
}

/**
 * E-mails `doc` to its recipient's address as identity last published it (the `recipients` read
 * model; no address known yet: no mail, logged). At most once per notification: a marker
 * (`mails_sent`, `_id` = the notification's id) is written first, so a redelivered event sends
 * nothing; a failed send removes it again, so the event's retry sends it.
 */
export async function mailNotification(collections: NotificationCollections, mail: NotificationMail, doc: NotificationDoc): Promise<void> {
  const recipient = await collections.recipients.findById(doc.userId);
  if (!recipient) {
    mail.logger.warn({ userId: doc.userId, id: doc._id }, 'no e-mail address known: notification not mailed');
    return;
  }
  try {
    await collections.mailsSent.insertOne({ _id: doc._id, userId: doc.userId, sentAt: mail.now() });
  } catch (error) {
    if (error instanceof DuplicateKeyError) return; // a redelivery: mailed already
    throw error;
  }
  try {
    await mail.mailer.send({
      to: recipient.email,
      subject: doc.title,
      text: `${doc.title}\n\n${doc.body}\n\nYou get this mail because e-mail is on for ${doc.kind} in your notification preferences.\n`,
      kind: `notification-${doc.kind.toLowerCase()}`,
    });
  } catch (error) {
    await collections.mailsSent.deleteOne({ _id: doc._id });
    throw error;
  }
}
