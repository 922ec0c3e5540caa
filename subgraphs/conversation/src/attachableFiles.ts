import { Schema } from 'mongoose';
import { codedError, type Logger } from '@chatgraph/kit';
import { upsertIfNewer, type Collection, type CollectionSpec, type DocumentStore, type StoredDocument } from '@chatgraph/kit/store';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { fileFileV1, type FileEvent, type FilePurpose } from '@chatgraph/schema';

/**
 * Conversation's read model of the file service's files, fed by `file.file.v1` (never by a call
 * to the file subgraph), so `sendMessage` and `editMessage` refuse a file that cannot be attached
 * with BAD_USER_INPUT `field: 'fileIds'` before anything is written.
 *
 * One document per file: owner, status, name, type, purpose. Events of one file arrive in order
 * (the topic is keyed by fileId) but may be redelivered, so each document keeps the `version` of
 * the event it came from and an update applies only over an older version: the file's stage
 * (uploaded 1, processed or failed 2, deleted 3) times 10^13 plus the event's `occurredAt` in
 * milliseconds. A redelivery is a no-op, a late `file.uploaded` never turns a READY file back into
 * PROCESSING, and the tombstone (`file.deleted`) wins over everything, even when it arrives first.
 *
 * Staleness, accepted on purpose: a file is attachable once its `file.processed` has been consumed
 * here (normally well under a second after the file service marked it READY); a client that sends
 * in between is told the file is still being processed and can retry. There is no bootstrap
 * leniency as for the model catalog: a file this read model has never heard of does not exist for
 * conversation.
 */

/** The consumer group that keeps the read model. */
export const ATTACHABLE_FILES_GROUP = 'conversation.files';
/** The only purpose a message may attach (avatars and assistant knowledge are not sent to chats). */
export const ATTACHABLE_PURPOSE: FilePurpose = 'MESSAGE_ATTACHMENT';

/** Where a file is in its life, as conversation knows it. */
export type AttachableFileStatus = 'PROCESSING' | 'READY' | 'FAILED' | 'DELETED';

/** Why a file id was refused (`extensions.reason`). */
export type FileRefusal = 'UNKNOWN' | 'NOT_READY' | 'FAILED' | 'DELETED' | 'NOT_AN_ATTACHMENT';

/** One file as conversation keeps it, `_id` = the file id. */
export interface AttachableFileDoc extends StoredDocument {
  ownerId: string;
  status: AttachableFileStatus;
  filename: string | null;
  mimeType: string | null;
  purpose: FilePurpose | null;
  /** The failure code of a FAILED file (CORRUPT, TIMEOUT...). */
  failureCode: string | null;
  /** Stage x 10^13 + occurredAt ms of the event applied last (see the module comment). */
  version: number;
}

const fileSchema = new Schema<AttachableFileDoc>(
  {
    _id: { type: String },
    ownerId: { type: String, required: true },
    status: { type: String, required: true, enum: ['PROCESSING', 'READY', 'FAILED', 'DELETED'] },
    filename: { type: String, default: null },
    mimeType: { type: String, default: null },
    purpose: { type: String, default: null },
    failureCode: { type: String, default: null },
    version: { type: Number, required: true },
  },
  { versionKey: false },
);

/** The read model's collection. */
export const attachableFilesSpec: CollectionSpec<AttachableFileDoc> = { name: 'attachable_files', schema: fileSchema };

const STAGE = { 'file.uploaded': 1, 'file.processed': 2, 'file.failed': 2, 'file.deleted': 3 } as const;
const STAGE_WEIGHT = 10 ** 13;

type FileFields = Omit<AttachableFileDoc, '_id'>;

