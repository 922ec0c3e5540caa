import { Schema } from 'mongoose';
import { addOutbox, OUTBOX_INDEX, type OutboxFields } from '@chatgraph/kit/events';
import type { CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';
import { ASSISTANT_VISIBILITIES, type AssistantTool, type AssistantVisibility } from '@chatgraph/schema';

/**
 * One assistant. Its events (`assistant.assistant.v1`) ride in its own `_outbox`, written in the
 * same single-document write as the change; a deleted one is a tombstone (`_deleted`) until the
 * relay has published its `assistant.deleted`, then removed.
 */
export interface AssistantDoc extends StoredDocument, OutboxFields {
  ownerId: string;
  name: string;
  description: string | null;
  instructions: string;
  model: string;
  temperature: number | null;
  topP: number | null;
  conversationStarters: string[];
  tools: AssistantTool[];
  fileIds: string[];
  visibility: AssistantVisibility;
  /** With SHARED: the users besides the owner who may use it; empty otherwise. */
  sharedWith: string[];
  /** 1 at creation, bumped by every change (the optimistic-concurrency token clients send back). */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const assistantSchema = new Schema<AssistantDoc>(
  {
    _id: { type: String },
    ownerId: { type: String, required: true },
    name: { type: String, required: true },
    description: { type: String, default: null },
    instructions: { type: String, default: '' },
    model: { type: String, required: true },
    temperature: { type: Number, default: null },
    topP: { type: Number, default: null },
    conversationStarters: { type: [String], default: [] },
    tools: { type: [String], default: [] },
    fileIds: { type: [String], default: [] },
    visibility: { type: String, required: true, enum: [...ASSISTANT_VISIBILITIES] },
    sharedWith: { type: [String], default: [] },
    version: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
addOutbox(assistantSchema);

/** Assistants, listed per owner, per user shared with, and public ones, newest first. */
export const assistantsSpec: CollectionSpec<AssistantDoc> = {
  name: 'assistants',
  schema: assistantSchema,
  indexes: [
    { fields: { ownerId: 1, createdAt: -1, _id: -1 } },
    { fields: { sharedWith: 1, createdAt: -1, _id: -1 } },
    { fields: { visibility: 1, createdAt: -1, _id: -1 } },
    OUTBOX_INDEX,
  ],
};

/** A deleted account (`_id` = the user id): assistants are never shared with it again. */
export interface DeletedUserDoc extends StoredDocument {
  deletedAt: Date;
}

const deletedUserSchema = new Schema<DeletedUserDoc>(
  { _id: { type: String }, deletedAt: { type: Date, required: true } },
  { versionKey: false },
);

/** Deleted accounts. */
export const deletedUsersSpec: CollectionSpec<DeletedUserDoc> = { name: 'deleted_users', schema: deletedUserSchema };

/** assistant's collections over one document store (registering them creates their indexes on start). */
export function assistantCollections(store: DocumentStore) {
  return { assistants: store.collection(assistantsSpec), deletedUsers: store.collection(deletedUsersSpec) };
}

export type AssistantCollections = ReturnType<typeof assistantCollections>;
