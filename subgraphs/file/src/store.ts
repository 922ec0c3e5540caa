import { Schema } from 'mongoose';
import type { CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';
import { addOutbox, OUTBOX_INDEX, type OutboxFields } from '@chatgraph/kit/events';
import type { FilePurpose } from '@chatgraph/schema';

/** Where a file is in its life (the GraphQL `FileStatus`). */
export type FileStatus = 'UPLOADING' | 'PROCESSING' | 'READY' | 'FAILED';

/**
 * One uploaded file. Its events (file.file.v1) ride in its `_outbox`, written with the state change
 * that causes them; a deleted file is a tombstone (`_deleted`) until its `file.deleted` is out.
 */
export interface FileDoc extends StoredDocument, OutboxFields {
  ownerId: string;
  filename: string;
  /** The client's claim, then the sniffed type once the bytes are in. */
  mimeType: string;
  /** Announced size, then the size stored. */
  bytes: number;
  purpose: FilePurpose;
  status: FileStatus;
  failureReason: string | null;
  /** When the upload ticket stops working. */
  ticketExpiresAt: Date;
  /** Set (atomically, once) by the upload that used the ticket: a second use is a replay. */
  ticketUsed: boolean;
  sha256: string | null;
  textPreview: string | null;
  /** Derived blobs written by processing (deleted with the file). */
  derived: string[];
  createdAt: Date;
  updatedAt: Date;
}

const fileSchema = new Schema<FileDoc>(
  {
    _id: { type: String },
    ownerId: { type: String, required: true },
    filename: { type: String, required: true },
    mimeType: { type: String, required: true },
    bytes: { type: Number, required: true },
    purpose: { type: String, required: true },
    status: { type: String, required: true, enum: ['UPLOADING', 'PROCESSING', 'READY', 'FAILED'] },
    failureReason: { type: String, default: null },
    ticketExpiresAt: { type: Date, required: true },
    ticketUsed: { type: Boolean, required: true },
    sha256: { type: String, default: null },
    textPreview: { type: String, default: null },
    derived: { type: [String], default: [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  // `minimize: false`: `file.deleted` has an empty payload (`{}`), which mongoose would otherwise
  // strip from the outbox entry, leaving an event the relay can only park.
  { versionKey: false, minimize: false },
);
addOutbox(fileSchema);

/** Files, paged per owner newest first; the outbox index keeps the relay's scan cheap. */
export const filesSpec: CollectionSpec<FileDoc> = {
  name: 'files',
  schema: fileSchema,
  indexes: [{ fields: { ownerId: 1, createdAt: -1 } }, OUTBOX_INDEX],
};

/**
 * A share of a conversation as file knows it (read model of conversation's `conversation.share.v1`;
 * `_id` is the share id): the files whoever holds the share may download, until it is revoked.
 */
export interface ShareGrantDoc extends StoredDocument {
  conversationId: string;
  /** The conversation's owner: only files of theirs are ever served through the share. */
  ownerId: string;
  fileIds: string[];
  revoked: boolean;
  updatedAt: Date;
}

const shareGrantSchema = new Schema<ShareGrantDoc>(
  {
    _id: { type: String },
    conversationId: { type: String, required: true },
    ownerId: { type: String, required: true },
    fileIds: { type: [String], default: [] },
    revoked: { type: Boolean, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

/** Shares, by id; by owner for an account's deletion. */
export const shareGrantsSpec: CollectionSpec<ShareGrantDoc> = {
  name: 'shareGrants',
  schema: shareGrantSchema,
  indexes: [{ fields: { ownerId: 1 } }],
};

/** file's collections over one document store. */
export function fileCollections(store: DocumentStore) {
  return { files: store.collection(filesSpec), shareGrants: store.collection(shareGrantsSpec) };
}

export type FileCollections = ReturnType<typeof fileCollections>;

/** Blob keys of a file: its bytes, and what processing derives from them. */
export const blobKeys = {
  original: (fileId: string) => `files/${fileId}/original`,
  text: (fileId: string) => `files/${fileId}/text`,
  thumbnail: (fileId: string) => `files/${fileId}/thumbnail`,
};