/** The fields an event sets, or undefined for events this read model ignores (`file.chunked`). */
function fieldsOf(event: FileEvent): (Partial<FileFields> & Pick<FileFields, 'ownerId' | 'status' | 'version'>) | undefined {
  if (event.type === 'file.chunked') return undefined;
  const version = STAGE[event.type] * STAGE_WEIGHT + new Date(event.occurredAt).getTime();
  const base = { ownerId: event.subject.ownerId, version, failureCode: null };
  switch (event.type) {
    case 'file.uploaded':
    case 'file.processed': {
      const { filename, mimeType, purpose } = event.payload;
      return { ...base, status: event.type === 'file.uploaded' ? 'PROCESSING' : 'READY', filename, mimeType, purpose };
    }
    case 'file.failed':
      // A failure carries no name or type: the upload's stay in place.
      return { ...base, status: 'FAILED', failureCode: event.payload.code };
    case 'file.deleted':
      // Forgotten: only the owner and the tombstone stay, so a late event cannot bring it back.
      return { ...base, status: 'DELETED', filename: null, mimeType: null, purpose: null };
  }
}

/** The files conversation has heard of, and the check attached file ids go through. */
export class AttachableFiles {
  private readonly collection: Collection<AttachableFileDoc>;

  constructor(store: DocumentStore) {
    this.collection = store.collection(attachableFilesSpec);
  }

  /**
   * Nothing when every id is a READY message attachment of `ownerId`; otherwise BAD_USER_INPUT
   * `field: 'fileIds'` naming the first refused id (`fileId`) and why (`reason`). Someone else's
   * file is "unknown", exactly as a file that does not exist, so ids never reveal existence.
   * One read for all the ids.
   */
  async check(ownerId: string, fileIds: readonly string[]): Promise<void> {
    if (fileIds.length === 0) return;
    const found = new Map((await this.collection.findByIds(fileIds)).map((f) => [f._id, f]));
    for (const fileId of fileIds) {
      const file = found.get(fileId);
      const refusal = file && file.ownerId === ownerId ? refusalOf(file) : { reason: 'UNKNOWN' as const, why: 'is unknown' };
      if (refusal)
        throw codedError('BAD_USER_INPUT', `file '${fileId}' ${refusal.why}`, { field: 'fileIds', fileId, reason: refusal.reason });
    }
  }

  /** Applies an event unless a newer one (or the tombstone) is stored. Idempotent; resolves whether it applied. */
  async apply(event: FileEvent): Promise<boolean> {
    const fields = fieldsOf(event);
    if (!fields) return false;
    return upsertIfNewer(this.collection, event.subject.fileId, 'version', fields);
  }
}

/** Why the owner's own file cannot be attached, or undefined when it can. */
function refusalOf(file: AttachableFileDoc): { reason: FileRefusal; why: string } | undefined {
  switch (file.status) {
    case 'DELETED':
      return { reason: 'DELETED', why: 'was deleted' };
    case 'FAILED':
      return { reason: 'FAILED', why: `could not be processed (${file.failureCode ?? 'FAILED'}) and cannot be attached` };
    case 'PROCESSING':
      return { reason: 'NOT_READY', why: 'is still being processed; attach it once it is READY' };
    case 'READY':
      if (file.purpose !== ATTACHABLE_PURPOSE)
        return { reason: 'NOT_AN_ATTACHMENT', why: `was uploaded as ${file.purpose ?? 'another purpose'}, not as a MESSAGE_ATTACHMENT` };
      return undefined;
  }
}

/** The `file.file.v1` consumer: keeps the newest state of each file. */
export function attachableFilesHandler(view: AttachableFiles, logger: Logger) {
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== fileFileV1.topic) return;
    const event = fileFileV1.validate(delivery.event);
    const applied = await view.apply(event);
    logger.debug(
      { fileId: event.subject.fileId, type: event.type, applied },
      applied ? 'file read model updated' : 'older file event ignored',
    );
  };
}

/** Subscribes the file consumer; `stop()` the subscription to drain it. */
export function subscribeAttachableFiles(bus: EventBus, handler: ReturnType<typeof attachableFilesHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: ATTACHABLE_FILES_GROUP, topics: [fileFileV1.topic], handler });
}
