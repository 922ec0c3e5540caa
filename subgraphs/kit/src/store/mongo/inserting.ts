import mongoose from 'mongoose';
import { DuplicateKeyError } from '../errors';
import type { StoredDoc } from '../subset';
import type { CollectionContext } from './context';
import { newRevision, REVISION_FIELD, toServer } from './documents';
import { isDuplicateKey } from './driverErrors';

/**
 * Inserting validated documents, all or nothing as in the embedded adapter. Without
 * transactions that is done by compensation: an ordered insert stops at the first clash, and
 * the documents it had already inserted are deleted again (only those rows: they are matched by
 * `_id` and by the revision written with them). Readers may glimpse them in between. When the
 * connection fails midway nothing is compensated: what was written is unknown, as with any write
 * interrupted by a network failure.
 */

interface Row {
  doc: StoredDoc;
  revision: string;
}

async function compensate(ctx: CollectionContext, rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  await ctx.rows.deleteMany({ _id: { $in: rows.map((row) => row.doc._id) }, [REVISION_FIELD]: { $in: rows.map((row) => row.revision) } });
}

/** Index of the document an ordered bulk insert failed on. */
function failedIndex(error: unknown): number | undefined {
  if (!(error instanceof mongoose.mongo.MongoBulkWriteError)) return undefined;
  const errors = error.writeErrors;
  const first = Array.isArray(errors) ? errors[0] : errors;
  return first?.index;
}

/** One document at a time, each through the uniqueness check (servers with weak unique indexes). */
async function insertChecked(ctx: CollectionContext, rows: readonly Row[]): Promise<void> {
  const done: Row[] = [];
  for (const row of rows) {
    try {
      await ctx.unique.write(row.doc, () => ctx.rows.insertOne(toServer(row.doc, row.revision)));
    } catch (error) {
      // The code check throws DuplicateKeyError itself; the server reports its own clashes.
      const clash =
        error instanceof DuplicateKeyError ? error : isDuplicateKey(error) ? await ctx.unique.describe(error, row.doc, true) : undefined;
      if (!clash) throw error;
      await compensate(ctx, done);
      throw clash;
    }
    done.push(row);
  }
}

/** Inserts `docs` (already validated); a clash throws `DuplicateKeyError` and leaves none of them. */
export async function insertDocuments(ctx: CollectionContext, docs: readonly StoredDoc[]): Promise<void> {
  const rows = docs.map((doc) => ({ doc, revision: newRevision() }));
  if (docs.some((doc) => ctx.unique.needsCheck(doc))) return insertChecked(ctx, rows);
  try {
    const [only] = rows;
    if (rows.length === 1 && only) await ctx.rows.insertOne(toServer(only.doc, only.revision));
    else
      await ctx.rows.insertMany(
        rows.map((row) => toServer(row.doc, row.revision)),
        { ordered: true },
      );
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const at = rows.length === 1 ? 0 : failedIndex(error);
    const failed = at === undefined ? undefined : rows[at];
    if (at === undefined || !failed) throw error;
    await compensate(ctx, rows.slice(0, at));
    throw await ctx.unique.describe(error, failed.doc, true);
  }
}
