import { Schema } from 'mongoose';
import type { CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';

/** What a notification is about (issue 18's kinds). */
export type NotificationKind =
  'ANSWER_COMPLETED' | 'ANSWER_FAILED' | 'FILE_READY' | 'FILE_FAILED' | 'LOW_CREDITS' | 'NEW_SIGN_IN' | 'ASSISTANT_SHARED';

/** Every kind, as stored. */
export const NOTIFICATION_KINDS: readonly NotificationKind[] = [
  'ANSWER_COMPLETED',
  'ANSWER_FAILED',
  'FILE_READY',
  'FILE_FAILED',
  'LOW_CREDITS',
  'NEW_SIGN_IN',
  'ASSISTANT_SHARED',
];

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
  /** The assistant it is about (ASSISTANT_SHARED); absent on notifications stored before it existed. */
  assistantId?: string | null;
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
    assistantId: { type: String, default: null },
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

/**
 * Whom an assistant was last seen shared with (`_id` = the assistant id), from assistant's
 * `assistant.assistant.v1`: what ASSISTANT_SHARED compares a new share list with (assistantEvents.ts).
 * A deleted assistant keeps its newest version and an empty list, so a late event changes nothing.
 */
export interface AssistantShareDoc extends StoredDocument {
  version: number;
  sharedWith: string[];
}

const assistantShareSchema = new Schema<AssistantShareDoc>(
  { _id: { type: String }, version: { type: Number, required: true }, sharedWith: { type: [String], default: [] } },
  { versionKey: false },
);

/** The assistants' share lists as last seen. */
export const assistantSharesSpec: CollectionSpec<AssistantShareDoc> = { name: 'assistant_shares', schema: assistantShareSchema };

/** One user's choice for one kind (`_id` = `<userId>:<kind>`); a kind without one uses the defaults (preferences.ts). */
export interface PreferenceDoc extends StoredDocument {
  userId: string;
  kind: NotificationKind;
  inApp: boolean;
  email: boolean;
}

const preferenceSchema = new Schema<PreferenceDoc>(
  {
    _id: { type: String },
    userId: { type: String, required: true },
    kind: { type: String, required: true, enum: [...NOTIFICATION_KINDS] },
    inApp: { type: Boolean, required: true },
    email: { type: Boolean, required: true },
  },
  { versionKey: false },
);

/** Per-user, per-kind delivery choices; one document per kind, so concurrent updates of different kinds never undo each other. */
export const preferencesSpec: CollectionSpec<PreferenceDoc> = {
  name: 'preferences',
  schema: preferenceSchema,
  indexes: [{ fields: { userId: 1 } }],
};

/**
 * A user's e-mail address (`_id` = the user id), a read model of identity's `identity.user.v1`
 * (`user.registered`, `user.updated`): where e-mail notifications go, without calling identity.
 */
export interface RecipientDoc extends StoredDocument {
  email: string;
}

const recipientSchema = new Schema<RecipientDoc>({ _id: { type: String }, email: { type: String, required: true } }, { versionKey: false });

/** The users' e-mail addresses as identity last published them. */
export const recipientsSpec: CollectionSpec<RecipientDoc> = { name: 'recipients', schema: recipientSchema };

/** A notification e-mailed (`_id` = the notification's id): a redelivered event sends no second mail. */
export interface MailSentDoc extends StoredDocument {
  userId: string;
  sentAt: Date;
}

const mailSentSchema = new Schema<MailSentDoc>(
  { _id: { type: String }, userId: { type: String, required: true }, sentAt: { type: Date, required: true } },
  { versionKey: false },
);

/** Notifications already e-mailed. */
export const mailsSentSpec: CollectionSpec<MailSentDoc> = {
  name: 'mails_sent',
  schema: mailSentSchema,
  // The retention sweep deletes old markers with the notifications.
  indexes: [{ fields: { sentAt: 1 } }],
};

/** notification's collections over one document store. */
export function notificationCollections(store: DocumentStore) {
  return {
    notifications: store.collection(notificationsSpec),
    deletedUsers: store.collection(deletedUsersSpec),
    balances: store.collection(balancesSpec),
    preferences: store.collection(preferencesSpec),
    recipients: store.collection(recipientsSpec),
    mailsSent: store.collection(mailsSentSpec),
    assistantShares: store.collection(assistantSharesSpec),
  };
}

export type NotificationCollections = ReturnType<typeof notificationCollections>;
