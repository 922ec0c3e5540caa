import { Schema } from 'mongoose';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';
import { addAppliedEvents, addOutbox, OUTBOX_INDEX, type AppliedEventsFields, type OutboxFields } from '@chatgraph/kit/events';
import { MESSAGE_ROLES, MESSAGE_STATUSES, type CitationRecord, type ToolCallRecord } from '@chatgraph/schema';

/**
 * Conversation's documents. Every document carries its owner's id, so ownership is checked on the
 * document read, never inferred from an id the client sent. Both collections have an outbox:
 * a change and its events are one single-document write (the store has no transactions), and
 * deletes are tombstones until the relay has published their events.
 */

/** Who wrote a message. */
export type MessageRole = (typeof MESSAGE_ROLES)[number];
/** Where a message is in its life; only assistant messages are ever PENDING or STREAMING. */
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** One conversation; `_id` is its id in the graph. */
export interface ConversationDoc extends StoredDocument, OutboxFields {
  ownerId: string;
  title: string;
  /**
   * Who chose the title: `auto` (derived from the first message or the default, to be replaced by
   * a generated one after the first answer), `generated` (by ai-gateway), `user`. Optional because
   * documents written before it existed lack it; absent counts as `user` (never overwritten).
   */
  titleSource?: TitleSource;
  pinned: boolean;
  archived: boolean;
  tags: string[];
  model: string | null;
  assistantId: string | null;
  /** Sent to the model first in every generation of this conversation. */
  systemPrompt: string | null;
  /** The leaf of the active branch (`currentBranch` ends here); null while there are no messages. */
  activeLeafId: string | null;
  /** The newest message of any branch: lets a listing show it with one batched read. */
  lastMessageId: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** When a message was last added; the listing order. */
  lastActivityAt: Date;
}

export type Rating = 'THUMBS_UP' | 'THUMBS_DOWN';

export const TITLE_SOURCES = ['auto', 'generated', 'user'] as const;
export type TitleSource = (typeof TITLE_SOURCES)[number];

/** The owner's rating of an assistant message. */
export interface FeedbackDoc {
  rating: Rating;
  comment: string | null;
  updatedAt: Date;
}

