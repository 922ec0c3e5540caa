import { DuplicateKeyError } from '../errors';
import type { Filter, Update } from '../port';
import { valuesEqual } from '../subset';
import type { CollectionContext } from './context';
import { newRevision, toServer } from './documents';
import { draftUpdate, draftUpsert, type UpdateOutcome } from '../drafts';
import { isDuplicateKey } from './driverErrors';
import { insertDocuments } from './inserting';
import { pinnedId, readById, readIds } from './reads';
import { replaceAtRevision } from './revisionWrite';

/**
 * Single-document updates: read the document, apply the update in memory with the port's shared
 * code, validate the whole result with the model, then replace the document only if its
 * revision is still the one read (else start over).
 *
 * Why not the server's own `$set`/`$inc` with mongoose's `runValidators`? Update validators only
 * check the paths an update names, with the update's operand rather than the resulting value:
 * `$inc` is not validated at all (a `min: 0` field could go negative), `required` is checked only
 * for `$unset`, and validators reading other fields of the document (`this`) do not see it. The
 * port promises that an invalid result changes nothing, so the whole result is validated here.
 * It also makes an update mean exactly what it means on the embedded adapter on every server
 * (FerretDB 1.24, for one, ignores `$pull` with a condition).
 *
 * The cost: a read and a full-document write per update, and a retry when another writer changed
 * the document in between. Updates of one document in this process queue on a per-id lock, so
 * a hot document costs one round of read-validate-write per update rather than a storm of retries;
 * writers in other processes are covered by the revision check (revisionWrite.ts; made atomic by
 * claims.ts on servers that do not apply it atomically themselves).
 */

export type { UpdateOutcome };

/** Bounds retries when other writers keep changing the same document. */
const MAX_ATTEMPTS = 1000;
/** The document no longer matches (deleted or changed): look again. */
const GONE = Symbol('gone');
/** The document changed between the read and the write: try again. */
const CHANGED = Symbol('changed');

async function updateIfMatching(
  ctx: CollectionContext,
  filter: Filter,
  id: string,
  update: Update,
): Promise<UpdateOutcome | typeof GONE | typeof CHANGED> {
  const read = await readById(ctx, id, filter);
  if (!read) return GONE;
  const current = read.doc;
  const unchanged: UpdateOutcome = { matched: true, modified: false, before: current, after: current };
  const draft = draftUpdate(ctx.name, current, update);
  if (valuesEqual(draft, current)) return unchanged;
  const next = await ctx.validator.validate(draft);
  if (valuesEqual(next, current)) return unchanged;
  // Where the server cannot be trusted to apply the revision check atomically, win it first.
  if (ctx.claims && !(await ctx.claims.claim(ctx.name, id, read.revision))) return CHANGED;
  try {
    const written = await ctx.unique.write(next, () => replaceAtRevision(ctx, id, read.revision, toServer(next, newRevision())));
    if (!written) return CHANGED;
  } catch (error) {
    // The revision did not change (or, lost mid-write, is checked by the next writer's read).
    await ctx.claims?.release(ctx.name, id, read.revision);
    if (isDuplicateKey(error)) throw await ctx.unique.describe(error, next, false);
    throw error;
  }
  return { matched: true, modified: true, before: current, after: next };
}

/** Waits a little before trying again after losing to another writer, longer the more often it lost. */
function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt + 1)));
}

/** Inserts the upsert's document; `undefined` when a concurrent writer inserted a match first (update that instead). */
async function upsertInsert(ctx: CollectionContext, filter: Filter, update: Update): Promise<UpdateOutcome | undefined> {
  const next = await ctx.validator.validate(draftUpsert(ctx.name, filter, update));
  try {
    await insertDocuments(ctx, [next]);
  } catch (error) {
    if (error instanceof DuplicateKeyError && (await readIds(ctx, filter, 1)).length > 0) return undefined;
    throw error;
  }
  return { matched: false, modified: false, after: next, upsertedId: next._id };
}

/** Updates the first document matching `filter`, or inserts one when none does and `upsert` is set. */
export async function updateFirst(ctx: CollectionContext, filter: Filter, update: Update, upsert: boolean): Promise<UpdateOutcome> {
  const pinned = pinnedId(filter);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const id = pinned ?? (await readIds(ctx, filter, 1))[0];
    if (id !== undefined) {
      const outcome = await ctx.locks.run(id, () => updateIfMatching(ctx, filter, id, update));
      if (outcome === CHANGED) await backoff(attempt);
      if (outcome === CHANGED || (outcome === GONE && pinned === undefined)) continue;
      if (outcome !== GONE) return outcome;
    }
    if (!upsert) return { matched: false, modified: false };
    const inserted = await upsertInsert(ctx, filter, update);
    if (inserted) return inserted;
  }
  throw new Error(`update on ${ctx.name} gave up after ${MAX_ATTEMPTS} attempts: the document keeps changing`);
}

/** Updates one document by id while it still matches `filter`; not matched once it no longer does. */
async function updateMatchingId(ctx: CollectionContext, filter: Filter, id: string, update: Update): Promise<UpdateOutcome> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const outcome = await ctx.locks.run(id, () => updateIfMatching(ctx, filter, id, update));
    if (outcome === GONE) return { matched: false, modified: false };
    if (outcome !== CHANGED) return outcome;
    await backoff(attempt);
  }
  throw new Error(`update on ${ctx.name} gave up after ${MAX_ATTEMPTS} attempts: the document keeps changing`);
}

/** How many documents of one `updateMany` are in flight at once (each is a read and a write). */
const MANY_CONCURRENCY = 8;

/**
 * Updates every document matching `filter` when the call starts, each atomically on its own.
 * The first failure stops it; documents updated before stay updated, as in MongoDB.
 */
export async function updateEach(ctx: CollectionContext, filter: Filter, update: Update): Promise<{ matched: number; modified: number }> {
  const ids = await readIds(ctx, filter);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const totals = { matched: 0, modified: 0 };
  const worker = async (): Promise<void> => {
    while (!failure && next < ids.length) {
      const id = ids[next++] as string;
      try {
        const outcome = await updateMatchingId(ctx, filter, id, update);
        totals.matched += outcome.matched ? 1 : 0;
        totals.modified += outcome.modified ? 1 : 0;
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(MANY_CONCURRENCY, ids.length) }, worker));
  if (failure) throw failure.error;
  return totals;
}
