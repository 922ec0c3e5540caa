import { Schema } from 'mongoose';
import type { CollectionSpec, DocumentStore, StoredDocument } from '../../src/store';

/**
 * A collection that cannot be prepared, made the same way on every adapter: documents sharing a
 * key are stored while the collection has no unique index, then the collection is declared with
 * one. Any store honouring the port must refuse to open it (the index cannot be built), which is
 * what a damaged file does too, without depending on one adapter's file format.
 */

export interface Badge extends StoredDocument {
  code: string;
}

const badgeSchema = (): Schema<Badge> =>
  new Schema<Badge>({ _id: { type: String }, code: { type: String, required: true } }, { versionKey: false });

/** The collection as first written: no unique index. */
export const looseBadges: CollectionSpec<Badge> = { name: 'badges', schema: badgeSchema() };

/** The collection as declared later: `code` unique, which the stored documents break. */
export const uniqueBadges: CollectionSpec<Badge> = {
  name: 'badges',
  schema: badgeSchema(),
  indexes: [{ fields: { code: 1 }, unique: true, name: 'badge_code' }],
};

/** Stores two badges sharing a code through `store` (started and stopped here). */
export async function storeDuplicateBadges(store: DocumentStore): Promise<void> {
  const badges = store.collection(looseBadges);
  await store.start();
  try {
    await badges.insertMany([
      { _id: 'b1', code: 'same' },
      { _id: 'b2', code: 'same' },
    ]);
  } finally {
    await store.stop();
  }
}
