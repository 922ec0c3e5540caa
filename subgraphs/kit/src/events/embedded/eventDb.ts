import { open, type FileHandle } from 'node:fs/promises';
import { DatabaseSync, type SQLOutputValue, type StatementSync } from 'node:sqlite';
import { crc32 } from 'node:zlib';
import type { EventHeaders } from '../port';

/**
 * The embedded bus's SQLite database (`events.db`): every topic's records, each partition's
 * offset high-water mark and every consumer group's committed offsets, in one file written in
 * transactions (WAL, fsync on commit). Records carry a CRC-32 so damage SQLite itself cannot see
 * (a flipped byte inside a value) is found by the check, never delivered.
 */

/** The database's file name inside the bus directory. */
export const DB_FILE = 'events.db';

/** A durable record of one partition. */
export interface LogRecord {
  offset: number;
  key: string;
  value: string;
  headers: EventHeaders;
  timestamp: number;
}

/** A record as stored, with its place. */
export interface StoredRecord extends LogRecord {
  topic: string;
  partition: number;
}

/** Records the bus has read from any database in this process (the bounded start-up test watches it). */
export const readStats = { records: 0 };

/** WAL fsyncs (`syncWal`) of every event database in this process (the completions bench reports them). */
export const syncStats = { walSyncs: 0 };

/** Which records compaction may delete. */
export interface RetentionPolicy {
  /** Only records older than this are deleted. */
  retentionMs: number;
  /** The newest records of each partition that are always kept. */
  minRecords: number;
}

