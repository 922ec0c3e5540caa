import { codedError } from '@chatgraph/kit';
import { DuplicateKeyError } from '@chatgraph/kit/store';
import { insertWithOutbox, notDeleted, updateWithOutbox } from '@chatgraph/kit/events';
import { balanceChanged, type BalanceReason } from './balanceEvents';
import type { BalanceDoc, LedgerEntryDoc, LedgerKind, RateLimitCollections } from './store';

/** Bounds of a balance: GraphQL's `Int`. */
export const BALANCE_MAX = 2_147_483_647;
export const BALANCE_MIN = -2_147_483_648;

/** A balance change to record and apply. `_id` makes it idempotent: the same id is applied once. */
export interface LedgerChange {
  _id: string;
  userId: string;
  kind: Exclude<LedgerKind, 'OPENING'>;
  credits: number;
  reason: string;
  actorId?: string | null;
  eventId?: string | null;
  model?: string | null;
  promptTokens?: number | null;
  completionTokens?: number | null;
  /** Also count the change in the user's daily usage of `model` (debits). */
  usage?: { day: string; model: string; promptTokens: number; completionTokens: number };
}

/** How a change ended. */
export type LedgerOutcome =
  | { state: 'applied'; entry: LedgerEntryDoc; balance: { credits: number; updatedAt: Date } | null }
  /** The user is deleted: nothing was charged. */
  | { state: 'void'; entry: LedgerEntryDoc };

const REASONS: Record<LedgerChange['kind'], BalanceReason> = { DEBIT: 'debit', GRANT: 'grant' };

/**
 * Records and applies balance changes exactly once without transactions (see store.ts):
 * 1. the ledger entry is inserted `pending` (a second delivery finds it, with the amount the first
 *    one computed, so a price change in between cannot make them differ);
 * 2. the balance is updated conditionally on its `version` and on the entry not being in its
 *    `_charges`, with the entry id pushed and `balance.changed` queued in the same write;
 * 3. for a debit, the daily usage is counted the same way;
 * 4. the entry is marked `applied` with the balance after it;
 * 5. the entry id is pulled from the balance and the usage again.
 * A crash or a failure anywhere is finished by running the same change again (the bus redelivers
 * events; an ADMIN retries a grant): each step sees what an earlier run did.
 */
export class Ledger {
  constructor(
    private readonly collections: RateLimitCollections,
    private readonly options: { startingCredits: number; now: () => Date; eventsQueued: () => void },
  ) {}

  /** The user's balance, opened with the starting credits if it does not exist yet; null for a deleted user. */
  async openBalance(userId: string): Promise<BalanceDoc | null> {
    const existing = await this.collections.balances.findOne({ _id: userId, ...notDeleted });
    if (existing) return existing;
    if (await this.collections.deletedUsers.findById(userId)) return null;
    const now = this.options.now();
    const credits = this.options.startingCredits;
    // The audit entry first: a crash before the balance leaves an entry that the next opening completes.
    await this.insertOnce({
      _id: `opening:${userId}`,
      userId,
      kind: 'OPENING',
      credits,
      balanceAfter: credits,
      state: 'applied',
      reason: 'starting balance',
      actorId: null,
      eventId: null,
      model: null,
      promptTokens: null,
      completionTokens: null,
      at: now,
    });
    try {
      const doc: BalanceDoc = { _id: userId, credits, version: 1, createdAt: now, updatedAt: now };
      const inserted = await this.collections.balances.insertOne(insertWithOutbox(doc, [balanceChanged(userId, credits, 1, 'opening')]));
      this.options.eventsQueued();
      return inserted;
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
      // Opened meanwhile (or a tombstone waiting for its event to go out).
      return this.collections.balances.findOne({ _id: userId, ...notDeleted });
    }
  }

  /** Records and applies `change` once (see the class comment). */
  async apply(change: LedgerChange): Promise<LedgerOutcome> {
    const entry = await this.record(change);
    if (entry.state === 'void') return { state: 'void', entry };
    if (entry.state === 'applied') {
      await this.release(entry._id, change);
      return { state: 'applied', entry, balance: null };
    }
    const balance = await this.openBalance(change.userId);
    // The user is deleted: kept as a void entry without the user id, like the rest of their log.
    if (!balance) return { state: 'void', entry: await this.settle(entry._id, { state: 'void', userId: null }) };
    const after = await this.applyToBalance(balance, entry);
    if (change.usage) await this.countUsage(entry, change.usage);
    const applied = await this.settle(entry._id, { state: 'applied', ...(after ? { balanceAfter: after.credits } : {}) });
    await this.release(entry._id, change);
    return { state: 'applied', entry: applied, balance: after };
  }

