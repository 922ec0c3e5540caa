import type { StoredDoc } from './codec';
import { collectionFiles, type CollectionFiles } from './files';
import { GroupCommit } from './groupCommit';
import { encodeOp, JournalFile, replayJournal, type JournalOp } from './journal';
import type { EmbeddedStoreLogger } from './logger';
import { readSnapshot, removeTempSnapshot, writeSnapshot } from './snapshot';

/**
 * Durable storage of one collection: snapshot + journal, group commit, compaction.
 *
 * Compaction, and why a crash at any point loses nothing acknowledged:
 *  1. When a batch is taken from the queue, the live documents are captured synchronously. Every
 *     write applies to memory and enqueues its journal line in one synchronous step, so the
 *     capture equals exactly the state the journal describes once this batch is written.
 *  2. The batch is appended and fsynced; its writers are acknowledged.
 *  3. The capture is written to `<name>.snapshot.tmp` and fsynced. Crash here: the old snapshot
 *     and the full journal are intact; the temp file is deleted on start.
 *  4. The temp file is renamed over `<name>.snapshot` and the directory fsynced. Crash here: the
 *     new snapshot (or, if the rename was not yet durable, the old one) plus the full old journal.
 *     Replaying the old journal over the new snapshot gives the same state, because every journal
 *     operation is idempotent (a full document put, or a delete by id) and the new snapshot is the
 *     result of all of them: each document ends as the last operation on its id left it.
 *     Indexes are built only after replay, so intermediate states never trip a unique check.
 *  5. The journal is truncated and fsynced. Batches queued meanwhile wait in the group committer
 *     and go to the fresh journal next, on top of the snapshot that does not contain them.
 */

export interface CompactionOptions {
  /** Never compact a journal smaller than this. */
  minBytes: number;
  /** Compact when the journal holds more than `ratio` operations per live document. */
  ratio: number;
}

export const DEFAULT_COMPACTION: CompactionOptions = { minBytes: 1 << 20, ratio: 4 };

export interface LoadedCollection {
  storage: CollectionStorage;
  /** The live documents, in natural (insertion) order; the storage keeps reading this map. */
  docs: Map<string, StoredDoc>;
}

/** Snapshot + journal of one collection; see the file comment for the compaction protocol. */
export class CollectionStorage {
  private readonly committer: GroupCommit<readonly StoredDoc[] | undefined>;
  /** Operations in the journal (replayed plus appended since the last compaction). */
  private journalOps: number;
  /** Raised after a failed compaction so a persistent failure (e.g. a full disk) is not retried per batch. */
  private opsFloor = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly name: string,
    private readonly files: CollectionFiles,
    private readonly journal: JournalFile,
    private readonly docs: Map<string, StoredDoc>,
    private readonly compaction: CompactionOptions,
    private readonly logger: EmbeddedStoreLogger,
    replayedOps: number,
  ) {
    this.journalOps = replayedOps;
    this.committer = new GroupCommit({
      prepare: (batch) => this.prepare(batch),
      commit: (text) => this.journal.append(text),
      afterCommit: (capture) => (capture ? this.compact(capture) : Promise.resolve()),
    });
  }

  /** Loads a collection from `dataDir`: snapshot, then journal replay (dropping a torn last line). */
  static async open(
    dataDir: string,
    name: string,
    compaction: CompactionOptions,
    logger: EmbeddedStoreLogger,
  ): Promise<LoadedCollection> {
    const files = collectionFiles(dataDir, name);
    if (await removeTempSnapshot(files)) {
      logger.warn({ collection: name, file: files.snapshotTemp }, 'removed an incomplete snapshot left by an interrupted compaction');
    }
    const docs = new Map<string, StoredDoc>();
    for (const doc of await readSnapshot(files.snapshot)) docs.set(doc._id, doc);
    const replay = await replayJournal(files.journal, (op) => {
      if (op.op === 'put') docs.set(op.doc._id, op.doc);
      else docs.delete(op.id);
    });
    if (replay.validBytes < replay.fileBytes) {
      logger.warn(
        { collection: name, file: files.journal, droppedBytes: replay.fileBytes - replay.validBytes },
        'dropped a torn last journal line (a crash interrupted an unacknowledged write)',
      );
    }
    const journal = await JournalFile.open(files.journal, replay.validBytes);
    const storage = new CollectionStorage(name, files, journal, docs, compaction, logger, replay.ops);
    if (storage.due(0, journal.bytes)) await storage.compact([...docs.values()]);
    return { storage, docs };
  }

  /** Journals one operation; resolves once it is durable. Call in the same synchronous step as the in-memory change. */
  submit(op: JournalOp): Promise<void> {
    return this.committer.submit(encodeOp(op));
  }

  /** Set once a write could not be made durable; the collection then refuses further writes. */
  get failed(): Error | undefined {
    return this.committer.failed;
  }

  /** Waits until every submitted operation is durable and compaction is done. */
  drain(): Promise<void> {
    return this.committer.drain();
  }

  /** Drains, then closes the journal. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.drain().then(() => this.journal.close());
    return this.closing;
  }

  private due(newOps: number, bytes: number): boolean {
    const ops = this.journalOps + newOps;
    return bytes >= this.compaction.minBytes && ops > this.opsFloor && ops > this.compaction.ratio * Math.max(this.docs.size, 1);
  }

  private prepare(batch: readonly string[]): readonly StoredDoc[] | undefined {
    const batchBytes = batch.reduce((sum, line) => sum + line.length, 0);
    const compactNow = this.due(batch.length, this.journal.bytes + batchBytes);
    this.journalOps += batch.length;
    // Documents are never mutated once stored (writes replace them), so copying references is a true capture.
    return compactNow ? [...this.docs.values()] : undefined;
  }

  private async compact(capture: readonly StoredDoc[]): Promise<void> {
    try {
      await writeSnapshot(this.files, capture);
    } catch (error) {
      // The journal is intact, so nothing is lost; retry only after the journal doubles.
      this.opsFloor = this.journalOps * 2;
      this.logger.warn({ collection: this.name, err: error }, 'compaction failed; the journal keeps growing');
      await removeTempSnapshot(this.files).catch(() => undefined);
      return;
    }
    // A failure from here on fails the committer: the journal's state would be unknown.
    await this.journal.reset();
    this.journalOps = 0;
    this.opsFloor = 0;
    this.logger.info({ collection: this.name, documents: capture.length }, 'compacted the journal into a snapshot');
  }
}
