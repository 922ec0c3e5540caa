import type { Schema } from 'mongoose';

/**
 * The document-store port. Every service's persistence goes through it, so the same repository
 * code runs on the embedded adapter (default, in-process, persisted to a data directory) and on
 * MongoDB through mongoose. It offers the Mongo subset that works on MongoDB and on FerretDB:
 * single-document atomic updates, unique/compound indexes, no transactions, no $lookup.
 */

/** Every stored document has a string `_id` (services generate ids with `newId()`). */
export interface StoredDocument {
  _id: string;
}

/**
 * A Mongo query. Supported by every adapter: equality (including on array elements and dotted
 * paths), `$eq $ne $in $nin $gt $gte $lt $lte $exists`, `$and $or`. Anything else may be refused.
 */
export type Filter = Record<string, unknown>;

/** Atomic single-document update operators supported by every adapter. */
export interface Update {
  $set?: Record<string, unknown>;
  $unset?: Record<string, '' | 1 | true>;
  $inc?: Record<string, number>;
  $push?: Record<string, unknown>;
  $pull?: Record<string, unknown>;
  $setOnInsert?: Record<string, unknown>;
}

export type SortDirection = 1 | -1;
export type Sort = Record<string, SortDirection>;

export interface FindOptions {
  sort?: Sort;
  limit?: number;
  skip?: number;
}

export interface IndexSpec {
  /** Indexed fields in order, e.g. `{ ownerId: 1, updatedAt: -1 }`. */
  fields: Record<string, SortDirection>;
  unique?: boolean;
  /** Unique indexes ignore documents where a field is missing (Mongo's partial/sparse behaviour). */
  sparse?: boolean;
  /** Defaults to Mongo's `field_1_other_-1` naming. */
  name?: string;
}

/**
 * Describes one collection. The mongoose schema is the one definition of a document's shape and
 * validation, used by both adapters (embedded: `validateSync` on an unconnected model).
 */
export interface CollectionSpec<T extends StoredDocument> {
  name: string;
  schema: Schema<T>;
  indexes?: IndexSpec[];
}

export interface UpdateResult {
  matchedCount: number;
  modifiedCount: number;
  upsertedId?: string;
}

export interface FindOneAndUpdateOptions {
  returnDocument?: 'before' | 'after';
  upsert?: boolean;
}

export interface Collection<T extends StoredDocument> {
  readonly name: string;
  /** Validates against the schema (defaults applied); a unique-index clash throws `DuplicateKeyError`. */
  insertOne(doc: T): Promise<T>;
  insertMany(docs: T[]): Promise<T[]>;
  findOne(filter: Filter, options?: Pick<FindOptions, 'sort'>): Promise<T | null>;
  findById(id: string): Promise<T | null>;
  /** Documents whose `_id` is in `ids`, in no particular order (for DataLoaders). */
  findByIds(ids: readonly string[]): Promise<T[]>;
  find(filter: Filter, options?: FindOptions): Promise<T[]>;
  count(filter: Filter): Promise<number>;
  /** Atomic on one document. The result is validated; an invalid result changes nothing. */
  updateOne(filter: Filter, update: Update, options?: { upsert?: boolean }): Promise<UpdateResult>;
  findOneAndUpdate(filter: Filter, update: Update, options?: FindOneAndUpdateOptions): Promise<T | null>;
  /** Each matching document is updated atomically on its own (no multi-document atomicity). */
  updateMany(filter: Filter, update: Update): Promise<UpdateResult>;
  deleteOne(filter: Filter): Promise<number>;
  deleteMany(filter: Filter): Promise<number>;
}

export interface DocumentStore {
  /** Returns the collection, creating it and its indexes on `start()` (or at once after start). */
  collection<T extends StoredDocument>(spec: CollectionSpec<T>): Collection<T>;
  start(): Promise<void>;
  /** Flushes everything acknowledged and releases files/connections. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Throws when the store cannot serve requests: not running, unreachable, or a registered
   * collection that could not be prepared (`CollectionUnavailableError`). Waits for collections
   * still being prepared, so a service's `start()` awaits it, once its collections are
   * registered, to refuse rather than serve half a store; `/readyz` runs it too.
   */
  ping(): Promise<void>;
}
