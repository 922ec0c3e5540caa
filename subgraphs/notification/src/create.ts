import { DuplicateKeyError } from '@chatgraph/kit/store';
import { mailNotification, type NotificationMail } from './mail';
import { preferenceFor } from './preferences';
import type { NotificationCollections, NotificationDoc } from './store';

/** The longest body: the start of the answer, of the error, of the reason. */
export const MAX_BODY_CHARS = 200;

/** `text` trimmed and cut to MAX_BODY_CHARS (with an ellipsis when cut). */
export function excerpt(text: string | undefined): string {
  const trimmed = (text ?? '').trim();
  return trimmed.length > MAX_BODY_CHARS ? `${trimmed.slice(0, MAX_BODY_CHARS - 1)}…` : trimmed;
}

/**
 * Stores a notification made from an event; resolves whether it is new (and so to announce).
 * Idempotent without the kit's processed-events bookkeeping: the id is derived from the event, so a
 * redelivery hits the unique `_id` and stores nothing. Nothing is kept for a deleted account.
 * The recipient's preferences apply: a kind they turned off in-app is neither stored nor
 * announced; with `mail`, a kind they want by e-mail is mailed (whether or not it is stored).
 */
export async function createNotification(
  collections: NotificationCollections,
  doc: NotificationDoc,
  mail?: NotificationMail,
): Promise<boolean> {
  if (await collections.deletedUsers.findById(doc.userId)) return false;
  const preference = await preferenceFor(collections, doc.userId, doc.kind);
  if (mail && preference.email && preference.emailAvailable) await mailNotification(collections, mail, doc);
  if (!preference.inApp) return false;
  try {
    await collections.notifications.insertOne(doc);
  } catch (error) {
    if (error instanceof DuplicateKeyError) return false; // a redelivery: its notification exists
    throw error;
  }
  // The account may have been deleted between the check and the insert: the deletion writes its
  // marker before deleting, so either it deletes this notification or this check sees the marker.
  if (await collections.deletedUsers.findById(doc.userId)) {
    await collections.notifications.deleteOne({ _id: doc._id });
    return false;
  }
  return true;
}