  private async record(change: LedgerChange): Promise<LedgerEntryDoc> {
    const entry: LedgerEntryDoc = {
      _id: change._id,
      userId: change.userId,
      kind: change.kind,
      credits: change.credits,
      balanceAfter: null,
      state: 'pending',
      reason: change.reason,
      actorId: change.actorId ?? null,
      eventId: change.eventId ?? null,
      model: change.model ?? null,
      promptTokens: change.promptTokens ?? null,
      completionTokens: change.completionTokens ?? null,
      at: this.options.now(),
    };
    return this.insertOnce(entry);
  }

  /** Inserts `entry`, or returns the one already stored under its id. */
  private async insertOnce(entry: LedgerEntryDoc): Promise<LedgerEntryDoc> {
    try {
      return await this.collections.ledger.insertOne(entry);
    } catch (error) {
      if (!(error instanceof DuplicateKeyError)) throw error;
      const stored = await this.collections.ledger.findById(entry._id);
      if (!stored) throw error;
      return stored;
    }
  }

  /**
   * Step 2: a compare-and-set on the version, so the event carries the exact balance after the
   * change even when debits of one user's conversations land concurrently. Null when the entry
   * had been applied by an earlier run (or the balance went away with its user).
   */
  private async applyToBalance(start: BalanceDoc, entry: LedgerEntryDoc): Promise<{ credits: number; updatedAt: Date } | null> {
    let balance: BalanceDoc | null = start;
    while (balance) {
      if (balance._charges?.includes(entry._id)) return null;
      const credits = Math.min(BALANCE_MAX, Math.max(BALANCE_MIN, balance.credits + entry.credits));
      if (entry.kind === 'GRANT' && balance.credits + entry.credits > BALANCE_MAX) {
        await this.settle(entry._id, { state: 'void' });
        throw codedError('BAD_USER_INPUT', `The balance would exceed ${BALANCE_MAX} credits`, { field: 'credits' });
      }
      const version = balance.version + 1;
      const updatedAt = this.options.now();
      const update = updateWithOutbox({ $set: { credits, version, updatedAt }, $push: { _charges: entry._id } }, [
        balanceChanged(balance._id, credits, version, REASONS[entry.kind as LedgerChange['kind']]),
      ]);
      const result = await this.collections.balances.updateOne(
        { _id: balance._id, version: balance.version, _charges: { $ne: entry._id }, ...notDeleted },
        update,
      );
      if (result.modifiedCount > 0) {
        this.options.eventsQueued();
        return { credits, updatedAt };
      }
      balance = await this.collections.balances.findOne({ _id: balance._id, ...notDeleted });
    }
    return null;
  }

  /** Step 3: the daily usage row, created on first use (a creation race is retried as an update). */
  private async countUsage(entry: LedgerEntryDoc, usage: NonNullable<LedgerChange['usage']>): Promise<void> {
    const userId = entry.userId ?? '';
    const _id = `${userId}|${usage.day}|${usage.model}`;
    const update = {
      $inc: { generations: 1, promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, credits: -entry.credits },
      $push: { _charges: entry._id },
      $setOnInsert: { userId, day: usage.day, model: usage.model },
    };
    try {
      await this.collections.dailyUsage.updateOne({ _id, _charges: { $ne: entry._id } }, update, { upsert: true });
    } catch (error) {
      // The row exists: either this entry is already counted in it (nothing to do) or it was
      // created concurrently, and the update without upsert counts it once.
      if (!(error instanceof DuplicateKeyError)) throw error;
      await this.collections.dailyUsage.updateOne({ _id, _charges: { $ne: entry._id } }, { $inc: update.$inc, $push: update.$push });
    }
  }

  private async settle(id: string, fields: Partial<LedgerEntryDoc>): Promise<LedgerEntryDoc> {
    const settled =
      (await this.collections.ledger.findOneAndUpdate({ _id: id, state: 'pending' }, { $set: fields }, { returnDocument: 'after' })) ??
      (await this.collections.ledger.findById(id));
    if (!settled) throw new Error(`ledger entry ${id} vanished`);
    return settled;
  }

  /** Step 5: the entry is bookkept, so the markers that made steps 2 and 3 idempotent can go. */
  private async release(id: string, change: LedgerChange): Promise<void> {
    await this.collections.balances.updateOne({ _id: change.userId, _charges: id }, { $pull: { _charges: id } });
    if (change.usage)
      await this.collections.dailyUsage.updateOne(
        { _id: `${change.userId}|${change.usage.day}|${change.usage.model}`, _charges: id },
        { $pull: { _charges: id } },
      );
  }
}
