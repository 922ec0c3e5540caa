import { DuplicateKeyError } from './errors';
import type { Collection, StoredDocument } from './port';

/**
 * A read model's write of one event: sets `fields` on document `id` only if the stored document's
 * `orderField` is lower than `fields[orderField]` (or there is none). A redelivered or late event
 * then changes nothing, and a tombstone given the highest order wins over everything. Resolves
 * whether it applied.
 *
 * When the document exists with an equal or higher order, the filter matches nothing and the
 * upsert's insert clashes on `_id`: that clash is the "older event" answer, not an error.
 */
export async function upsertIfNewer<T extends StoredDocument, K extends keyof T & string>(
  collection: Collection<T>,
  id: string,
  orderField: K,
  fields: Partial<T> & Record<K, number>,
): Promise<boolean> {
  try {
    const result = await collection.updateOne({ _id: id, [orderField]: { $lt: fields[orderField] } }, { $set: fields }, { upsert: true });
    return result.modifiedCount > 0 || result.upsertedId !== undefined;
  } catch (error) {
    if (error instanceof DuplicateKeyError) return false;
    throw error;
  }
}
