import { Schema } from 'mongoose';
import type { Logger } from '@chatgraph/kit';
import { upsertIfNewer, type Collection, type CollectionSpec, type DocumentStore, type StoredDocument } from '@chatgraph/kit/store';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import { fileFileV1, type FileEvent } from '@chatgraph/schema';

/**
 * ai-gateway's read model of the files a model may be shown, fed by `file.file.v1` (never by a
 * call to the file subgraph): for each READY file (`file.processed`) the extracted text, page
 * count, image dimensions and the image prepared for vision models; `file.deleted` forgets all of
 * it. Uploads, chunks and failures are not ai-gateway's concern (a file never processed is simply
 * absent, so the model is told it is unavailable).
 *
 * Events of one file arrive in order but may be redelivered: each document keeps the `version` of
 * the event it came from (stage x 10^13 + `occurredAt` ms, processed 2, deleted 3) and an update
 * applies only over an older version, so a redelivery is a no-op and the tombstone wins even when
 * it arrives before the processing it follows.
 */

/** The consumer group that keeps the read model. */
export const ATTACHED_FILES_GROUP = 'ai-gateway.files';

/** What a model may be shown of one file; `_id` is the file id. */
export interface AttachedFileDoc extends StoredDocument {
  ownerId: string;
  deleted: boolean;
  filename: string | null;
  mimeType: string | null;
  /** Extracted text (empty for images); at most FILE_TEXT_FOR_MODEL_MAX characters. */
  text: string;
  /** The file service cut `text` (its whole text is longer). */
  textTruncated: boolean;
  pages: number | null;
  image: { width: number; height: number; visionDataUrl: string | null } | null;
  version: number;
}

const attachedFileSchema = new Schema<AttachedFileDoc>(
  {
    _id: { type: String },
    ownerId: { type: String, required: true },
    deleted: { type: Boolean, required: true, default: false },
    filename: { type: String, default: null },
    mimeType: { type: String, default: null },
    text: { type: String, default: '' },
    textTruncated: { type: Boolean, default: false },
    pages: { type: Number, default: null },
    image: {
      type: new Schema(
        {
          width: { type: Number, required: true },
          height: { type: Number, required: true },
          visionDataUrl: { type: String, default: null },
        },
        { _id: false },
      ),
      default: null,
    },
    version: { type: Number, required: true },
  },
  { versionKey: false },
);

/** The read model's collection. */
export const attachedFilesSpec: CollectionSpec<AttachedFileDoc> = { name: 'attached_files', schema: attachedFileSchema };

const STAGE_WEIGHT = 10 ** 13;

/** The fields an event sets, or undefined for the events ai-gateway ignores. */
function fieldsOf(event: FileEvent): Omit<AttachedFileDoc, '_id'> | undefined {
  const at = new Date(event.occurredAt).getTime();
  const ownerId = event.subject.ownerId;
  if (event.type === 'file.deleted') {
    // Forgotten: only the tombstone stays, so a late `file.processed` cannot bring it back.
    const forgotten = { filename: null, mimeType: null, text: '', textTruncated: false, pages: null, image: null };
    return { ownerId, deleted: true, ...forgotten, version: 3 * STAGE_WEIGHT + at };
  }
  if (event.type !== 'file.processed') return undefined;
  const { filename, mimeType, text, textTruncated, pages, image } = event.payload;
  return {
    ownerId,
    deleted: false,
    filename,
    mimeType,
    text,
    textTruncated,
    pages: pages ?? null,
    image: image ? { width: image.width, height: image.height, visionDataUrl: image.visionDataUrl ?? null } : null,
    version: 2 * STAGE_WEIGHT + at,
  };
}

/** The files ai-gateway may show a model, and the lookup generations use. */
export class AttachedFiles {
  private readonly collection: Collection<AttachedFileDoc>;

  constructor(store: DocumentStore) {
    this.collection = store.collection(attachedFilesSpec);
  }

  /**
   * The READY, undeleted files among `fileIds` that belong to `ownerId`, by id. Someone else's
   * file is left out exactly as a missing one: it never reaches the model.
   */
  async ownedBy(ownerId: string, fileIds: readonly string[]): Promise<Map<string, AttachedFileDoc>> {
    if (fileIds.length === 0) return new Map();
    const found = await this.collection.findByIds(fileIds);
    return new Map(found.filter((f) => f.ownerId === ownerId && !f.deleted).map((f) => [f._id, f]));
  }

  /** Ids among `fileIds` this read model has never heard of (not processed yet, or never existing). */
  async unknown(fileIds: readonly string[]): Promise<string[]> {
    if (fileIds.length === 0) return [];
    const known = new Set((await this.collection.findByIds(fileIds)).map((f) => f._id));
    return fileIds.filter((id) => !known.has(id));
  }

  /** Applies an event unless a newer one (or the tombstone) is stored. Idempotent; resolves whether it applied. */
  async apply(event: FileEvent): Promise<boolean> {
    const fields = fieldsOf(event);
    if (!fields) return false;
    return upsertIfNewer(this.collection, event.subject.fileId, 'version', fields);
  }
}

/** The `file.file.v1` consumer: keeps what a model may be shown of each file. */
export function attachedFilesHandler(files: AttachedFiles, logger: Logger) {
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== fileFileV1.topic) return;
    // Uploads and chunks (the bulk of the topic) are skipped before validation.
    if (delivery.event.type !== 'file.processed' && delivery.event.type !== 'file.deleted') return;
    const event = fileFileV1.validate(delivery.event);
    const applied = await files.apply(event);
    logger.debug(
      { fileId: event.subject.fileId, type: event.type, applied },
      applied ? 'attached file read model updated' : 'older file event ignored',
    );
  };
}

/** Subscribes the file consumer; `stop()` the subscription to drain it. */
export function subscribeAttachedFiles(bus: EventBus, handler: ReturnType<typeof attachedFilesHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: ATTACHED_FILES_GROUP, topics: [fileFileV1.topic], handler });
}
