import type mongoose from 'mongoose';
import { compileFilter } from '../subset';
import type { Filter, Sort } from '../port';
import type { CollectionContext } from './context';
import { fromServer, type Versioned } from './documents';

/**
 * Lean reads through the collection's model (mongoose casts the filter to the schema's types).
 *
 * A filter that pins one `_id` is sent as `{ _id }` alone and the rest of it is matched here, with
 * the embedded adapter's matcher (the port's subset means the same on both): FerretDB 1.24 on
 * SQLite looks a document up by its key only for a filter that is exactly `{ _id: value }`; with
 * any other condition beside it (`{ _id, conversationId, _deleted: { $ne: true } }`, the shape of
 * every conditional update) it reads and decodes the whole collection (explain: `filterPushdown:
 * false`; about 1.8 s instead of 0.2 s at 20,000 documents on a loaded machine), which made
 * conversation apply 2–3 finished answers per second. MongoDB answers both shapes from its `_id`
 * index, so this costs it nothing.
 */

/** A port filter as mongoose's query typing wants it (the port's subset is checked before). */
export type Query = mongoose.QueryFilter<unknown>;

export interface ReadOptions {
  sort?: Sort;
  skip?: number;
  /** 0 means no limit, as in MongoDB. */
  limit?: number;
}

export async function readMany(ctx: CollectionContext, filter: Filter, options: ReadOptions = {}): Promise<Versioned[]> {
  const id = pinnedId(filter);
  if (id !== undefined) {
    // At most one document: sorting and limiting it is moot, skipping past it leaves nothing.
    const one = await readById(ctx, id, filter);
    return one && !options.skip ? [one] : [];
  }
  let query = ctx.model.find(filter as Query);
  if (options.sort && Object.keys(options.sort).length > 0) query = query.sort(options.sort);
  if (options.skip) query = query.skip(options.skip);
  if (options.limit) query = query.limit(options.limit);
  const rows: unknown[] = await query.lean();
  return rows.map(fromServer);
}

export async function readOne(ctx: CollectionContext, filter: Filter): Promise<Versioned | undefined> {
  const id = pinnedId(filter);
  if (id !== undefined) return readById(ctx, id, filter);
  const row: unknown = await ctx.model.findOne(filter as Query).lean();
  return row === null ? undefined : fromServer(row);
}

/** The document with `id` if it matches `filter` (which may name `_id` too): a key lookup on every server. */
export async function readById(ctx: CollectionContext, id: string, filter: Filter): Promise<Versioned | undefined> {
  const row: unknown = await ctx.model.findOne({ _id: id } as Query).lean();
  if (row === null) return undefined;
  const read = fromServer(row);
  return compileFilter(filter)(read.doc) ? read : undefined;
}

/** The `_id`s of matching documents, in natural order (at most `limit`, 0 = all). */
export async function readIds(ctx: CollectionContext, filter: Filter, limit = 0): Promise<string[]> {
  let query = ctx.model.find(filter as Query, { _id: 1 });
  if (limit) query = query.limit(limit);
  const rows: unknown[] = await query.lean();
  return rows.map((row) => String((row as { _id: unknown })._id));
}

export function countMatching(ctx: CollectionContext, filter: Filter): Promise<number> {
  return ctx.model.countDocuments(filter as Query).exec();
}

/** The `_id` an equality in the filter pins down, if any: updates then need no separate lookup. */
export function pinnedId(filter: Filter): string | undefined {
  const id = filter._id;
  if (typeof id === 'string') return id;
  if (id !== null && typeof id === 'object' && Object.keys(id).length === 1 && typeof (id as { $eq?: unknown }).$eq === 'string') {
    return (id as { $eq: string }).$eq;
  }
  return undefined;
}
