import { newId } from '../ids';
import { DocumentValidationError } from './errors';
import type { Filter, Update } from './port';
import {
  applyUpdate,
  cloneValue,
  equalityFields,
  normalizeValue,
  PathConflictError,
  setPath,
  UnsupportedValueError,
  UpdateApplyError,
  valuesEqual,
  type StoredDoc,
  type StoredObject,
} from './subset';

/**
 * The unvalidated next version of a document, built in memory with the port's shared update
 * code by both adapters (embedded/updating.ts, mongo/updating.ts): an operator that does not fit
 * the document (`$inc` on a string, a path through a scalar) is a validation error.
 */

/** What a single-document update did, on either adapter. */
export interface UpdateOutcome {
  matched: boolean;
  modified: boolean;
  before?: StoredDoc;
  after?: StoredDoc;
  upsertedId?: string;
}

/** Runs an update or upsert draft step, turning "operator does not fit the document" into a validation error. */
function draftStep(collection: string, step: () => void): void {
  try {
    step();
  } catch (error) {
    if (error instanceof UnsupportedValueError) throw new DocumentValidationError(collection, { [error.path]: error.reason });
    if (error instanceof UpdateApplyError || error instanceof PathConflictError) {
      throw new DocumentValidationError(collection, { [error.path]: error.message });
    }
    throw error;
  }
}

/** `current` with `update` applied (to a copy); `_id` cannot change. */
export function draftUpdate(collection: string, current: StoredDoc, update: Update): StoredObject {
  const draft: StoredObject = cloneValue(current);
  draftStep(collection, () => applyUpdate(draft, update, false));
  if (!valuesEqual(draft._id, current._id))
    throw new DocumentValidationError(collection, { _id: 'is immutable: an update cannot change it' });
  return draft;
}

/** The document an upsert inserts: the filter's equality fields, then `$setOnInsert`, then the update (MongoDB's order). */
export function draftUpsert(collection: string, filter: Filter, update: Update): StoredObject {
  const draft: StoredObject = {};
  draftStep(collection, () => {
    for (const [path, value] of equalityFields(filter)) setPath(draft, path, normalizeValue(value, path));
    applyUpdate(draft, update, true);
  });
  if (draft._id === undefined) draft._id = newId();
  return draft;
}
