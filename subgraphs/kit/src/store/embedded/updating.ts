import { draftUpdate, draftUpsert, type UpdateOutcome } from '../drafts';
import type { Filter, Update } from '../port';
import { valuesEqual, type StoredDoc } from './codec';
import type { CollectionState } from './state';
import type { SchemaValidator } from './validate';
import type { KeyedLock } from '../../durability/keyedLock';

/**
 * Single-document updates. Validation is async, so the procedure is: read the current version,
 * build and validate the new one, then (synchronously) replace it only if the stored version is
 * still the one read, else start over. Each document therefore moves atomically from one
 * validated version to the next, and concurrent `$inc`s are never lost. Updates of the same
 * document also queue on a per-id lock so they rarely need to start over (deletes and upserts
 * do not take it, the version check covers them). The lock is released before waiting for the
 * fsync, so queued updates of one document still share group commits.
 */

export interface UpdateContext {
  state: CollectionState;
  validator: SchemaValidator;
  locks: KeyedLock;
}

export type { UpdateOutcome };

/** Bounds retries when other writers keep changing the same document. */
const MAX_ATTEMPTS = 1000;

interface Attempt {
  outcome: UpdateOutcome;
  durable?: Promise<void>;
}

/** One attempt on an existing document; `undefined` means it changed meanwhile and the caller retries. */
async function updateExisting(ctx: UpdateContext, current: StoredDoc, update: Update): Promise<Attempt | undefined> {
  const { state, validator } = ctx;
  const draft = draftUpdate(state.name, current, update);
  const unchanged: Attempt = { outcome: { matched: true, modified: false, before: current, after: current } };
  if (valuesEqual(draft, current)) return unchanged;
  const next = await validator.validate(draft);
  if (valuesEqual(next, current)) return state.get(current._id) === current ? unchanged : undefined;
  const durable = state.replace(current, next);
  if (!durable) return undefined;
  return { outcome: { matched: true, modified: true, before: current, after: next }, durable };
}

/**
 * Updates the document `locate` finds (re-run on every retry, so it must re-check the filter),
 * or inserts one when none matches and `upsert` is set.
 */
export async function updateOneDocument(
  ctx: UpdateContext,
  locate: () => StoredDoc | undefined,
  update: Update,
  upsert?: { filter: Filter },
): Promise<UpdateOutcome> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const found = locate();
    if (found) {
      const result = await ctx.locks.run(found._id, async () => {
        // Re-locate: while waiting for the lock the document may have changed or stopped matching.
        const current = locate();
        return current?._id === found._id ? updateExisting(ctx, current, update) : undefined;
      });
      if (!result) continue;
      await result.durable;
      return result.outcome;
    }
    if (!upsert) return { matched: false, modified: false };
    const next = await ctx.validator.validate(draftUpsert(ctx.state.name, upsert.filter, update));
    // A concurrent upsert may have inserted a match while this one validated: update that instead.
    if (locate()) continue;
    await ctx.state.insert([next]);
    return { matched: false, modified: false, after: next, upsertedId: next._id };
  }
  throw new Error(`update on ${ctx.state.name} gave up after ${MAX_ATTEMPTS} attempts: the document keeps changing`);
}
