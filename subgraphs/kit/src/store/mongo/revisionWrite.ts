import type { StoredDoc } from '../subset';
import type { CollectionContext } from './context';
import { REVISION_FIELD } from './documents';

/**
 * The write of an update: replace document `id` with `row` only while its stored revision is
 * still the one the update read. False when it is not (changed, deleted or replaced since).
 *
 * On MongoDB that is one atomic `replaceOne({ _id, __rev })`, answered from the `_id` index.
 *
 * On servers that need claims (claims.ts: FerretDB 1.24) the same filter cost a read and decode of
 * the whole collection per update: FerretDB looks a document up by its key only for a filter that
 * is exactly `{ _id: value }` (anything beside `_id`, indexed or not, inside `$and` or not, is
 * matched in Go over every row; its SQLite backend pushes nothing else down). About 97 ms per
 * write at 20,000 messages against 9 ms by key, twice per finished answer (the answer, then the
 * relay's pull of its event): conversation applied 7–9 answers per second. There the check is
 * also not atomic (FerretDB reads, compares, then writes by key as separate steps); what makes a
 * writer alone in moving a document away from the revision it read is its claim, won before this
 * write. So the revision is checked here by a key lookup, then the row is written by key: the
 * same read-compare-write FerretDB did inside, each step by key. The check still refuses what
 * the claim cannot see: a document deleted and inserted again under the same `_id` since the read
 * (inserts and deletes take no claim), a claim taken over from a writer stalled past
 * `CLAIM_STALE_MS`, or one released after a write that failed yet was applied.
 */
export async function replaceAtRevision(ctx: CollectionContext, id: string, revision: string | null, row: StoredDoc): Promise<boolean> {
  if (!ctx.claims) {
    const result = await ctx.rows.replaceOne({ _id: id, [REVISION_FIELD]: revision }, row);
    return result.matchedCount > 0;
  }
  const stored = await ctx.rows.findOne({ _id: id }, { projection: { [REVISION_FIELD]: 1 } });
  if (!stored) return false;
  const token = stored[REVISION_FIELD];
  if ((typeof token === 'string' ? token : null) !== revision) return false;
  const result = await ctx.rows.replaceOne({ _id: id }, row);
  return result.matchedCount > 0;
}
