import { UnsupportedQueryError } from '../errors';
import type { Collection, Filter, FindOneAndUpdateOptions, FindOptions, StoredDocument, Update, UpdateResult } from '../port';
import { checkFilter, checkSort, checkUpdate, type StoredDoc } from '../subset';
import type { CollectionContext } from './context';
import { insertDocuments } from './inserting';
import { countMatching, readMany, type Query } from './reads';
import { updateEach, updateFirst, type UpdateOutcome } from './updating';

/**
 * The `Collection` of the MongoDB store. Filters, updates and sorts are checked against the
 * port's subset before anything reaches the server, so code that runs here runs on the embedded
 * adapter and vice versa. Returned documents are fresh plain objects (lean reads, hidden fields
 * removed), shaped as the embedded adapter returns them.
 */

/** Runs an operation once the store is running and the collection's indexes exist; the store maps errors and tracks it for `stop()`. */
export type Runner = <R>(operation: (ctx: CollectionContext) => Promise<R>) => Promise<R>;

function checkCount(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new UnsupportedQueryError(`${name} must be a non-negative integer`);
  return value;
}

/** One collection of the MongoDB store (the store creates it; see `DocumentStore.collection`). */
export class MongoCollection<T extends StoredDocument> implements Collection<T> {
  constructor(
    readonly name: string,
    private readonly run: Runner,
  ) {}

  /** The one place stored values become `T`: they passed `T`'s schema on the way in. */
  private out(doc: StoredDoc): T {
    return doc as unknown as T;
  }

  insertOne(doc: T): Promise<T> {
    return this.run(async (ctx) => {
      const stored = await ctx.validator.validate(doc);
      await insertDocuments(ctx, [stored]);
      return this.out(stored);
    });
  }

  /** All or nothing: one invalid or clashing document inserts none of them. */
  insertMany(docs: T[]): Promise<T[]> {
    return this.run(async (ctx) => {
      const stored = await Promise.all(docs.map((doc) => ctx.validator.validate(doc)));
      if (stored.length > 0) await insertDocuments(ctx, stored);
      return stored.map((doc) => this.out(doc));
    });
  }

  async findOne(filter: Filter, options: Pick<FindOptions, 'sort'> = {}): Promise<T | null> {
    const [first] = await this.find(filter, { sort: options.sort, limit: 1 });
    return first ?? null;
  }

  async findById(id: string): Promise<T | null> {
    return this.findOne({ _id: id });
  }

  findByIds(ids: readonly string[]): Promise<T[]> {
    if (ids.length === 0) return this.run(async () => []);
    return this.find({ _id: { $in: [...new Set(ids)] } });
  }

  find(filter: Filter, options: FindOptions = {}): Promise<T[]> {
    return this.run(async (ctx) => {
      checkFilter(filter);
      if (options.sort !== undefined) checkSort(options.sort);
      const skip = checkCount(options.skip, 'skip');
      const limit = checkCount(options.limit, 'limit');
      const rows = await readMany(ctx, filter, { sort: options.sort, skip, limit });
      return rows.map((row) => this.out(row.doc));
    });
  }

  count(filter: Filter): Promise<number> {
    return this.run(async (ctx) => {
      checkFilter(filter);
      return countMatching(ctx, filter);
    });
  }

  private updateOneOutcome(filter: Filter, update: Update, upsert: boolean): Promise<UpdateOutcome> {
    return this.run(async (ctx) => {
      checkFilter(filter);
      checkUpdate(update);
      return updateFirst(ctx, filter, update, upsert);
    });
  }

  async updateOne(filter: Filter, update: Update, options: { upsert?: boolean } = {}): Promise<UpdateResult> {
    const outcome = await this.updateOneOutcome(filter, update, options.upsert ?? false);
    const result: UpdateResult = { matchedCount: outcome.matched ? 1 : 0, modifiedCount: outcome.modified ? 1 : 0 };
    if (outcome.upsertedId !== undefined) result.upsertedId = outcome.upsertedId;
    return result;
  }

  /** Returns the document before the update unless `returnDocument: 'after'` (the MongoDB driver's default). */
  async findOneAndUpdate(filter: Filter, update: Update, options: FindOneAndUpdateOptions = {}): Promise<T | null> {
    const outcome = await this.updateOneOutcome(filter, update, options.upsert ?? false);
    const doc = options.returnDocument === 'after' ? outcome.after : outcome.before;
    return doc ? this.out(doc) : null;
  }

  updateMany(filter: Filter, update: Update): Promise<UpdateResult> {
    return this.run(async (ctx) => {
      checkFilter(filter);
      checkUpdate(update);
      const { matched, modified } = await updateEach(ctx, filter, update);
      return { matchedCount: matched, modifiedCount: modified };
    });
  }

  deleteOne(filter: Filter): Promise<number> {
    return this.run(async (ctx) => {
      checkFilter(filter);
      const result = await ctx.model.deleteOne(filter as Query).exec();
      return result.deletedCount;
    });
  }

  deleteMany(filter: Filter): Promise<number> {
    return this.run(async (ctx) => {
      checkFilter(filter);
      const result = await ctx.model.deleteMany(filter as Query).exec();
      return result.deletedCount;
    });
  }
}
