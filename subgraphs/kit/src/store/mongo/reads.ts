import type mongoose from 'mongoose';
import type { Filter, Sort } from '../port';
import type { CollectionContext } from './context';
import { fromServer, type Versioned } from './documents';

/** Lean reads through the collection's model (mongoose casts the filter to the schema's types). */

/** A port filter as mongoose's query typing wants it (the port's subset is checked before). */
export type Query = mongoose.QueryFilter<unknown>;

export interface ReadOptions {
  sort?: Sort;
  skip?: number;
  /** 0 means no limit, as in MongoDB. */
  limit?: number;
}

export async function readMany(ctx: CollectionContext, filter: Filter, options: ReadOptions = {}): Promise<Versioned[]> {
  let query = ctx.model.find(filter as Query);
  if (options.sort && Object.keys(options.sort).length > 0) query = query.sort(options.sort);
  if (options.skip) query = query.skip(options.skip);
  if (options.limit) query = query.limit(options.limit);
  const rows: unknown[] = await query.lean();
  return rows.map(fromServer);
}

export async function readOne(ctx: CollectionContext, filter: Filter): Promise<Versioned | undefined> {
  const row: unknown = await ctx.model.findOne(filter as Query).lean();
  return row === null ? undefined : fromServer(row);
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

/** `filter` narrowed to the document with `id`. */
export function withId(filter: Filter, id: string): Filter {
  if (Object.keys(filter).length === 0) return { _id: id };
  if (pinnedId(filter) === id) return filter;
  return { $and: [filter, { _id: id }] };
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
