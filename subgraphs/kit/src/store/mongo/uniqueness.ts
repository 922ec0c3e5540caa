import type mongoose from 'mongoose';
import { KeyedLock } from '../../durability/keyedLock';
import { DuplicateKeyError } from '../errors';
import type { IndexSpec } from '../port';
import { getPath, indexName, valuesAtPath, valuesEqual, type StoredDoc } from '../subset';
import { duplicateIndexName } from './driverErrors';

/**
 * Unique indexes of one collection: naming the index a duplicate-key error came from, and, on
 * servers whose unique indexes are weaker than MongoDB's, checking in code before writing.
 *
 * FerretDB 1.24 (SQLite) leaves a document out of a unique index when an indexed field is
 * missing (MongoDB counts missing as null, so a second document without the field clashes), and
 * indexes an array as one value (MongoDB indexes each element). The store probes the server on
 * start (probe.ts); where it is weak, a write whose document has a null/missing or array value on
 * a non-sparse unique index first looks for a clashing document. Those guarded writes queue
 * behind one lock per collection, so this process never lets two through; two processes writing
 * such documents at the same instant still can on those servers. Real MongoDB needs none of it.
 */

interface UniqueIndex {
  name: string;
  fields: string[];
  sparse: boolean;
}

const ID_INDEX: UniqueIndex = { name: '_id_', fields: ['_id'], sparse: false };

/** Documents that clash with `doc` on `index`, or `undefined` when `index` leaves `doc` out (sparse, a field missing). */
function clashFilter(index: UniqueIndex, doc: StoredDoc): Record<string, unknown> | undefined {
  const filter: Record<string, unknown> = { _id: { $ne: doc._id } };
  for (const field of index.fields) {
    const values = valuesAtPath(doc, field);
    if (values.length === 0) {
      if (index.sparse) return undefined;
      filter[field] = null; // null matches null and missing, which is one key in MongoDB's indexes
    } else {
      // A sparse index holds explicit nulls but not missing fields; `$in: [null]` alone would match both.
      filter[field] = index.sparse && values.includes(null) ? { $in: values, $exists: true } : { $in: values };
    }
  }
  return filter;
}

/** True when `index`'s key for `doc` is something a weak server's index gets wrong (null, missing, array). */
function weakKey(index: UniqueIndex, doc: StoredDoc): boolean {
  if (index.sparse && index.fields.some((field) => valuesAtPath(doc, field).length === 0)) return false;
  return index.fields.some((field) => {
    const values = valuesAtPath(doc, field);
    return values.length !== 1 || values[0] === null || !valuesEqual(getPath(doc, field), values[0]);
  });
}

export class UniqueIndexes {
  private readonly indexes: UniqueIndex[];
  private readonly guardLock = new KeyedLock();
  /** Set from the start-up probe: true when the server's unique indexes need the code check. */
  guarded = false;

  constructor(
    private readonly collection: string,
    private readonly model: mongoose.Model<unknown>,
    specs: readonly IndexSpec[],
  ) {
    this.indexes = specs
      .filter((spec) => spec.unique)
      .map((spec) => ({ name: indexName(spec), fields: Object.keys(spec.fields), sparse: spec.sparse ?? false }));
  }

  /** True when writing `doc` must go through `write`'s code check. */
  needsCheck(doc: StoredDoc): boolean {
    return this.guarded && this.indexes.some((index) => weakKey(index, doc));
  }

  /** Runs `write` (which stores `doc`), first checking for clashes when the server would miss them. */
  async write<R>(doc: StoredDoc, write: () => Promise<R>): Promise<R> {
    if (!this.needsCheck(doc)) return write();
    return this.guardLock.run('writes', async () => {
      for (const index of this.indexes) {
        if (!weakKey(index, doc)) continue;
        const filter = clashFilter(index, doc);
        if (filter && (await this.model.exists(filter))) throw new DuplicateKeyError(this.collection, index.name, index.fields);
      }
      return write();
    });
  }

  /**
   * The `DuplicateKeyError` for a clash the server reported while storing `doc`. MongoDB names
   * the index; FerretDB does not for inserts, so the index is found by looking for the clashing
   * document (falling back to the only, or first, unique index if it is already gone).
   */
  async describe(error: unknown, doc: StoredDoc, inserting: boolean): Promise<DuplicateKeyError> {
    const all = inserting ? [ID_INDEX, ...this.indexes] : this.indexes;
    const named = duplicateIndexName(
      error,
      all.map((index) => index.name),
    );
    const known = all.find((index) => index.name === named);
    if (known) return this.error(known);
    if (named !== undefined) {
      const keyPattern = (error as { keyPattern?: unknown }).keyPattern;
      const fields = keyPattern !== null && typeof keyPattern === 'object' ? Object.keys(keyPattern) : [];
      return new DuplicateKeyError(this.collection, named, fields);
    }
    for (const index of all) {
      const filter = index === ID_INDEX ? { _id: doc._id } : clashFilter(index, doc);
      if (filter && (await this.model.exists(filter).catch(() => null))) return this.error(index);
    }
    return this.error(all.find((index) => index !== ID_INDEX) ?? ID_INDEX);
  }

  private error(index: UniqueIndex): DuplicateKeyError {
    return new DuplicateKeyError(this.collection, index.name, index.fields);
  }
}
