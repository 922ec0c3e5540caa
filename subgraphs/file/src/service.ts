import { codedError, newId, requireUser, type Logger, type Principal } from '@chatgraph/kit';
import { KeyedLock, paginate, type Connection, type PageRequest } from '@chatgraph/kit/store';
import { deleteWithOutbox, notDeleted } from '@chatgraph/kit/events';
import type { BlobStore } from '@chatgraph/kit/blob';
import { FILE_PURPOSES, type FilePurpose } from '@chatgraph/schema';
import type { Capabilities } from './capabilities';
import type { FileConfig } from './config';
import { fileDeleted } from './events';
import { blobKeys, type FileCollections, type FileDoc, type FileStatus } from './store';

/** A file as the resolvers show it: status as of now (an upload whose ticket expired unused reads FAILED). */
export interface FileView extends FileDoc {
  shownStatus: FileStatus;
  shownFailureReason: string | null;
}

/** A file attached to a shared conversation, with the share it is read through (`SharedFile`). */
export interface SharedFileView {
  doc: FileDoc;
  shareId: string;
}

/** A page of files as the resolvers return it. */
export type FilePage = Connection<FileView>;

/** What `createUpload` answers. */
export interface UploadTicketView {
  file: FileView;
  uploadUrl: string;
  expiresAt: Date;
}

export interface CreateUploadInput {
  filename: string;
  mimeType: string;
  bytes: number;
  purpose?: FilePurpose | null;
}

const FILE_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Control characters (C0, DEL, C1) and the Unicode line/paragraph separators: never in a file name. */
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
export const MAX_FILENAME_LENGTH = 255;
const EXPIRED_REASON = 'The upload URL expired before the bytes arrived';

export interface FileServiceDeps {
  collections: FileCollections;
  blobs: BlobStore;
  capabilities: Capabilities;
  config: FileConfig;
  logger: Logger;
  now: () => Date;
  /** The router's public origin (changes only when a test learns the router's random port). */
  publicUrl: () => string;
  /** Called after a write queued events (wakes the outbox relay). */
  eventsQueued: () => void;
}

/**
 * The rules of files: who may see, create and delete them, and the limits of uploads. Every read is
 * filtered by the caller's user id, so another user's file is indistinguishable from one that does
 * not exist.
 */
export class FileService {
  /** createUpload's quota check and insert, one at a time per user (in this instance). */
  private readonly ownerLocks = new KeyedLock();

  constructor(private readonly deps: FileServiceDeps) {}

  /** Shows a stored file as of now. */
  view(doc: FileDoc): FileView {
    const expired = doc.status === 'UPLOADING' && !doc.ticketUsed && doc.ticketExpiresAt <= this.deps.now();
    return { ...doc, shownStatus: expired ? 'FAILED' : doc.status, shownFailureReason: expired ? EXPIRED_REASON : doc.failureReason };
  }

  /** One of the caller's files, or null (another user's, deleted, unknown): `file(id)` and `__resolveReference`. */
  async byId(principal: Principal, id: string): Promise<FileView | null> {
    const { userId } = requireUser({ principal });
    if (!FILE_ID.test(id)) return null;
    const doc = await this.deps.collections.files.findOne({ _id: id, ownerId: userId, ...notDeleted });
    return doc ? this.view(doc) : null;
  }

  /** The caller's files among `ids`, in the order of `ids` (`Message.files`). */
  async byIds(principal: Principal, ids: readonly string[]): Promise<FileView[]> {
    const { userId } = requireUser({ principal });
    const wanted = [...new Set(ids.filter((id) => FILE_ID.test(id)))];
    if (wanted.length === 0) return [];
    const docs = await this.deps.collections.files.find({ _id: { $in: wanted }, ownerId: userId, ...notDeleted });
    const byId = new Map(docs.map((doc) => [doc._id, doc]));
    return wanted.flatMap((id) => {
      const doc = byId.get(id);
      return doc ? [this.view(doc)] : [];
    });
  }

