import { Schema } from 'mongoose';
import { fileFileV1, type FileEvent, type FilePurpose } from '@chatgraph/schema';
import { codedError } from '../errors';
import type { Logger } from '../logger';
import { upsertIfNewer, type Collection, type CollectionSpec, type DocumentStore, type StoredDocument } from '../store';
import type { EventBus, EventDelivery, Subscription } from '../events';

/**
 * A service's read model of the file service's files, fed by `file.file.v1` (never by a call to
 * the file subgraph), so a mutation naming file ids (a message's attachments, an assistant's
 * knowledge files) refuses one that is unknown, someone else's, failed or deleted with
 * BAD_USER_INPUT `field: 'fileIds'` before anything is written.
 *
 * One document per file: owner, status, name, type, purpose. Events of one file arrive in order
 * (the topic is keyed by fileId) but may be redelivered, so each document keeps the `version` of
 * the event it came from and an update applies only over an older version: the file's stage
 * (uploaded 1, processed or failed 2, deleted 3) times 10^13 plus the event's `occurredAt` in
 * milliseconds. A redelivery is a no-op, a late `file.uploaded` never turns a READY file back into
 * PROCESSING, and the tombstone (`file.deleted`) wins over everything, even when it arrives first.
 *
 * Staleness, accepted on purpose: a file is READY here once its `file.processed` has been consumed
 * (normally well under a second after the file service marked it READY). There is no bootstrap
 * leniency as for the model catalog: a file this read model has never heard of does not exist.
 */

/** Where a file is in its life, as a read model knows it. */
export type KnownFileStatus = 'PROCESSING' | 'READY' | 'FAILED' | 'DELETED';

/** Why a file id was refused (`extensions.reason`); the wrong-purpose reason is the service's own. */
export type FileRefusalReason = 'UNKNOWN' | 'NOT_READY' | 'FAILED' | 'DELETED' | (string & {});

/** One file as a read model keeps it, `_id` = the file id. */
export interface KnownFileDoc extends StoredDocument {
  ownerId: string;
  status: KnownFileStatus;
  filename: string | null;
  mimeType: string | null;
  purpose: FilePurpose | null;
  /** The failure code of a FAILED file (CORRUPT, TIMEOUT...). */
  failureCode: string | null;
  /** Stage x 10^13 + occurredAt ms of the event applied last (see the module comment). */
  version: number;
}

/** What a service accepts, and where it keeps the read model. */
export interface KnownFilesOptions {
  /** The collection, in the service's own database. */
  collection: string;
  /** The purposes a file must have been uploaded with. */
  purposes: readonly FilePurpose[];
  /** The `reason` (and message) of a file of another purpose, e.g. NOT_AN_ATTACHMENT. */
  wrongPurpose: { reason: string; why: (purpose: FilePurpose | null) => string };
  /** Whether a file still being processed is accepted (knowledge files: found once chunked). */
  acceptProcessing?: boolean;
}

const fileSchema = new Schema<KnownFileDoc>(
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

/** The read model's collection spec under a service's chosen name. */
export function knownFilesSpec(collection: string): CollectionSpec<KnownFileDoc> {
  return { name: collection, schema: fileSchema };
}

const STAGE = { 'file.uploaded': 1, 'file.processed': 2, 'file.failed': 2, 'file.deleted': 3 } as const;
const STAGE_WEIGHT = 10 ** 13;

type FileFields = Omit<KnownFileDoc, '_id'>;

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

/** The files a service has heard of, and the check file ids given to it go through. */
export class KnownFiles {
  private readonly collection: Collection<KnownFileDoc>;

  constructor(
    store: DocumentStore,
    private readonly options: KnownFilesOptions,
  ) {
    this.collection = store.collection(knownFilesSpec(options.collection));
  }

  /**
   * Nothing when every id is an acceptable file of `ownerId`; otherwise BAD_USER_INPUT
   * `field: 'fileIds'` naming the first refused id (`fileId`) and why (`reason`). Someone else's
   * file is "unknown", exactly as a file that does not exist, so ids never reveal existence.
   * One read for all the ids.
   */
  async check(ownerId: string, fileIds: readonly string[]): Promise<void> {
    if (fileIds.length === 0) return;
    const found = new Map((await this.collection.findByIds(fileIds)).map((f) => [f._id, f]));
    for (const fileId of fileIds) {
      const file = found.get(fileId);
      const refusal = file && file.ownerId === ownerId ? this.refusalOf(file) : { reason: 'UNKNOWN', why: 'is unknown' };
      if (refusal)
        throw codedError('BAD_USER_INPUT', `file '${fileId}' ${refusal.why}`, { field: 'fileIds', fileId, reason: refusal.reason });
    }
  }

  /** Of `fileIds`, the ones not deleted (a list kept after its files were deleted shows the rest). */
  async live(fileIds: readonly string[]): Promise<string[]> {
    if (fileIds.length === 0) return [];
    const deleted = new Set((await this.collection.findByIds(fileIds)).filter((f) => f.status === 'DELETED').map((f) => f._id));
    return fileIds.filter((id) => !deleted.has(id));
  }

  /** Applies an event unless a newer one (or the tombstone) is stored. Idempotent; resolves whether it applied. */
  async apply(event: FileEvent): Promise<boolean> {
    const fields = fieldsOf(event);
    if (!fields) return false;
    return upsertIfNewer(this.collection, event.subject.fileId, 'version', fields);
  }

  /** Why the owner's own file is refused, or undefined when it is accepted. */
  private refusalOf(file: KnownFileDoc): { reason: FileRefusalReason; why: string } | undefined {
    switch (file.status) {
      case 'DELETED':
        return { reason: 'DELETED', why: 'was deleted' };
      case 'FAILED':
        return { reason: 'FAILED', why: `could not be processed (${file.failureCode ?? 'FAILED'}) and cannot be used` };
      case 'PROCESSING':
        if (!this.options.acceptProcessing) return { reason: 'NOT_READY', why: 'is still being processed; use it once it is READY' };
        return this.purposeRefusal(file);
      case 'READY':
        return this.purposeRefusal(file);
    }
  }

  private purposeRefusal(file: KnownFileDoc): { reason: FileRefusalReason; why: string } | undefined {
    if (file.purpose && this.options.purposes.includes(file.purpose)) return undefined;
    return { reason: this.options.wrongPurpose.reason, why: this.options.wrongPurpose.why(file.purpose) };
  }
}

/** The `file.file.v1` consumer: keeps the newest state of each file. */
export function knownFilesHandler(view: KnownFiles, logger: Logger) {
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

/** Subscribes the file consumer under the service's own group; `stop()` the subscription to drain it. */
export function subscribeKnownFiles(bus: EventBus, groupId: string, handler: ReturnType<typeof knownFilesHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId, topics: [fileFileV1.topic], handler });
}
