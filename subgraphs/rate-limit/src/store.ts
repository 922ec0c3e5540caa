import { Schema } from 'mongoose';
import type { CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';
import { addOutbox, OUTBOX_INDEX, type OutboxFields } from '@chatgraph/kit/events';

/**
 * rate-limit's documents. No transactions: a balance change is a ledger entry written first
 * (pending), then the balance updated conditionally with the entry's id recorded in the SAME
 * write (`_charges`), then the entry marked applied and the id pulled again (charges.ts). So
 * `_charges` only ever holds the entries in flight, and a redelivery or a retry finds what was
 * done already.
 */

/** One user's balance, `_id` = the user id. */
export interface BalanceDoc extends StoredDocument, OutboxFields {
  credits: number;
  /** Bumped by every change; `ratelimit.balance.v1` carries it so consumers keep the newest. */
  version: number;
  /** Ledger entries applied to this balance whose bookkeeping is not finished yet. */
  _charges?: string[];
  updatedAt: Date;
  createdAt: Date;
}

const balanceSchema = new Schema<BalanceDoc>(
  {
    _id: { type: String },
    credits: { type: Number, required: true },
    version: { type: Number, required: true },
    _charges: { type: [String], default: undefined },
    updatedAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
addOutbox(balanceSchema);

/** Balances, with the outbox of `ratelimit.balance.v1`. */
export const balancesSpec: CollectionSpec<BalanceDoc> = { name: 'balances', schema: balanceSchema, indexes: [OUTBOX_INDEX] };

/** What changed a balance. */
export type LedgerKind = 'OPENING' | 'DEBIT' | 'GRANT';

/**
 * The audit log: one entry per balance change, kept after the user is deleted (with `userId`
 * and `actorId` cleared). `_id` is derived from the cause where there is one (`debit:<eventId>`,
 * `opening:<userId>`), which makes the change idempotent.
 */
export interface LedgerEntryDoc extends StoredDocument {
  /** null once the user was deleted (the entry stays for the totals). */
  userId: string | null;
  kind: LedgerKind;
  /** The change: negative for a debit. */
  credits: number;
  /** The balance right after the change (null until applied). */
  balanceAfter: number | null;
  state: 'pending' | 'applied' | 'void';
  reason: string;
  /** The ADMIN who granted (null for the system, or once that admin was deleted). */
  actorId: string | null;
  /** A debit's generation. */
  eventId: string | null;
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  at: Date;
}

const ledgerSchema = new Schema<LedgerEntryDoc>(
  {
    _id: { type: String },
    userId: { type: String, default: null },
    kind: { type: String, required: true, enum: ['OPENING', 'DEBIT', 'GRANT'] },
    credits: { type: Number, required: true },
    balanceAfter: { type: Number, default: null },
    state: { type: String, required: true, enum: ['pending', 'applied', 'void'] },
    reason: { type: String, required: true },
    actorId: { type: String, default: null },
    eventId: { type: String, default: null },
    model: { type: String, default: null },
    promptTokens: { type: Number, default: null },
    completionTokens: { type: Number, default: null },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);

/** The audit log. */
export const ledgerSpec: CollectionSpec<LedgerEntryDoc> = {
  name: 'credit_ledger',
  schema: ledgerSchema,
  indexes: [{ fields: { userId: 1, at: -1 } }, { fields: { at: -1 } }, { fields: { actorId: 1 } }],
};

/** One user's usage of one model on one UTC day, `_id` = `<userId>|<day>|<model>`. */
export interface DailyUsageDoc extends StoredDocument {
  userId: string;
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  model: string;
  generations: number;
  promptTokens: number;
  completionTokens: number;
  credits: number;
  /** Debits counted here whose bookkeeping is not finished yet (see the module comment). */
  _charges?: string[];
}

const dailyUsageSchema = new Schema<DailyUsageDoc>(
  {
    _id: { type: String },
    userId: { type: String, required: true },
    day: { type: String, required: true },
    model: { type: String, required: true },
    generations: { type: Number, required: true },
    promptTokens: { type: Number, required: true },
    completionTokens: { type: Number, required: true },
    credits: { type: Number, required: true },
    _charges: { type: [String], default: undefined },
  },
  { versionKey: false },
);

/** Usage by user, day and model. */
export const dailyUsageSpec: CollectionSpec<DailyUsageDoc> = {
  name: 'daily_usage',
  schema: dailyUsageSchema,
  indexes: [{ fields: { userId: 1, day: 1 } }, { fields: { day: 1 } }],
};

/** A user identity deleted: no balance is ever opened for them again (a late debit is dropped). */
export interface DeletedUserDoc extends StoredDocument {
  deletedAt: Date;
}

const deletedUserSchema = new Schema<DeletedUserDoc>(
  { _id: { type: String }, deletedAt: { type: Date, required: true } },
  { versionKey: false },
);

/** Deleted users. */
export const deletedUsersSpec: CollectionSpec<DeletedUserDoc> = { name: 'deleted_users', schema: deletedUserSchema };

/** rate-limit's collections over one document store. */
export function rateLimitCollections(store: DocumentStore) {
  return {
    balances: store.collection(balancesSpec),
    ledger: store.collection(ledgerSpec),
    dailyUsage: store.collection(dailyUsageSpec),
    deletedUsers: store.collection(deletedUsersSpec),
  };
}

export type RateLimitCollections = ReturnType<typeof rateLimitCollections>;