  /** The caller's files, newest first. */
  async list(principal: Principal, page: PageRequest): Promise<Connection<FileView>> {
    const { userId } = requireUser({ principal });
    const connection = await paginate(this.deps.collections.files, { ownerId: userId, ...notDeleted }, page, {
      sortField: 'createdAt',
      direction: -1,
    });
    return { ...connection, edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: this.view(edge.node) })) };
  }

  /** A download URL for one of the caller's files (the resolver only reaches files the caller owns). */
  downloadUrl(doc: FileDoc): string {
    const expiresAt = new Date(this.deps.now().getTime() + this.deps.config.FILE_DOWNLOAD_URL_SECONDS * 1000);
    const token = this.deps.capabilities.issue('download', doc._id, expiresAt);
    return `${this.deps.publicUrl()}/files/${doc._id}/content?token=${token}`;
  }

  /**
   * The files of a shared message that whoever holds the share may download (anyone: no sign-in),
   * in the order of `fileIds`: those the read model of conversation's shares lists for the active
   * share, owned by the sharer and still stored. Anything else is left out, whatever the ids say.
   */
  async sharedFiles(shareId: string, fileIds: readonly string[]): Promise<SharedFileView[]> {
    if (!FILE_ID.test(shareId)) return [];
    const grant = await this.deps.collections.shareGrants.findOne({ _id: shareId });
    if (!grant || grant.revoked) return [];
    const wanted = [...new Set(fileIds.filter((id) => FILE_ID.test(id) && grant.fileIds.includes(id)))];
    if (wanted.length === 0) return [];
    const docs = await this.deps.collections.files.find({
      _id: { $in: wanted },
      ownerId: grant.ownerId,
      ...notDeleted,
      sha256: { $ne: null },
    });
    const byId = new Map(docs.map((doc) => [doc._id, doc]));
    return wanted.flatMap((id) => {
      const doc = byId.get(id);
      return doc ? [{ doc, shareId }] : [];
    });
  }

  /** A share link: downloads `doc` for readers of `shareId` while the share lasts (and the link, minutes). */
  shareDownloadUrl({ doc, shareId }: SharedFileView): string {
    const expiresAt = new Date(this.deps.now().getTime() + this.deps.config.FILE_DOWNLOAD_URL_SECONDS * 1000);
    const token = this.deps.capabilities.issue('share', doc._id, expiresAt, shareId);
    return `${this.deps.publicUrl()}/files/${doc._id}/content?share=${token}`;
  }

  /** Checks the request, the caller's limits, then creates the file (UPLOADING) and its ticket. */
  async createUpload(principal: Principal, input: CreateUploadInput): Promise<UploadTicketView> {
    const { userId } = requireUser({ principal });
    const { config, collections, now } = this.deps;
    const filename = checkFilename(input.filename);
    const mimeType = input.mimeType.trim().toLowerCase();
    if (!config.FILE_ALLOWED_TYPES.includes(mimeType))
      throw codedError('BAD_USER_INPUT', `Files of type ${mimeType.slice(0, 100)} are not accepted`, {
        field: 'mimeType',
        allowed: config.FILE_ALLOWED_TYPES,
      });
    if (!Number.isSafeInteger(input.bytes) || input.bytes < 1 || input.bytes > config.FILE_MAX_BYTES)
      throw codedError('BAD_USER_INPUT', `bytes must be between 1 and ${config.FILE_MAX_BYTES}`, {
        field: 'bytes',
        max: config.FILE_MAX_BYTES,
      });
    const purpose = input.purpose ?? 'MESSAGE_ATTACHMENT';
    if (!FILE_PURPOSES.includes(purpose)) throw codedError('BAD_USER_INPUT', 'Unknown purpose', { field: 'purpose' });

    return this.ownerLocks.run(userId, async () => {
      const at = now();
      const held = await collections.files.find({ ownerId: userId, ...notDeleted, status: { $in: ['UPLOADING', 'PROCESSING', 'READY'] } });
      // An upload counts while its ticket can still be used or is being used; an expired unused one never will be.
      const live = held.filter((doc) => doc.status !== 'UPLOADING' || doc.ticketUsed || doc.ticketExpiresAt > at);
      const pending = live.filter((doc) => doc.status === 'UPLOADING' && !doc.ticketUsed).length;
      if (pending >= config.FILE_MAX_PENDING_UPLOADS)
        throw codedError('BAD_USER_INPUT', `At most ${config.FILE_MAX_PENDING_UPLOADS} uploads may wait for their bytes at once`, {
          field: 'input',
          quota: 'PENDING_UPLOADS',
          max: config.FILE_MAX_PENDING_UPLOADS,
        });
      const used = live.reduce((sum, doc) => sum + doc.bytes, 0);
      if (used + input.bytes > config.FILE_QUOTA_BYTES)
        throw codedError('BAD_USER_INPUT', 'This file would exceed your storage quota: delete files first', {
          field: 'bytes',
          quota: 'STORAGE',
          max: config.FILE_QUOTA_BYTES,
          used,
        });
      const expiresAt = new Date(at.getTime() + config.FILE_UPLOAD_TICKET_SECONDS * 1000);
      const doc: FileDoc = {
        _id: newId(),
        ownerId: userId,
        filename,
        mimeType,
        bytes: input.bytes,
        purpose,
        status: 'UPLOADING',
        failureReason: null,
        ticketExpiresAt: expiresAt,
        ticketUsed: false,
        sha256: null,
        textPreview: null,
        derived: [],
        createdAt: at,
        updatedAt: at,
      };
      await collections.files.insertOne(doc);
      const token = this.deps.capabilities.issue('upload', doc._id, expiresAt);
      return { file: this.view(doc), uploadUrl: `${this.deps.publicUrl()}/files/uploads/${token}`, expiresAt };
    });
  }

  /** Deletes one of the caller's files: tombstone + `file.deleted`, then its blobs. */
  async delete(principal: Principal, id: string): Promise<boolean> {
    const { userId } = requireUser({ principal });
    const doc = FILE_ID.test(id) ? await this.deps.collections.files.findOne({ _id: id, ownerId: userId, ...notDeleted }) : null;
    if (!doc || !(await this.tombstone(doc))) throw codedError('NOT_FOUND', 'File not found', { id: id.slice(0, 64) });
    return true;
  }

  /** Every file of a deleted account (identity's `user.deleted`); answers how many. */
  async deleteAllOf(userId: string): Promise<number> {
    let deleted = 0;
    for (const doc of await this.deps.collections.files.find({ ownerId: userId, ...notDeleted })) if (await this.tombstone(doc)) deleted++;
    // Their shares went with the account (conversation deletes them without events).
    await this.deps.collections.shareGrants.deleteMany({ ownerId: userId });
    return deleted;
  }

  /** Marks `doc` deleted with its event in one write, then removes its blobs; false when it was already gone. */
  private async tombstone(doc: FileDoc): Promise<boolean> {
    const result = await this.deps.collections.files.updateOne(
      { _id: doc._id, ...notDeleted },
      deleteWithOutbox([fileDeleted(doc)], { $set: { updatedAt: this.deps.now() } }),
    );
    if (result.matchedCount === 0) return false;
    this.deps.eventsQueued();
    await this.removeBlobs(doc);
    return true;
  }

  /** Removes a file's bytes and everything derived from them; a failure is logged (the tombstone already hides them). */
  async removeBlobs(doc: Pick<FileDoc, '_id' | 'derived'>): Promise<void> {
    for (const key of [blobKeys.original(doc._id), blobKeys.text(doc._id), blobKeys.thumbnail(doc._id), ...doc.derived]) {
      await this.deps.blobs
        .delete(key)
        .catch((error: unknown) => this.deps.logger.warn({ err: error, key }, 'blob of a deleted file not removed'));
    }
  }
}

/** The file name as given, if it is one (1 to 255 characters, no control characters). */
function checkFilename(raw: string): string {
  const filename = raw.trim();
  if (filename.length === 0 || filename.length > MAX_FILENAME_LENGTH || CONTROL.test(filename))
    throw codedError('BAD_USER_INPUT', `filename must be 1 to ${MAX_FILENAME_LENGTH} characters without control characters`, {
      field: 'filename',
      max: MAX_FILENAME_LENGTH,
    });
  return filename;
}
