import type { UserPrincipal } from '@chatgraph/kit';
import type { AssistantDoc } from './store';

/**
 * Who may do what with an assistant. Reading and using follow its visibility; changing, sharing
 * and deleting are its owner's (and an ADMIN's, who may therefore also read every assistant).
 * Tombstones are nobody's.
 */

/** Whether `user` may read the assistant and run turns with it. */
export function canUse(doc: AssistantDoc | null, user: UserPrincipal): doc is AssistantDoc {
  if (!doc || doc._deleted) return false;
  if (doc.ownerId === user.userId || user.role === 'ADMIN') return true;
  if (doc.visibility === 'PUBLIC') return true;
  return doc.visibility === 'SHARED' && doc.sharedWith.includes(user.userId);
}

/** Whether `user` may change, share or delete the assistant. */
export function canChange(doc: AssistantDoc, user: UserPrincipal): boolean {
  return !doc._deleted && (doc.ownerId === user.userId || user.role === 'ADMIN');
}
