import { UnsupportedQueryError } from '../errors';
import type { Collection, Filter, FindOneAndUpdateOptions, FindOptions, StoredDocument, Update, UpdateResult } from '../port';
import { cloneValue, type StoredDoc } from './codec';
import { compileFilter } from './filter';
import { checkSort } from './sort';
import { checkUpdate } from './update';
import { updateOneDocument, type UpdateContext, type UpdateOutcome } from './updating';

/**
 * The `Collection` of the embedded store. Reads run synchronously on the in-memory state and
 * return copies; writes validate, then check-and-apply synchronously, then wait for durability.
 */

/** Runs an operation once the store is running and the collection is loaded; the store tracks it for `stop()`. */
export type Runner = <R>(operation: (ctx: UpdateContext) => Promise<R> | R) => Promise<R>;

function checkCount(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new UnsupportedQueryError(`${name} must be a non-negative integer`);
  }
  return value;
}

/** One collection of the embedded store (the store creates it; see `DocumentStore.collection`). */
export class EmbeddedCollection<T extends StoredDocument> implements Collection<T> {
  constructor(
    readonly name: string,
    private readonly run: Runner,
  ) {}

  /** A private copy for the caller. The cast is the one place stored values become `T`: they passed `T`'s schema. */
  private out(doc: StoredDoc): T {
    return cloneValue(doc) as unknown as T;
  }

  insertOne(doc: T): Promise<T> {
    return this.run(async ({ state, validator }) => {
      const stored = await validator.validate(doc);
      await state.insert([stored]);
      return this.out(stored);
    });
  }

  /** All or nothing: one invalid or clashing document inserts none of them. */
  insertMany(docs: T[]): Promise<T[]> {
    return this.run(async ({ state, validator }) => {
      const stored = await Promise.all(docs.map((doc) => validator.validate(doc)));
      await state.insert(stored);
      return stored.map((doc) => this.out(doc));
    });
  }

  async findOne(filter: Filter, options: Pick<FindOptions, 'sort'> = {}): Promise<T | null> {
    const [first] = await this.find(filter, { sort: options.sort, limit: 1 });
    return first ?? null;
  }

  findById(id: string): Promise<T | null> {
    return this.run(({ state }) => {
      const doc = state.get(id);
      return doc ? this.out(doc) : null;
    });
  }

  findByIds(ids: readonly string[]): Promise<T[]> {
    return this.run(({ state }) => {
      const out: T[] = [];
      for (const id of new Set(ids)) {
        const doc = state.get(id);
        if (doc) out.push(this.out(doc));
      }
      return out;
    });
  }

  find(filter: Filter, options: FindOptions = {}): Promise<T[]> {
    return this.run(({ state }) => {
      const predicate = compileFilter(filter);
      if (options.sort !== undefined) checkSort(options.sort);
      const skip = checkCount(options.skip, 'skip');
      // As in MongoDB, a limit of 0 means no limit.
      const limit = checkCount(options.limit, 'limit');
      return state.find(filter, predicate, { sort: options.sort, skip, limit }).map((doc) => this.out(doc));
    });
  }

  count(filter: Filter): Promise<number> {
    return this.run(({ state }) => state.find(filter, compileFilter(filter)).length);
  }

  private updateFirst(filter: Filter, update: Update, upsert: boolean): Promise<UpdateOutcome> {
    return this.run((ctx) => {
      const predicate = compileFilter(filter);
      checkUpdate(update);
      return updateOneDocument(ctx, () => ctx.state.findFirst(filter, predicate), update, upsert ? { filter } : undefined);
    });
  }

  async updateOne(filter: Filter, update: Update, options: { upsert?: boolean } = {}): Promise<UpdateResult> {
    const outcome = await this.updateFirst(filter, update, options.upsert ?? false);
    const result: UpdateResult = { matchedCount: outcome.matched ? 1 : 0, modifiedCount: outcome.modified ? 1 : 0 };
    if (outcome.upsertedId !== undefined) result.upsertedId = outcome.upsertedId;
    return result;
  }

  /** Returns the document before the update unless `returnDocument: 'after'` (the MongoDB driver's default). */
  async findOneAndUpdate(filter: Filter, update: Update, options: FindOneAndUpdateOptions = {}): Promise<T | null> {
    const outcome = await this.updateFirst(filter, update, options.upsert ?? false);
    const doc = options.returnDocument === 'after' ? outcome.after : outcome.before;
    return doc ? this.out(doc) : null;
  }

  updateMany(filter: Filter, update: Update): Promise<UpdateResult> {
    return this.run(async (ctx) => {
      const predicate = compileFilter(filter);
      checkUpdate(update);
      const targets = ctx.state.find(filter, predicate);
      // Each document is updated on its own; each retry re-checks that it still matches.
      const settled = await Promise.allSettled(
        targets.map((target) =>
          updateOneDocument(
            ctx,
            () => {
              const current = ctx.state.get(target._id);
              return current && predicate(current) ? current : undefined;
            },
            update,
          ),
        ),
      );
      const failure = settled.find((result) => result.status === 'rejected');
      if (failure) {
        // Documents updated before the failure stay updated (and are durable by now), as in MongoDB.
        const reason: unknown = failure.reason;
        throw reason;
      }
      const outcomes = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      return {
        matchedCount: outcomes.filter((outcome) => outcome.matched).length,
        modifiedCount: outcomes.filter((outcome) => outcome.modified).length,
      };
    });
  }

  deleteOne(filter: Filter): Promise<number> {
    return this.run(async ({ state }) => {
      const doc = state.findFirst(filter, compileFilter(filter));
      if (!doc) return 0;
      const { removed, durable } = state.remove([doc]);
      await durable;
      return removed;
    });
  }

  deleteMany(filter: Filter): Promise<number> {
    return this.run(async ({ state }) => {
      const { removed, durable } = state.remove(state.find(filter, compileFilter(filter)));
      await durable;
      return removed;
    });
  }
}
