import type mongoose from 'mongoose';
import { isDuplicateKey } from './driverErrors';

/**
 * Compare-and-swap for servers whose single-document updates are not atomic across connections.
 *
 * FerretDB 1.24 (SQLite) evaluates an update's filter and writes the result as separate steps:
 * measured here, 40 concurrent `$inc`s over 4 connections left the counter at 4, and a
 * replace conditional on a revision was won by 3 of 4 writers. What it does enforce atomically is
 * a unique index on insert. So before a conditional write, a writer claims the transition away
 * from the revision it read by inserting `[collection, id, revision]` into one claims collection:
 * only one writer can, the others start over. Revisions are random and never reused, so claims
 * need no release; a sweeper deletes them once old (a writer never holds a read that long).
 *
 * The cost: one more insert per update on such servers. A claim whose write failed (a duplicate
 * key, the connection lost mid-write when the server restarts) is released by the writer; one left
 * by a process that died between its claim and its write is taken over once `CLAIM_STALE_MS` old
 * (without both, the document could not be updated until the sweep: every update retried the
 * same revision for half a minute and gave up, so answers stayed open after a server restart).
 * MongoDB needs none of this: its filter-and-write is atomic.
 */

interface ClaimRow {
  _id: string;
  at: Date;
}

export const CLAIMS_COLLECTION = 'chatgraph_update_claims';
/** Claims older than this are swept. */
export const CLAIM_TTL_MS = 60_000;
/**
 * A claim this old was left by a writer that died: a live one writes within milliseconds of its
 * claim (a write stuck longer than this fails on the driver's timeouts anyway).
 */
export const CLAIM_STALE_MS = 10_000;

export class RevisionClaims {
  private sweeper: NodeJS.Timeout | undefined;
  private readonly rows: mongoose.mongo.Collection<ClaimRow>;

  constructor(db: mongoose.mongo.Db) {
    this.rows = db.collection<ClaimRow>(CLAIMS_COLLECTION);
  }

  /** True when this caller may write `id` of `collection` away from `revision`; false when another writer already is. */
  async claim(collection: string, id: string, revision: string | null): Promise<boolean> {
    const key = JSON.stringify([collection, id, revision]);
    if (await this.insert(key)) return true;
    // Taken: by a live writer (it wins), or left by a dead one. A stale claim is removed (only
    // that very claim, by its time) and the insert tried again; the unique index still lets only
    // one of several writers doing this at once win.
    const held = await this.rows.findOne({ _id: key });
    if (!held || held.at.getTime() > Date.now() - CLAIM_STALE_MS) return false;
    await this.rows.deleteOne({ _id: key, at: held.at });
    return this.insert(key);
  }

  /**
   * Gives a claim back after its write failed, so the document's next writer is not refused for
   * a revision that never changed. Best effort: a claim that cannot be deleted now goes stale.
   */
  async release(collection: string, id: string, revision: string | null): Promise<void> {
    await this.rows.deleteOne({ _id: JSON.stringify([collection, id, revision]) }).catch(() => undefined);
  }

  private async insert(key: string): Promise<boolean> {
    try {
      await this.rows.insertOne({ _id: key, at: new Date() });
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** Creates the index the sweeper's range delete uses. */
  async prepare(): Promise<void> {
    await this.rows.createIndex({ at: 1 });
  }

  /** Sweeps old claims every half TTL until `stopSweeping()`; failures wait for the next round. */
  startSweeping(onError: (error: unknown) => void): void {
    const sweep = (): void => {
      this.rows.deleteMany({ at: { $lt: new Date(Date.now() - CLAIM_TTL_MS) } }).catch(onError);
    };
    this.sweeper = setInterval(sweep, CLAIM_TTL_MS / 2);
    // Sweeping never keeps the process alive on its own.
    this.sweeper.unref();
  }

  stopSweeping(): void {
    clearInterval(this.sweeper);
  }
}
