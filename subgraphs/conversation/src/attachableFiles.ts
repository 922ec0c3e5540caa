import type { FilePurpose } from '@chatgraph/schema';
import { KnownFiles, knownFilesSpec, type KnownFileDoc } from '@chatgraph/kit/read-models';
import type { DocumentStore } from '@chatgraph/kit/store';

/**
 * Conversation's read model of the file service's files (the kit's `KnownFiles`, where ordering,
 * redelivery and staleness are written), so `sendMessage` and `editMessage` refuse a file that
 * cannot be attached with BAD_USER_INPUT `field: 'fileIds'` and a `reason` before anything is
 * written: UNKNOWN (also someone else's), NOT_READY, FAILED, DELETED, NOT_AN_ATTACHMENT.
 */

/** The consumer group that keeps the read model. */
export const ATTACHABLE_FILES_GROUP = 'conversation.files';
/** The only purpose a message may attach (avatars and assistant knowledge are not sent to chats). */
export const ATTACHABLE_PURPOSE: FilePurpose = 'MESSAGE_ATTACHMENT';

const COLLECTION = 'attachable_files';

/** The read model's collection. */
export const attachableFilesSpec = knownFilesSpec(COLLECTION);
/** One file as conversation keeps it. */
export type AttachableFileDoc = KnownFileDoc;

/** The files conversation has heard of; `check(ownerId, fileIds)` accepts only READY attachments. */
export class AttachableFiles extends KnownFiles {
  constructor(store: DocumentStore) {
    super(store, {
      collection: COLLECTION,
      purposes: [ATTACHABLE_PURPOSE],
      wrongPurpose: {
        reason: 'NOT_AN_ATTACHMENT',
        why: (purpose) => `was uploaded as ${purpose ?? 'another purpose'}, not as a MESSAGE_ATTACHMENT`,
      },
    });
  }
}