// `part` and `seq`, not `partition` and `offset`: both are SQL keywords.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS topics (topic TEXT PRIMARY KEY, partitions INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  topic TEXT NOT NULL, part INTEGER NOT NULL, seq INTEGER NOT NULL,
  key TEXT NOT NULL, value TEXT NOT NULL, headers TEXT NOT NULL, timestamp INTEGER NOT NULL, crc INTEGER NOT NULL,
  PRIMARY KEY (topic, part, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS marks (
  topic TEXT NOT NULL, part INTEGER NOT NULL,
  low INTEGER NOT NULL, high INTEGER NOT NULL,
  PRIMARY KEY (topic, part)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets (
  group_id TEXT NOT NULL, topic TEXT NOT NULL, part INTEGER NOT NULL, next INTEGER NOT NULL,
  PRIMARY KEY (group_id, topic, part)
) WITHOUT ROWID;
`;

/** The CRC-32 a record is stored with (over everything but the CRC itself). */
export function recordCrc(topic: string, record: Omit<StoredRecord, 'topic' | 'headers'> & { headers: string }): number {
  return crc32(`${topic}\n${record.partition}\n${record.offset}\n${record.timestamp}\n${record.key}\n${record.headers}\n${record.value}`);
}

function num(value: SQLOutputValue | undefined): number {
  return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : 0;
}

function text(value: SQLOutputValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

/** A row of `records` as a record; `ok` is false when its CRC does not match. */
export function rowToRecord(row: Record<string, SQLOutputValue>): { record: StoredRecord; ok: boolean } {
  const topic = text(row.topic);
  const headers = text(row.headers);
  const base = {
    partition: num(row.part),
    offset: num(row.seq),
    key: text(row.key),
    value: text(row.value),
    timestamp: num(row.timestamp),
  };
  const ok = recordCrc(topic, { ...base, headers }) === num(row.crc);
  let parsed: EventHeaders = {};
  try {
    if (ok) parsed = JSON.parse(headers) as EventHeaders;
  } catch {
    return { record: { topic, ...base, headers: {} }, ok: false };
  }
  return { record: { topic, ...base, headers: parsed }, ok };
}

/** The open database, with the few statements the bus runs. Synchronous: each call is one short indexed step. */
export class EventDb {
  private readonly insertRecord: StatementSync;
  private readonly upsertHigh: StatementSync;
  private readonly readRange: StatementSync;
  private readonly upsertOffset: StatementSync;
  /** The WAL file, fsynced by `syncWal()` (opened on first use: SQLite creates it on the first write). */
  private wal: FileHandle | undefined;

  private constructor(
    readonly path: string,
    readonly db: DatabaseSync,
  ) {
    this.insertRecord = db.prepare(
      'INSERT INTO records (topic, part, seq, key, value, headers, timestamp, crc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.upsertHigh = db.prepare(
      'INSERT INTO marks (topic, part, low, high) VALUES (?, ?, 0, ?) ON CONFLICT (topic, part) DO UPDATE SET high = MAX(high, excluded.high)',
    );
    this.readRange = db.prepare(
      'SELECT topic, part, seq, key, value, headers, timestamp, crc FROM records WHERE topic = ? AND part = ? AND seq >= ? AND seq < ? ORDER BY seq LIMIT ?',
    );
    this.upsertOffset = db.prepare(
      'INSERT INTO group_offsets (group_id, topic, part, next) VALUES (?, ?, ?, ?) ON CONFLICT (group_id, topic, part) DO UPDATE SET next = excluded.next',
    );
  }

  /** Opens (creating if needed) the database at `path`, in WAL mode with a full fsync per commit. */
  static open(path: string): EventDb {
    const db = new DatabaseSync(path);
    try {
      // auto_vacuum only takes effect before the first table exists: compaction gives pages back.
      // synchronous = NORMAL: commits are not fsynced by SQLite on this thread; `syncWal()` does it off the event loop.
      db.exec('PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
      db.exec(SCHEMA);
      return new EventDb(path, db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Makes every transaction committed so far durable: fdatasync of the WAL, which is what
   * synchronous = FULL does after each commit, but on libuv's thread pool, so the event loop keeps
   * delivering while the disk works. Publishers are acknowledged (and consumers see their
   * records) only after it.
   */
  async syncWal(): Promise<void> {
    this.wal ??= await open(`${this.path}-wal`, 'r');
    await this.wal.datasync();
    syncStats.walSyncs++;
  }

  /** Runs `work` in one write transaction. */
  transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  meta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key);
    return row ? text(row.value) : undefined;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** The partition count `topic` was created with, if it exists. */
  partitions(topic: string): number | undefined {
    const row = this.db.prepare('SELECT partitions FROM topics WHERE topic = ?').get(topic);
    return row ? num(row.partitions) : undefined;
  }

  createTopic(topic: string, partitions: number): void {
    this.db.prepare('INSERT OR IGNORE INTO topics (topic, partitions) VALUES (?, ?)').run(topic, partitions);
  }

  /**
   * The offset the next record of a partition gets: above every offset ever handed out (the
   * stored high-water mark, which survives the loss of the last records) and every offset any
   * group committed, so a group never skips a new record.
   */
  nextOffset(topic: string, partition: number): number {
    const high = num(this.db.prepare('SELECT high FROM marks WHERE topic = ? AND part = ?').get(topic, partition)?.high);
    const last = this.db.prepare('SELECT MAX(seq) AS seq FROM records WHERE topic = ? AND part = ?').get(topic, partition)?.seq;
    const committed = num(
      this.db.prepare('SELECT MAX(next) AS next FROM group_offsets WHERE topic = ? AND part = ?').get(topic, partition)?.next,
    );
    return Math.max(high, last === null || last === undefined ? 0 : num(last) + 1, committed);
  }

  /** Inserts records (offsets already assigned) and raises their partitions' high-water marks, in the caller's transaction. */
  insert(topic: string, records: ReadonlyArray<{ partition: number; record: LogRecord }>): void {
    const high = new Map<number, number>();
    for (const { partition, record } of records) {
      const headers = JSON.stringify(record.headers);
      const crc = recordCrc(topic, {
        partition,
        offset: record.offset,
        key: record.key,
        value: record.value,
        timestamp: record.timestamp,
        headers,
      });
      this.insertRecord.run(topic, partition, record.offset, record.key, record.value, headers, record.timestamp, crc);
      high.set(partition, Math.max(high.get(partition) ?? 0, record.offset + 1));
    }
    for (const [partition, next] of high) this.upsertHigh.run(topic, partition, next);
  }

  /** Up to `limit` records of a partition with `from <= offset < end`, in offset order (offsets may have gaps). */
  read(topic: string, partition: number, from: number, end: number, limit: number): LogRecord[] {
    const rows = this.readRange.all(topic, partition, from, end, limit);
    readStats.records += rows.length;
    return rows.map((row) => {
      const { record, ok } = rowToRecord(row);
      if (!ok)
        throw new Error(
          `event log ${this.path}: record ${topic}[${partition}]@${record.offset} is damaged (checksum mismatch); run \`chatgraph check --repair\``,
        );
      return { offset: record.offset, key: record.key, value: record.value, headers: record.headers, timestamp: record.timestamp };
    });
  }

  /** A group's committed offsets: topic -> partition -> next offset to handle. */
  groupOffsets(groupId: string): Record<string, Record<string, number>> {
    const offsets: Record<string, Record<string, number>> = {};
    for (const row of this.db.prepare('SELECT topic, part, next FROM group_offsets WHERE group_id = ?').iterate(groupId)) {
      (offsets[text(row.topic)] ??= {})[String(num(row.part))] = num(row.next);
    }
    return offsets;
  }

  /** Writes a group's committed offsets, in one transaction. */
  commitOffsets(groupId: string, entries: ReadonlyArray<{ topic: string; partition: number; next: number }>): void {
    // Not fsynced: losing the last commits to a power cut only redelivers events, which at-least-once allows.
    this.transaction(() => {
      for (const { topic, partition, next } of entries) this.upsertOffset.run(groupId, topic, partition, next);
    });
  }

  /**
   * Deletes the records every group has handled that retention no longer keeps: below the
   * slowest committed offset of the groups that consume the topic (a group that never committed
   * on a partition counts as 0 there), older than `retentionMs`, and not among the newest
   * `minRecords`. A topic no group ever consumed keeps everything. Returns the records deleted.
   */
  compact(policy: RetentionPolicy, now: number): number {
    const partitions = this.db.prepare('SELECT t.topic AS topic, t.partitions AS partitions FROM topics t').all();
    const slowest = this.db.prepare(
      'SELECT MIN(COALESCE(o.next, 0)) AS next FROM (SELECT DISTINCT group_id FROM group_offsets WHERE topic = ?1) g ' +
        'LEFT JOIN group_offsets o ON o.group_id = g.group_id AND o.topic = ?1 AND o.part = ?2',
    );
    const remove = this.db.prepare('DELETE FROM records WHERE topic = ? AND part = ? AND seq < ?');
    const raiseLow = this.db.prepare('UPDATE marks SET low = MAX(low, ?) WHERE topic = ? AND part = ?');
    let deleted = 0;
    this.transaction(() => {
      for (const row of partitions) {
        const topic = text(row.topic);
        for (let partition = 0; partition < num(row.partitions); partition++) {
          const committed = slowest.get(topic, partition)?.next;
          if (committed === null || committed === undefined) continue;
          const below = Math.min(num(committed), this.nextOffset(topic, partition) - policy.minRecords);
          if (below <= 0) continue;
          const cutoff = this.expiredBelow(topic, partition, below, now - policy.retentionMs);
          if (cutoff === undefined) continue;
          deleted += num(remove.run(topic, partition, cutoff).changes);
          raiseLow.run(cutoff, topic, partition);
        }
      }
    });
    if (deleted > 0) this.db.exec('PRAGMA incremental_vacuum');
    return deleted;
  }

  /**
   * The offset below which a partition's records are older than `before`, searched among
   * offsets below `below`, or undefined when there is nothing to delete. Timestamps grow with
   * offsets, so a binary search over a few primary-key lookups finds it: compaction never scans
   * the records it keeps.
   */
  private expiredBelow(topic: string, partition: number, below: number, before: number): number | undefined {
    const at = this.db.prepare('SELECT seq, timestamp FROM records WHERE topic = ? AND part = ? AND seq >= ? ORDER BY seq LIMIT 1');
    const first = at.get(topic, partition, 0);
    if (!first || num(first.seq) >= below || num(first.timestamp) >= before) return undefined;
    // Invariant: every record below `low` is expired; the answer is in [low, high].
    let low = num(first.seq) + 1;
    let high = below;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const record = at.get(topic, partition, middle);
      if (record && num(record.seq) < high && num(record.timestamp) < before) low = num(record.seq) + 1;
      else high = middle;
    }
    return low;
  }

  /** Rows of `records` (for tests and the check). */
  count(): number {
    return num(this.db.prepare('SELECT COUNT(*) AS n FROM records').get()?.n);
  }

  async close(): Promise<void> {
    await this.wal?.close();
    this.wal = undefined;
    if (this.db.isOpen) this.db.close();
  }
}