/** One message of a conversation's tree. */
export interface MessageDoc extends StoredDocument, OutboxFields, AppliedEventsFields {
  conversationId: string;
  ownerId: string;
  parentId: string | null;
  role: MessageRole;
  content: string;
  /**
   * Files attached to a user message (ids only; `Message.files` is resolved by the file service).
   * Stored as [] by default; optional because documents written before it existed lack it.
   */
  fileIds?: string[];
  status: MessageStatus;
  streamId: string | null;
  model: string | null;
  tokenCount: number | null;
  finishReason: string | null;
  feedback: FeedbackDoc | null;
  /**
   * The version of the thread's assistant an assistant message was generated with (assistants.ts);
   * null or absent otherwise (documents written before it existed lack it).
   */
  assistantVersion?: number | null;
  /** The tool calls of an assistant message's answer (ai-gateway's tool loop); absent on older documents. */
  toolCalls?: ToolCallRecord[];
  /** The file passages `file_search` found for it; absent on older documents. */
  citations?: CitationRecord[];
  /** 0 for a root; the tree depth limit is checked on it without walking the tree. */
  depth: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The longest text a stored message may hold (assistant answers can exceed what users may send). */
export const MAX_STORED_CONTENT = 200_000;

const conversationSchema = new Schema<ConversationDoc>(
  {
    _id: { type: String },
    ownerId: { type: String, required: true },
    title: { type: String, required: true, minlength: 1, maxlength: 200 },
    titleSource: { type: String, enum: TITLE_SOURCES },
    pinned: { type: Boolean, required: true, default: false },
    archived: { type: Boolean, required: true, default: false },
    tags: { type: [{ type: String, maxlength: 50 }], default: [] },
    model: { type: String, default: null },
    assistantId: { type: String, default: null },
    systemPrompt: { type: String, default: null, maxlength: 32_000 },
    activeLeafId: { type: String, default: null },
    lastMessageId: { type: String, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    lastActivityAt: { type: Date, required: true },
  },
  { versionKey: false },
);
addOutbox(conversationSchema);

const messageSchema = new Schema<MessageDoc>(
  {
    _id: { type: String },
    conversationId: { type: String, required: true },
    ownerId: { type: String, required: true },
    parentId: { type: String, default: null },
    role: { type: String, required: true, enum: MESSAGE_ROLES },
    content: { type: String, default: '', maxlength: MAX_STORED_CONTENT },
    fileIds: { type: [{ type: String, maxlength: 64 }], default: [] },
    status: { type: String, required: true, enum: MESSAGE_STATUSES },
    streamId: { type: String, default: null },
    model: { type: String, default: null },
    tokenCount: { type: Number, default: null },
    finishReason: { type: String, default: null },
    feedback: {
      type: new Schema<FeedbackDoc>(
        {
          rating: { type: String, required: true, enum: ['THUMBS_UP', 'THUMBS_DOWN'] },
          comment: { type: String, default: null, maxlength: 2000 },
          updatedAt: { type: Date, required: true },
        },
        { _id: false },
      ),
      default: null,
    },
    assistantVersion: { type: Number, default: null },
    // Written whole from `generation.completed|failed` (already validated against the contract).
    toolCalls: { type: [Schema.Types.Mixed], default: undefined },
    citations: { type: [Schema.Types.Mixed], default: undefined },
    depth: { type: Number, required: true, min: 0 },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
addOutbox(messageSchema);
addAppliedEvents(messageSchema);

const conversations: CollectionSpec<ConversationDoc> = {
  name: 'conversations',
  schema: conversationSchema,
  indexes: [{ fields: { ownerId: 1, lastActivityAt: -1, _id: -1 } }, OUTBOX_INDEX],
};

const messages: CollectionSpec<MessageDoc> = {
  name: 'messages',
  schema: messageSchema,
  // `status, ownerId`: a user's open answers and the backlog (admission.ts) without reading every message.
  // `conversationId, depth`: a page of the active branch reads only the depths it covers (branchPaging.ts).
  indexes: [
    { fields: { conversationId: 1, createdAt: 1, _id: 1 } },
    { fields: { conversationId: 1, depth: 1 } },
    { fields: { parentId: 1 } },
    { fields: { status: 1, ownerId: 1 } },
    OUTBOX_INDEX,
  ],
};

/** One message of a share's snapshot: only what a reader of the link may see. */
export interface SharedMessageDoc {
  role: MessageRole;
  content: string;
  model: string | null;
  /** The files attached to it (readable by whoever holds the share: file's read model of `conversation.share.v1`). */
  fileIds?: string[];
  createdAt: Date;
}

/** A read-only snapshot behind a link; `_id` is the share id. Its `conversation.share.v1` events ride in its outbox. */
export interface ShareDoc extends StoredDocument, OutboxFields {
  conversationId: string;
  ownerId: string;
  title: string;
  messages: SharedMessageDoc[];
  createdAt: Date;
  revokedAt: Date | null;
}

const shareSchema = new Schema<ShareDoc>(
  {
    _id: { type: String },
    conversationId: { type: String, required: true },
    ownerId: { type: String, required: true },
    title: { type: String, required: true },
    messages: {
      type: [
        new Schema<SharedMessageDoc>(
          {
            role: { type: String, required: true, enum: MESSAGE_ROLES },
            content: { type: String, default: '' },
            model: { type: String, default: null },
            fileIds: { type: [String], default: [] },
            createdAt: { type: Date, required: true },
          },
          { _id: false },
        ),
      ],
      default: [],
    },
    createdAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
  },
  { versionKey: false },
);
addOutbox(shareSchema);

const shares: CollectionSpec<ShareDoc> = {
  name: 'shares',
  schema: shareSchema,
  indexes: [{ fields: { conversationId: 1 } }, OUTBOX_INDEX],
};

/** Conversation's collections: names, schemas and indexes. */
export const collectionSpecs = { conversations, messages, shares };

export interface ConversationCollections {
  conversations: Collection<ConversationDoc>;
  messages: Collection<MessageDoc>;
  shares: Collection<ShareDoc>;
}

/** Conversation's collections on a document store (registering them creates their indexes on start). */
export function conversationCollections(store: DocumentStore): ConversationCollections {
  return { conversations: store.collection(conversations), messages: store.collection(messages), shares: store.collection(shares) };
}
