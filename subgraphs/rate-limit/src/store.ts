import { Schema } from 'mongoose';
import { addOutbox, OUTBOX_INDEX, type CollectionSpec, type DocumentStore, type OutboxFields, type StoredDocument } from '@chatgraph/kit';

/** One user's balance, `_id` = the user id. */
export interface BalanceDoc extends StoredDocument, OutboxFields {
  credits: number;
  /** Bumped by every change; `ratelimit.balance.v1` carries it so consumers keep the newest. */
  version: number;
  updatedAt: Date;
  createdAt: Date;
}

const balanceSchema = new Schema<BalanceDoc>(
  {
    _id: { type: String },
    credits: { type: Number, required: true },
    version: { type: Number, required: true },
    updatedAt: { type: Date, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
addOutbox(balanceSchema);

/** Balances, with the outbox of `ratelimit.balance.v1`. */
export const balancesSpec: CollectionSpec<BalanceDoc> = { name: 'balances', schema: balanceSchema, indexes: [OUTBOX_INDEX] };

/** rate-limit's collections over one document store. */
export function rateLimitCollections(store: DocumentStore) {
  return {
    balances: store.collection(balancesSpec),
  };
}

export type RateLimitCollections = ReturnType<typeof rateLimitCollections>;
