import { Schema } from 'mongoose';
import type { CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';

/** What a notification is about (the kinds of this slice; issue 18 lists the others). */
export type NotificationKind = 'ANSWER_COMPLETED' | 'ANSWER_FAILED' | 'FILE_READY' | 'FILE_FAILED' | 'LOW_CREDITS';

/** Every kind, as stored. */
export const NOTIFICATION_KINDS: readonly NotificationKind[] = ['ANSWER_COMPLETED', 'ANSWER_FAILED', 'FILE_READY', 'FILE_FAILED', 'LOW_CREDITS'];

/**
 * One notification of one user. `_id` is derived from its cause (`answer:<event id>`), so a
 * redelivered event finds the notification it created and creates no second one.
 */
export interface NotificationDoc extends StoredDocument {
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  read: boolean;
  conversationId: string | null;
  messageId: string | null;
  /** The file it is about (FILE_* kinds); absent on notifications stored before files existed. */
  fileId?: string | null;
  createdAt: Date;
}

const notificationSchema = new Schema<NotificationDoc>(
  {
    _id: { type: String },
    userId: { type: String, required: true },
    kind: { type: String, required: true, enum: [...NOTIFICATION_KINDS] },
    title: { type: String, required: true },
    body: { type: String, default: '' },
    read: { type: Boolean, required: true },
    conversationId: { type: String, default: null },
    messageId: { type: String, default: null },
    fileId: { type: String, default: null },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

/** Notifications, paged per user newest first (with or without the read ones). */
export const notificationsSpec: CollectionSpec<NotificationDoc> = {
  name: 'notifications',
  schema: notificationSchema,
  // The last one serves the retention sweep.
  indexes: [{ fields: { userId: 1, createdAt: -1 } }, { fields: { userId: 1, read: 1, createdAt: -1 } }, { fields: { createdAt: 1 } }],
};

/** A deleted account (`_id` = the user id): no notification is ever kept for it again. */
export interface DeletedUserDoc extends StoredDocument {
  deletedAt: Date;
}

const deletedUserSchema = new Schema<DeletedUserDoc>(
  { _id: { type: String }, deletedAt: { type: Date, required: true } },
  { versionKey: false },
);

/** Deleted accounts. */
export const deletedUsersSpec: CollectionSpec<DeletedUserDoc> = { name: 'deleted_users', schema: deletedUserSchema };

/**
 * The newest credit balance seen of one user (`_id` = the user id), from rate-limit's
 * `ratelimit.balance.v1`: what LOW_CREDITS compares a new balance with (creditEvents.ts).
 */
export interface BalanceDoc extends StoredDocument {
  credits: number;
  version: number;
}

const balanceSchema = new Schema<BalanceDoc>(
  { _id: { type: String }, credits: { type: Number, required: true }, version: { type: Number, required: true } },
  { versionKey: false },
);

/** The users' balances as last seen. */
export const balancesSpec: CollectionSpec<BalanceDoc> = { name: 'balances', schema: balanceSchema };

/** notification's collections over one document store. */
export function notificationCollections(store: DocumentStore) {
  return {
    notifications: store.collection(notificationsSpec),
    deletedUsers: store.collection(deletedUsersSpec),
    balances: store.collection(balancesSpec),
  };
}

export type NotificationCollections = ReturnType<typeof notificationCollections>;
